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
