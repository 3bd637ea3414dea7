"""Submitting validates each built message once, as it is built: schema and our own rules
on its tree, the bytes carrying the proof (a Built); bytes built otherwise are checked."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.compose.referral import ReferralPackage, build_referral
from medcom_adapter.conformance.built import Built
from medcom_adapter.detect import check
from medcom_adapter.errors import Issue, OutboundInvalid
from medcom_adapter.journal.interface import Query
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.oioxml import schemas
from medcom_adapter.workers import submit
from tests.conftest import FIXTURES
from tests.samples import pdf_with

DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")
REQUESTS = FIXTURES / "requests"


def _request(name: str) -> Any:
    return json.loads((REQUESTS / name).read_text(encoding="utf-8"))


def _count_validations(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    seen: Counter[str] = Counter()
    real = schemas.validate

    def counted(tree: Any, folder: str) -> Any:
        seen[str(tree.getroot()[1].tag)] += 1
        return real(tree, folder)

    monkeypatch.setattr(schemas, "validate", counted)
    return seen


def test_a_referral_and_its_binary_are_each_validated_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _count_validations(monkeypatch)
    prepared = submit.prepare_referral(DIRECTORY, _request("referral-bup.json"), files=REQUESTS)
    assert len(prepared.entries) == 2
    assert sorted(seen.values()) == [1, 1]


def test_a_km_and_its_binaries_are_each_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _count_validations(monkeypatch)
    prepared = submit.prepare_km(DIRECTORY, _request("km-gp.json"), files=REQUESTS)
    assert len(prepared.entries) >= 2
    assert sum(seen.values()) == len(prepared.entries) and set(seen.values()) == {1}


def test_what_the_one_validation_refuses_is_not_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    real = schemas.validate

    def refusing(tree: Any, folder: str) -> list[Issue]:
        found = real(tree, folder)
        binary = "BinaryLetter" in str(tree.getroot()[1].tag)
        return [*found, Issue("schema", "refused for the test")] if binary else found

    monkeypatch.setattr(schemas, "validate", refusing)
    journal = MemoryJournal()
    with pytest.raises(OutboundInvalid):
        submit.queue_referral(journal, DIRECTORY, _request("referral-bup.json"), files=REQUESTS)
    assert journal.find(Query(limit=10)) == []


def test_built_entries_are_not_checked_again_and_are_valid_on_their_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks: list[bytes] = []
    monkeypatch.setattr(submit, "check", lambda data: checks.append(data))
    prepared = submit.prepare_referral(DIRECTORY, _request("referral-bup.json"), files=REQUESTS)
    assert checks == [] and all(isinstance(e.data, Built) for e in prepared.entries)
    assert all(check(e.data).valid for e in prepared.entries)


def test_bytes_built_without_the_proof_are_checked_and_refused_when_invalid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unvalidated(*args: Any, **kwargs: Any) -> ReferralPackage:
        package = build_referral(*args, **kwargs)
        broken = bytes(package.referral.data).replace(b"</Letter>", b"<Oops/></Letter>", 1)
        return dataclasses.replace(
            package, referral=dataclasses.replace(package.referral, data=broken))

    monkeypatch.setattr(submit, "build_referral", unvalidated)
    with pytest.raises(OutboundInvalid):
        submit.prepare_referral(DIRECTORY, _request("referral-bup.json"), files=REQUESTS)


def test_what_is_queued_is_the_built_file_and_the_bytes_of_its_attachment(
    tmp_path: Any,
) -> None:
    # the entries carry the model read back from the checked bytes, not the one built:
    # the same letter, and an attachment byte for byte the file that was sent
    pdf = pdf_with(bytes(range(256)) * 12_000)
    (tmp_path / "henvisningsskema-bup.pdf").write_bytes(pdf)
    request = _request("referral-bup.json")
    referral, binary = submit.prepare_referral(DIRECTORY, request, files=tmp_path).entries
    (attachment,) = binary.attachments
    assert attachment.data == pdf
    assert referral.classification is not None and binary.classification is None
    report = check(binary.data)
    assert report.valid
    assert binary.message_id != referral.message_id
    assert referral.receiver_sor == binary.receiver_sor and referral.sender_sor is not None


def test_a_file_too_large_to_copy_into_a_built_is_checked_on_its_bytes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    from medcom_adapter.oioxml import emessage

    checks: list[bytes] = []

    def counted(data: bytes) -> Any:
        checks.append(data)
        return check(data)

    monkeypatch.setattr(emessage, "SEAL_LIMIT", 20_000)  # the referral fits, its XBIN not
    monkeypatch.setattr(submit, "check", counted)
    pdf = pdf_with(bytes(range(256)) * 160)
    (tmp_path / "henvisningsskema-bup.pdf").write_bytes(pdf)
    referral, binary = submit.prepare_referral(DIRECTORY, _request("referral-bup.json"),
                                               files=tmp_path).entries
    assert isinstance(referral.data, Built) and type(binary.data) is bytes
    assert checks == [binary.data] and len(binary.data) > 20_000
