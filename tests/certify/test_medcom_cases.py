"""MedCom's own test cases by MedCom's ids: the list covers every published TestScript,
every check fails on the message it guards against, and a run leaves an evidence pack
that verifies and opens in a browser."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medcom_adapter.certify import bundle_checks as c
from medcom_adapter.certify.medcom_cases import CARECOMMUNICATION_SEND, MEDCOM_SCENARIOS
from medcom_adapter.certify.scenarios import check_send
from medcom_adapter.cli import main
from medcom_adapter.detect import check
from medcom_adapter.fhir import carecommunication, wire
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.carecommunication import CareCommunication
from tests import catalogue
from tests.certify.medcom_peer import medcom_case
from tests.certify.peers import Peer
from tests.conftest import OFFICIAL

SCRIPTS = OFFICIAL / "testprotocols"
Json = dict[str, Any]


def _ids(folder: str, prefix: str) -> set[str]:
    if not (SCRIPTS / folder).is_dir():
        pytest.skip(f"MedCom's TestScripts are not in {SCRIPTS} (../shared is absent)")
    return {json.loads(p.read_text("utf-8"))["id"]
            for p in (SCRIPTS / folder).glob(f"TestScript-{prefix}*.json")}


def test_the_list_names_every_published_carecommunication_and_ack_receive_script(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["certify", "--list-scenarios", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    ids = {row["id"] for row in listed}
    scripts = _ids("compiled-carecommunicationtestscripts-5.0.0", "carecommunication")
    acks = _ids("compiled-acknowledgementtestscripts-2.0.0", "acknowledgement-receive")
    assert len(scripts) == 33 and len(acks) == 7
    assert scripts <= ids and acks <= ids
    for row in listed:
        assert set(row) == {"id", "title", "kind", "direction", "source"} and all(row.values())
    medcom = [r for r in listed if r["id"] in scripts | acks]
    assert all(r["id"].split("-", 1)[0] in r["source"].lower() for r in medcom)


def test_the_text_list_counts_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["certify", "--list-scenarios"]) == 0
    out = capsys.readouterr().out
    assert "carecommunication-send-tec-04" in out and "Patient med erstatnings-CPR" in out
    assert out.rstrip().endswith(f"{len(out.splitlines()) - 1} scenarios")


def _ours(fixture: str | None) -> CareCommunication | None:
    if fixture is None:
        return None
    message = check((catalogue.ROOT / fixture).read_bytes()).message
    assert isinstance(message, CareCommunication)
    return message


def _new_id() -> str:
    return str(uuid.uuid4())


def _correct(scenario_id: str, ours: CareCommunication | None) -> Json:
    cc = medcom_case(scenario_id, ours, catalogue.T0, _new_id)
    assert cc is not None
    return carecommunication.to_bundle(cc)


def _resource(bundle: Json, kind: str) -> Json:
    return next(c.resources(bundle, kind))


def _each(items: list[Json], change: Callable[[Json], None]) -> None:
    for item in items:
        change(item)


# What each check guards against, done to a correct message.
def _break(code: str, b: Json, ours: CareCommunication | None) -> None:
    comm = c.communication(b)
    if code == "event-code":
        c.header(b)["eventCoding"]["code"] = "hospital-notification-message"
        b["entry"][0]["resource"]["eventCoding"]["code"] = "hospital-notification-message"
    elif code.startswith("activity-"):
        _each(c.provenances(b), lambda p: p["activity"]["coding"][0].update(code="x"))
    elif code == "provenance-target":
        _each(c.provenances(b), lambda p: p.update(target=[{"reference": "Other/1"}]))
    elif code == "thread-id-uuid":
        comm["identifier"][0]["value"] = "urn:uuid:not-a-uuid"
    elif code in ("receiver-ean", "receiver-sor"):
        _each(c.receiver(b)["identifier"], lambda i: i.update(value="1"))
    elif code.startswith("attachment-") and "/" in code:
        _each(c.attachments(b), lambda a: a.update(contentType="text/plain"))
    elif code == "attachment-link":
        _each(c.attachments(b), lambda a: a.pop("url", None))
    elif code.startswith("attachments-"):
        _each(c.attachments(b), lambda a: a.pop("data", None))
    elif code.startswith("payloads+"):
        comm["payload"].append({"contentString": "ekstra"})
    elif code == "attachment-creation":
        _each(c.attachments(b), lambda a: a.pop("creation", None))
    elif code == "attachment-author":
        _each([p for p in comm["payload"] if "contentAttachment" in p],
              lambda p: p.update(extension=[]))
    elif code.startswith("category-") and code != "category-changed":
        comm["category"] = [{"coding": [{"code": "nursing"}]}]
    elif code == "topic":
        comm.pop("topic", None)
    elif code == "priority":
        comm.pop("priority", None)
    elif code == "predecessor":
        _each([e for p in c.provenances(b) for e in p.get("entity", [])],
              lambda e: e.update(what={"reference": "Provenance/x"}))
    elif code == "entity-revision":
        _each([e for p in c.provenances(b) for e in p.get("entity", [])],
              lambda e: e.update(role="source"))
    elif code == "provenance-count":
        b["entry"].append(copy.deepcopy(next(e for e in b["entry"]
                                             if e["resource"]["resourceType"] == "Provenance")))
    elif code == "sender-differs":
        assert ours is not None
        _each(c.sender(b)["identifier"], lambda i: i.update(value=ours.sender.sor)
              if i.get("system") == c.SOR else None)
    elif code == "same-thread":
        comm["identifier"][0]["value"] = f"urn:uuid:{uuid.uuid4()}"
    elif code == "new-thread":
        assert ours is not None
        comm["identifier"][0]["value"] = ours.thread_id
    elif code == "topic-changed":
        assert ours is not None
        comm["topic"] = {"text": ours.topic} if ours.topic else {}
    elif code == "category-changed":
        assert ours is not None
        comm["category"] = [{"coding": [{"code": ours.category.value}]}]
    elif code == "patient-deceased":
        _resource(b, "Patient").pop("deceasedBoolean", None)
    elif code == "specific-sender":
        comm.pop("extension", None)
    elif code == "specific-recipient":
        comm.pop("recipient", None)
    elif code == "patient-cpr":
        _resource(b, "Patient")["identifier"][0]["system"] = "urn:oid:1.2.208.176.1.6.1.1"
    elif code == "patient-replacement":
        _resource(b, "Patient")["identifier"][0]["system"] = c.CPR
    elif code in ("episode-of-care-uuid", "episode-of-care-kept"):
        _each(list(c.resources(b, "Encounter")), lambda r: r["episodeOfCare"][0].update(
            identifier={"value": "forloeb-1"}))
    else:
        raise AssertionError(f"no breaker for {code}")


@pytest.mark.parametrize("scenario", CARECOMMUNICATION_SEND, ids=lambda s: s.id)
def test_every_check_passes_the_right_message_and_fails_the_one_it_guards_against(
        scenario: Any) -> None:
    ours = _ours(scenario.ours)
    bundle = _correct(scenario.id, ours)
    assert check_send(scenario, [wire.dump_json(bundle)], ours) == []
    for guard in scenario.checks:
        broken = copy.deepcopy(bundle)
        _break(guard.code, broken, ours)
        assert guard.failure(broken, ours) is not None, guard.code
        assert guard.failure(bundle, ours) is None, guard.code


def test_a_check_reading_a_part_that_is_missing_fails_instead_of_raising() -> None:
    assert c.topic().failure({"entry": []}, None) is not None


def test_every_medcom_case_has_a_danish_title_and_a_source() -> None:
    for s in MEDCOM_SCENARIOS:
        assert s.title and s.source and s.ask and s.kind == "CareCommunication", s.id
    assert len({s.id for s in MEDCOM_SCENARIOS}) == len(MEDCOM_SCENARIOS) == 40


def test_ack_receive_cases_list_what_a_person_must_confirm(tmp_path: Path) -> None:
    from medcom_adapter.certify import reports
    from medcom_adapter.certify.protocol import ScenarioRunner, Timing
    from medcom_adapter.transport.vans_mailbox import VansMailbox

    chosen = [s for s in MEDCOM_SCENARIOS if s.id in (
        "acknowledgement-receive-transient-error-ok", "acknowledgement-receive-ok-duplicate")]
    runner = ScenarioRunner(VansMailbox(tmp_path), catalogue.ROOT,
                            timing=Timing(timeout=10.0, quiet=0.3, poll=0.01))
    with Peer(tmp_path) as peer:
        results = runner.send(chosen, peer.on_prompt)
    assert [r.failures for r in results] == [(), ()]
    text = reports.scenario_text(results)
    assert "[ ] acknowledgement-receive-transient-error-ok: Brugeren får besked" in text
    rows = reports.scenario_rows(results)
    assert all(f.warning for row in rows for f in row.findings)
    codes = []
    for e in runner.exchanged:
        opened = check(e.data).message
        inner = getattr(opened, "message", None)
        if e.way == "sent" and isinstance(inner, Acknowledgement):
            codes.append((e.scenario, inner.code.value, inner.message_id))
    transient_ok = [(c, i) for s, c, i in codes if s.endswith("transient-error-ok")]
    twice = [(c, i) for s, c, i in codes if s.endswith("ok-duplicate")]
    assert [c for c, _ in transient_ok] == ["transient-error", "ok"]
    assert transient_ok[0][1] != transient_ok[1][1]  # two Acknowledgements
    assert twice[0] == twice[1] == ("ok", twice[0][1])  # the same one again: a duplicate


def test_a_run_writes_an_evidence_pack_that_verifies_and_opens_in_chromium(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mailbox, pack = tmp_path / "mailbox", tmp_path / "evidence.zip"
    mailbox.mkdir()
    args = ["certify", "--scenarios", "receive", "--mailbox", str(mailbox), "--timeout", "10",
            "--quiet", "0.3", "--only", "R-XDIS91-new", "--only", "R-CC-new",
            "--evidence", str(pack)]
    with Peer(mailbox):
        code = main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "wrote the evidence pack" in out
    assert main(["certify", "--verify-evidence", str(pack)]) == 0
    with zipfile.ZipFile(pack) as archive:
        names = archive.namelist()
        env = json.loads(archive.read("environment.json"))
        html = archive.read("report.html")
    assert {"manifest.json", "report.junit.xml", "report.html", "environment.json"} <= set(names)
    sent = [n for n in names if n.startswith("messages/") and n.endswith("-sent.xml")]
    received = [n for n in names if n.startswith("messages/") and n.endswith("-received.xml")]
    assert len(sent) == 2 and len(received) >= 2  # the XDIS91, the enveloped CC; answers
    assert all(catalogue.CHILD.id.value not in n for n in names)
    assert env["medcom_material"]["CareCommunication TestScripts"] == "5.0.0"
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(pack) as source, zipfile.ZipFile(tampered, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data.replace(b"passed", b"FAILED") if name == "report.html"
                            else data)
    capsys.readouterr()
    assert main(["certify", "--verify-evidence", str(tampered)]) == 1
    assert "report.html: does not match its SHA-256" in capsys.readouterr().out
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("headless Chromium is not installed")
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    page.write_bytes(html)
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
                         capture_output=True, timeout=120, check=False)
    assert run.returncode == 0 and shot.read_bytes().startswith(b"\x89PNG")
