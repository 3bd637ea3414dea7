"""validate/show open envelopes: the envelope is checked, then the message inside."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.detect import Enveloped, check, parse
from medcom_adapter.envelopes import fhir_payload, sbdh, vans
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.render import text as render
from tests.conftest import official
from tests.envelopes.messages import T0, cc_bytes, next_id


def vans_file() -> bytes:
    return vans.build(fhir_payload.wrap(cc_bytes(), sent=T0))


def test_vans_envelope_is_checked_with_its_message() -> None:
    report = check(vans_file())
    assert (report.kind, report.version, report.valid) == ("VANSEnvelope", "1.0.4", True)
    assert report.carried is not None and report.carried.kind == "CareCommunication"
    parsed = parse(vans_file())
    assert isinstance(parsed, Enveloped) and isinstance(parsed.message, CareCommunication)


def test_invalid_message_inside_a_valid_envelope_is_reported() -> None:
    data = cc_bytes().replace(b"regarding-referral", b"regarding-nothing")
    envelope = fhir_payload.wrap(cc_bytes(), sent=T0)
    assert envelope.message is not None
    meta = envelope.message.meta
    broken = vans.VansEnvelope(envelope.sender, envelope.receiver, envelope.envelope_id, T0,
                               vans.VansMessage(vans.MetaInformation(
                                   meta.identifier, vans.DocumentInfo(
                                       meta.document.format, meta.document.name, len(data),
                                       meta.document.version), meta.transport), data))
    report = check(vans.build(broken))
    assert report.kind == "VANSEnvelope" and not report.valid
    assert report.carried is not None and report.carried.kind == "CareCommunication"


def test_receipt_envelope_carries_no_message() -> None:
    original = fhir_payload.wrap(cc_bytes(), sent=T0)
    receipt = vans.receipt_for(original, vans.VansReceiptKind.POSITIVE, envelope_id=next_id(),
                               sent=T0)
    report = check(vans.build(receipt))
    assert report.valid and report.carried is None
    assert "PositiveMessage" in render.any_message(parse(vans.build(receipt)))


def test_broken_envelope_is_named_as_envelope() -> None:
    report = check(vans_file().replace(b"<Format>HL7", b"<Format>FHIR"))
    assert report.kind == "VANSEnvelope" and not report.valid
    assert report.issues[0].path == "VANSEnvelope/Message/MetaInformation/Document/Format"


def test_sbdh_samples_open_to_their_payload() -> None:
    for path in sorted(official("envelopes", "sbdh", "samples").glob("*.xml")):
        report = check(path.read_bytes())
        assert report.kind == "SBDH" and report.version == "2.0"
        assert report.carried is not None and report.carried.kind is not None


def test_cli_validates_and_shows_envelopes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vans_path = tmp_path / "km.vans.xml"
    vans_path.write_bytes(vans_file())
    sbdh_path = tmp_path / "km.sbdh.xml"
    sbdh_path.write_bytes(sbdh.build(sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id(),
                                                   patient="0201909309")))
    assert main(["validate", str(vans_path), str(sbdh_path)]) == 0
    capsys.readouterr()
    assert main(["show", str(sbdh_path)]) == 0
    shown = capsys.readouterr().out
    assert "ehmiSBDH" in shown and "CareCommunication 5.0" in shown
    assert "0201909309" not in shown and "020190-xxxx" in shown
