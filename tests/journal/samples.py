"""Journal test messages: MedCom test persons, invented organisations, a tiny PDF."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from medcom_adapter.journal.interface import Attachment, Direction, NewMessage
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.identifiers import Cpr, SorId

CPR = Cpr("0201909309")
OTHER_CPR = Cpr("2512489996")
COURSE = UUID("5c0b3c8e-8a57-4f0e-9d52-0c7c2b7c1a11")
UNIT = SorId("1234561000016000")
PDF_SENTENCE = b"Barnet har haft svaert ved at sove i flere maaneder."
PDF = b"%PDF-1.4\n1 0 obj<<>>stream\nBT (" + PDF_SENTENCE + b") Tj ET\nendstream\n%%EOF\n"


def referral(n: int = 1, *, patient: Cpr = CPR, episode: str | None = None,
             classified: bool = True) -> NewMessage:
    """An outbound XREF01 with one PDF attachment and its §126a classification."""
    episode = episode or str(COURSE)
    body = (f"<Emessage><Envelope><Identifier>ENV{n:08d}</Identifier></Envelope>"
            f"<HospitalReferral><Patient>{patient.value}</Patient></HospitalReferral>"
            "</Emessage>").encode()
    classification = Classification(
        UUID(episode), date(2024, 3, 1), patient, UNIT, (Henvisning.CHILD_PSYCHIATRY,)
    ) if classified else None
    return NewMessage(
        direction=Direction.OUTBOUND, kind="XREF01", version="XH0131R", data=body,
        envelope_id=f"ENV{n:08d}", message_id=f"LET{n:08d}",
        sender_ean="5790000123456", receiver_ean="5790000654321",
        sender_sor=UNIT.value, receiver_sor="7654321000016000",
        patient=patient, episode_id=episode,
        attachments=(Attachment("OBJ-1", "application/pdf", PDF, "Henvisningsskema"),),
        classification=classification,
    )


def receipt(answers: int, n: int = 900) -> NewMessage:
    """An inbound positive XCTL01 answering journal entry ``answers``."""
    return NewMessage(
        direction=Direction.INBOUND, kind="XCTL01", version="XC0130Q",
        data=f"<Emessage><Receipt>{n}</Receipt></Emessage>".encode(),
        envelope_id=f"RCP{n:08d}", message_id=f"RCL{n:08d}", answers=answers,
    )
