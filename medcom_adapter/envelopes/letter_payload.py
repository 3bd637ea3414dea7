"""An OIOXML Emessage or EDIFACT interchange in an ehmiSBDH: which header fields and
scopes it gets, every one read from the letter or MedCom's EHMI registry.

The dk-ehmi-sbdh 2.0.1 guide spells out the fields for FHIR and says OIOXML and EDIFACT
are "described in a later version"; what it does say for every message is followed here:

- BinaryContent carries the file base64-encoded, unchanged; ``mimeType`` ``text/xml`` for
  OIOXML and ``text/edi`` for EDIFACT (the guide's outcome space: text/xml, text/edi,
  fhir/xml, fhir/json), ``encoding`` the file's own (UTF-8 or ISO-8859-1, the two the guide
  and its schema allow; an EDIFACT interchange's UNOA/UNOB/UNOC is ISO-8859-1);
- DOCUMENTID is the message's code in MedCom's registry (:mod:`.registry`); a version the
  registry does not list is refused (``local.ehmi-unregistered``), never given a made-up id;
- Standard and TypeVersion repeat the DOCUMENTID's type and version, as they do for FHIR
  (``carecommunication-message`` / ``5.0``): ``xref01`` / ``xh0131r``; Type is the
  message's start tag, as ``Bundle`` is FHIR's: ``Emessage``, or ``UNB`` for EDIFACT;
- PROCESSID is ``urn:ehmi:sdn-emergence`` ("Always");
- SENDERID/RECEIVERID are the parties' SOR codes: the letter's own Sender/Receiver
  Identifier when its IdentifierCode is ``sorkode`` (as in MedCom's sample, whose scopes
  repeat its XREF01's), else what the caller knows; an EDS report cannot be made without
  them, so a party without one is refused;
- MESSAGEIDENTIFIER is the letter id and MESSAGEENVELOPEIDENTIFIER the Emessage envelope
  (or UNB interchange) id: MessageHeader.id and Bundle.id's counterparts, and the pair
  VANS reliable messaging keys on;
- PATIENTID is the letter's CPR (receipts have none); StatisticalInformation is
  ``MCM:`` + Standard (the guide's formula; no postfix is designated for these).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from medcom_adapter.detect import Syntax, sniff
from medcom_adapter.envelopes.registry import RegistryEntry, code_of
from medcom_adapter.envelopes.sbdh import Sbdh, actor_id, message_scopes
from medcom_adapter.errors import InvalidValue, MedComError, NotInEhmiRegistry
from medcom_adapter.model.message import Emessage
from medcom_adapter.model.receipts import Receipt

MIME_TYPES = {"oioxml": "text/xml", "edifact": "text/edi"}
START_TAGS = {"oioxml": "Emessage", "edifact": "UNB"}
ENCODINGS = {"UTF-8": "UTF-8", "UTF8": "UTF-8", "ISO-8859-1": "ISO-8859-1",
             "ISO8859-1": "ISO-8859-1", "LATIN-1": "ISO-8859-1", "LATIN1": "ISO-8859-1"}
_SOR_CODE = "sorkode"


@dataclass(frozen=True, slots=True)
class LetterFacts:
    """What an OIOXML or EDIFACT file says about itself that its ehmiSBDH repeats."""

    syntax: str  # oioxml or edifact
    entry: RegistryEntry
    encoding: str
    envelope_id: str
    message_id: str
    sender_gln: str
    receiver_gln: str
    sender_sor: str | None
    receiver_sor: str | None
    patient: str | None = field(repr=False)

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.syntax]

    @property
    def standard(self) -> str:
        return self.entry.type

    @property
    def statistical_information(self) -> str:
        return f"MCM:{self.standard}"


def read_letter(data: bytes) -> LetterFacts:
    """The facts of an OIOXML or EDIFACT file; InvalidValue when it cannot be read,
    NotInEhmiRegistry when its version has no registry code."""
    try:
        syntax, message, version, encoding = _read(data)
    except (MedComError, ValueError) as exc:
        if isinstance(exc, NotInEhmiRegistry):
            raise
        text = exc.message if isinstance(exc, MedComError) else str(exc)
        raise InvalidValue(f"cannot put this letter in an ehmiSBDH: {text}") from None
    if len(message.letters) != 1:
        raise InvalidValue("an ehmiSBDH names one MESSAGEIDENTIFIER: the file must hold one "
                           f"letter, not {len(message.letters)}")
    letter = message.letters[0]
    entry = code_of(syntax, version)
    if isinstance(letter, Receipt):
        return LetterFacts(syntax, entry, encoding, message.envelope.identifier,
                           letter.identifier, letter.sender_ean, letter.receiver_ean,
                           None, None, None)
    patient = getattr(letter, "patient", None)
    return LetterFacts(
        syntax, entry, encoding, message.envelope.identifier, letter.letter.identifier,
        str(letter.sender.ean), str(letter.receiver.ean),
        _sor(letter.sender.identifier, letter.sender.identifier_code.value),
        _sor(letter.receiver.identifier, letter.receiver.identifier_code.value),
        str(patient.id) if patient is not None else None)


def _sor(identifier: str, code: str) -> str | None:
    return identifier if code == _SOR_CODE else None


def _read(data: bytes) -> tuple[str, Emessage, str, str]:
    if sniff(data) is Syntax.EDIFACT:
        from medcom_adapter.edifact import interchange

        edifact = interchange.parse(data)
        return "edifact", edifact.message, edifact.versions[0].code, "ISO-8859-1"
    from medcom_adapter.oioxml import emessage

    document = emessage.parse(data)
    declared = document.encoding.upper()
    if declared not in ENCODINGS:
        raise InvalidValue(f"the file is encoded {document.encoding}; an ehmiSBDH carries "
                           "UTF-8 or ISO-8859-1")
    return "oioxml", document.message, document.versions[0].code, ENCODINGS[declared]


def for_letter(
    data: bytes,
    *,
    created: datetime,
    instance_id: str,
    sender_sor: str | None = None,
    receiver_sor: str | None = None,
    receipt: bool = True,
) -> Sbdh:
    """The ehmiSBDH for an OIOXML or EDIFACT file of ours. ``sender_sor``/``receiver_sor``
    are used where the letter names a party by another identifier than its SOR code (a
    receipt names none); ``receipt`` asks for an envelope receipt."""
    facts = read_letter(data)
    sender = facts.sender_sor or sender_sor
    receiver = facts.receiver_sor or receiver_sor
    for scope, value in (("SENDERID", sender), ("RECEIVERID", receiver)):
        if not value:
            raise InvalidValue(f"the ehmiSBDH's {scope} needs the SOR code of the "
                               f"{'sender' if scope == 'SENDERID' else 'receiver'}; the "
                               "letter names none and none was given")
    assert sender is not None and receiver is not None
    scopes = message_scopes(
        facts.entry.code, facts.patient or None, sender, receiver, facts.message_id,
        facts.envelope_id, facts.statistical_information,
        receipt_for=(instance_id, created) if receipt else None)
    return Sbdh(
        sender=actor_id(facts.sender_gln), receiver=actor_id(facts.receiver_gln),
        standard=facts.standard, type_version=facts.entry.version, instance_id=instance_id,
        created=created, scopes=scopes, content=data, mime_type=facts.mime_type,
        encoding=facts.encoding, type=START_TAGS[facts.syntax],
    )
