"""Messages our builders produce, as fuzz seeds (no reference data needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml.emessage import build
from tests import samples


def built_messages() -> Iterator[bytes]:
    referral = Emessage(Envelope("ENV1", samples.WHEN), (samples.full_referral(),))
    yield build(referral, "XH0131R")
    yield build(referral, "XH0131R", encoding="UTF-8")
    binary = Emessage(Envelope("ENV2", samples.WHEN), (samples.binary_letter(),))
    yield build(binary, "XB0131X")
    from medcom_adapter.fhir import acknowledgement, carecommunication, wire
    from medcom_adapter.fhir.acknowledging import answer
    from tests.fhir.test_threads import first

    bundle = carecommunication.to_bundle(first())
    yield json.dumps(bundle).encode()
    yield wire.dump_xml(bundle)
    ack = answer(bundle, now=samples.WHEN.astimezone()).ack
    assert ack is not None
    yield json.dumps(acknowledgement.to_bundle(ack)).encode()
    yield from _enveloped(json.dumps(bundle).encode())
    yield from _edifact()


def _enveloped(fhir: bytes) -> Iterator[bytes]:
    from uuid import UUID

    from medcom_adapter.envelopes import fhir_payload, sbdh, vans

    sent = samples.WHEN.astimezone()
    yield vans.build(fhir_payload.wrap(fhir, sent=sent))
    instance = str(UUID(int=7))
    yield sbdh.build(sbdh.for_fhir(fhir, created=sent, instance_id=instance))


def _edifact() -> Iterator[bytes]:
    from medcom_adapter.edifact.interchange import build as build_edifact

    km = Emessage(Envelope("E0000001", samples.WHEN), (samples.clinical_email(),))
    yield build_edifact(km, "D9134L", line_breaks=True)
    binary = Emessage(Envelope("E0000002", samples.WHEN), (samples.binary_letter(),))
    yield build_edifact(binary, "B0131X")
