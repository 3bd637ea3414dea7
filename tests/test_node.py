"""The service with its workers: what the API queues really travels and is answered."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.node import mailbox_loop, sandbox_loop
from medcom_adapter.service import Settings, create_app
from medcom_adapter.workers.hooks import CollectingHook
from tests.service.conftest import BUP, CONTEXT, DENTAL, GP, PDF, api_client, b64, issue_key

UNIT_EAN = CONTEXT["unit"]["ean"]


def wait_for(what: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, "the workers did not get there in time"
        time.sleep(0.05)


def referral() -> dict[str, object]:
    return {**CONTEXT, "receiver_sor": BUP, "reason": "Angst og skolevægring",
            "form": {"title": "Henvisningsskema", "data_base64": b64(PDF)}}


def test_a_referral_is_sent_via_dnhf_and_receipted_by_the_department(tmp_path: Path) -> None:
    # Two connections to one SQLite journal, as `serve` runs it: the pages' and the workers'.
    env = {"MEDCOM_DATA_DIR": str(tmp_path)}
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    journal, own = open_journal(url, env=env), open_journal(url, env=env)
    settings = Settings()
    key = issue_key(journal)[1]
    hook = CollectingHook()
    loop = sandbox_loop(own, settings.directory, unit_ean=UNIT_EAN, hook=hook, interval=0.05,
                        close=True)
    auth = {"Authorization": f"Bearer {key}"}
    with api_client(create_app(journal, settings, workers=loop)) as client:
        queued = client.post("/api/referrals", json=referral(), headers=auth).json()

        def status(id: int) -> str:
            return str(client.get(f"/api/messages/{id}", headers=auth).json()["status"])

        wait_for(lambda: all(status(i) == "acknowledged" for i in queued["ids"]))
        history = client.get(f"/api/messages/{queued['id']}", headers=auth).json()["history"]
        assert [h["status"] for h in history] == ["queued", "sent", "acknowledged"]
        answered = client.get(f"/api/messages/{queued['id']}", headers=auth).json()
        assert len(answered["answered_by"]) == 1
    assert loop.rounds > 0 and not loop.running  # stopped with the application
    assert hook.deliveries == {}  # receipts are taken in, not delivered to the case system
    journal.close()


@pytest.mark.parametrize(("receiver", "category", "kind"), [
    (GP, "carecoordination", "CareCommunication"),  # acknowledged, answered in the thread
    (DENTAL, None, "XDIS91"),  # receipted (XCTL03), answered with an XDIS91
])
def test_a_km_is_receipted_and_the_reply_comes_in(receiver: str, category: str | None,
                                                  kind: str) -> None:
    journal = MemoryJournal()
    settings = Settings()
    key = issue_key(journal)[1]
    hook = CollectingHook()
    loop = sandbox_loop(journal, settings.directory, unit_ean=UNIT_EAN, hook=hook,
                        interval=0.05)
    auth = {"Authorization": f"Bearer {key}"}
    with api_client(create_app(journal, settings, workers=loop)) as client:
        queued = client.post("/api/km", json={**CONTEXT, "receiver_sor": receiver,
                                              "category": category, "text": "Kære læge"},
                             headers=auth).json()
        assert queued["kind"] == kind
        wait_for(lambda: client.get(f"/api/messages/{queued['id']}", headers=auth)
                 .json()["status"] == "acknowledged")
        wait_for(lambda: bool(client.get("/api/inbound", headers=auth).json()["messages"]))
        (reply,) = client.get("/api/inbound", headers=auth).json()["messages"]
        assert reply["kind"] == kind and reply["patient_cpr"] == CONTEXT["patient"]["cpr"]
        assert reply["sender_sor"] == receiver  # the directory's name for who answered
        stored = client.get(f"/api/messages/{reply['id']}", headers=auth).json()
        assert stored["sender_sor"] == receiver
    (delivery,) = hook.deliveries.values()
    assert delivery.journal_id == reply["id"]


def test_with_a_mailbox_the_workers_use_it(tmp_path: Path) -> None:
    journal = MemoryJournal()
    settings = Settings()
    key = issue_key(journal)[1]
    loop = mailbox_loop(journal, settings.directory, mailbox=tmp_path, hook=CollectingHook(),
                        interval=0.05)
    with api_client(create_app(journal, settings, workers=loop)) as client:
        queued = client.post("/api/referrals", json=referral(),
                             headers={"Authorization": f"Bearer {key}"}).json()
        wait_for(lambda: len(list((tmp_path / "out").glob("X*"))) == 2)
        # the files are published before the journal records them sent
        wait_for(lambda: journal.get(queued["id"]).status.value == "sent")
    names = sorted(p.name.split("_")[0] for p in (tmp_path / "out").iterdir())
    assert names == ["XBIN02", "XREF01"]


def test_the_workers_are_wired_in_one_place() -> None:
    """Outbox, inbox and DNHF routing are put together by ``node.wire`` only: the CLI, the
    service's loops and the sandbox ask it, so a new transport is wired once."""
    import ast

    import medcom_adapter

    package = Path(medcom_adapter.__file__).parent
    wiring = {"Outbox", "Inbox", "DnhfTransport"}
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "node.py" and path.parent == package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in wiring:
                found.append(f"{path.relative_to(package)}:{node.lineno}: {node.func.id}")
    assert found == []


@pytest.mark.parametrize("make", ["sandbox", "mailbox"])
def test_every_worker_round_lets_old_held_bytes_go(make: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Letters held for an outbox that never takes them (another process sent them) are let
    go by the loop's rounds, not only when this outbox claims something."""
    journal, directory = MemoryJournal(), Settings().directory
    loop = (sandbox_loop(journal, directory, unit_ean=UNIT_EAN, hook=CollectingHook(),
                         interval=0.01) if make == "sandbox" else
            mailbox_loop(journal, directory, mailbox=tmp_path, hook=CollectingHook(),
                         interval=0.01))
    assert loop.checked is not None
    expired: list[None] = []
    real = loop.checked.expire

    def counted() -> None:
        expired.append(None)
        real()

    monkeypatch.setattr(loop.checked, "expire", counted)
    loop.start()
    wait_for(lambda: loop.rounds >= 3)
    loop.stop()
    assert len(expired) == loop.rounds
