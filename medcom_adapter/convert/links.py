"""What a conversion keeps to answer for it (conversion rules v3.1.0, section 4.1).

A receipt in one form must name the message in the other: an XCTL names the XDIS91's (and
the XBIN01's) envelope and letter ids, an Acknowledgement the CareCommunication's
MessageHeader.id and repeats its latest Provenance. Neither form carries the other's ids, so
every conversion yields a :class:`Link` with both sides; the receipt conversions in
``convert.xctl_ack`` take it. A Link is plain data (``to_json``/``from_json`` for keeping it
beside the converted files).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.carecommunication import Activity, Event, Party

# The text MedCom's rules (table 5) have the conversion service add to a negative receipt
# when the CareCommunication it made was incomplete or carried a file type CareCommunication
# does not allow.
CONVERSION_FAILED = ("Konverteringen ml. XML/EDI og FHIR kunne ikke udføres korrekt pga. "
                     "tekniske el. indholdsmæssige forhold i meddelelsen.")


RECEIPT_MONTHS = 3  # how long the conversion waits for the receipts of its letters (4.5.1)


@dataclass(frozen=True, slots=True)
class OioxmlLetter:
    """One OIOXML letter of a conversion: what an XCTL about it names."""

    type_code: str  # XDIS91 or XBIN01
    envelope_id: str
    letter_id: str
    version_code: str  # e.g. XD9134L, XB0131X
    sender_ean: str
    receiver_ean: str


@dataclass(frozen=True, slots=True)
class Link:
    """One conversion: the FHIR message, the OIOXML letters (XDIS91 first), and how it went.

    ``event`` is the CareCommunication's own Provenance, which the Acknowledgement repeats.
    ``incomplete``: an attachment's file never came (use cases S1.A2/S1.A3);
    ``foreign_types``: an attachment has a file type CareCommunication does not allow
    (Forudsætning 6). Either makes a negative receipt carry :data:`CONVERSION_FAILED`.
    """

    bundle_id: str
    message_id: str
    sender: Party  # the FHIR sender (the XDIS91's sender)
    receiver: Party
    letters: tuple[OioxmlLetter, ...]
    event: Event
    incomplete: bool = False
    foreign_types: bool = False

    def __post_init__(self) -> None:
        if not self.letters:
            raise InvalidValue("a conversion links at least one OIOXML letter")

    @property
    def enrichment(self) -> str | None:
        """The conversion service's own reason, added to a negative receipt (table 5)."""
        return CONVERSION_FAILED if self.incomplete or self.foreign_types else None

    def expired(self, now: datetime) -> bool:
        """Whether the conversion service may have forgotten this conversion: 3 months after
        it (4.5.1); a receipt that comes later is passed on unconverted."""
        occurred = self.event.occurred
        month = occurred.month - 1 + RECEIPT_MONTHS
        year, month = occurred.year + month // 12, month % 12 + 1
        day = min(occurred.day, monthrange(year, month)[1])
        return now >= occurred.replace(year=year, month=month, day=day)

    def letter(self, envelope_id: str, letter_id: str) -> OioxmlLetter | None:
        return next((x for x in self.letters
                     if x.envelope_id == envelope_id and x.letter_id == letter_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id, "message_id": self.message_id,
            "sender": _party_json(self.sender), "receiver": _party_json(self.receiver),
            "letters": [{"type_code": x.type_code, "envelope_id": x.envelope_id,
                         "letter_id": x.letter_id, "version_code": x.version_code,
                         "sender_ean": x.sender_ean, "receiver_ean": x.receiver_ean}
                        for x in self.letters],
            "event": {"message_id": self.event.message_id,
                      "activity": self.event.activity.value,
                      "occurred": self.event.occurred.isoformat(),
                      "agent": _party_json(self.event.agent),
                      "segment_ids": list(self.event.segment_ids)},
            "incomplete": self.incomplete, "foreign_types": self.foreign_types,
        }

    @classmethod
    def from_json(cls, raw: Any) -> Link:
        try:
            event = raw["event"]
            return cls(
                bundle_id=str(raw["bundle_id"]), message_id=str(raw["message_id"]),
                sender=_party(raw["sender"]), receiver=_party(raw["receiver"]),
                letters=tuple(OioxmlLetter(**{k: str(v) for k, v in x.items()})
                              for x in raw["letters"]),
                event=Event(str(event["message_id"]), Activity(event["activity"]),
                            datetime.fromisoformat(event["occurred"]), _party(event["agent"]),
                            tuple(str(s) for s in event["segment_ids"])),
                incomplete=bool(raw.get("incomplete")),
                foreign_types=bool(raw.get("foreign_types")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValue(f"not a conversion record: {exc}") from None


def _party_json(party: Party) -> dict[str, str | None]:
    return {"sor": party.sor, "gln": party.gln, "name": party.name}


def _party(raw: Any) -> Party:
    return Party(str(raw["sor"]), str(raw["gln"]), raw.get("name"))
