"""The sandbox GP answers a CareCommunication it cannot read with a fatal-error
Acknowledgement, and the network keeps running."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import from_bundle as read_ack
from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.sandbox.fhir import FhirAnswers, envelope_file
from tests.fhir.test_threads import first

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone(timedelta(hours=1)))


def _dangling() -> dict[str, Any]:
    """A CareCommunication whose text's author names an organisation the Bundle lacks:
    the profiles let it through, reading it fails."""
    bundle = to_bundle(first())
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Communication":
            for extension in entry["resource"]["payload"][0]["extension"]:
                if "valueIdentifier" in extension:
                    assigner = extension["valueIdentifier"]["assigner"]
                    assigner["reference"] = assigner["reference"].split("/")[0] + "/nope"
    return bundle


def _ack(files: list[bytes]) -> Any:
    (file,) = files
    payload = fhir_payload.unwrap(vans.parse(file))
    bundle, _ = wire.load(payload.data)
    return read_ack(bundle)


def test_a_dangling_reference_gets_a_fatal_error_acknowledgement() -> None:
    bundle = _dangling()
    assert not [i for i in validate_message(bundle) if not i.warning]  # profiles pass it
    gp = FhirAnswers()
    ack = _ack(gp.handle(envelope_file(wire.dump_json(bundle), NOW), NOW,
                         lambda message, now: None))
    assert ack.code.value == "fatal-error"
    assert gp.accepted == [] and len(gp.refused) == 1


def test_after_it_the_gp_still_answers_a_good_one() -> None:
    gp = FhirAnswers()
    gp.handle(envelope_file(wire.dump_json(_dangling()), NOW), NOW, lambda m, now: None)
    good = first()
    ack = _ack(gp.handle(envelope_file(wire.dump_json(to_bundle(good)), NOW), NOW,
                         lambda m, now: None))
    assert ack.code.value == "ok" and gp.accepted == [good.message_id]
