"""The receivers directory: who can be sent what (SOR id, EAN, name, region, message types).

A local copy of what SOR-EDI (later EER/EAS) says about each receiver, loaded from a JSON
file (an example with invented organisations is ``fixtures/network/receivers.json``). A
letter to a receiver that is not registered for its type and version is refused before it
is sent, with :class:`~medcom_adapter.errors.ReceiverDoesNotAccept`. Receipts and
acknowledgements are never checked: every receiver takes them.

A receiver names the channels it is reached on (``channels``, in preference order; see
:mod:`medcom_adapter.channels`). Without them it is reached on VANS, which carries every
type a receiver could accept before channels were named, so older files mean what they did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medcom_adapter import catalogue
from medcom_adapter.errors import (
    InvalidConfiguration,
    InvalidValue,
    ReceiverDoesNotAccept,
    UnknownReceiver,
)
from medcom_adapter.kinds import Kind
from medcom_adapter.model.identifiers import Gln, SorId
from medcom_adapter.oioxml.versions import VERSIONS

# answers every receiver takes, whatever it is registered for
ALWAYS_ACCEPTED = catalogue.ANSWERS
_ATTACHMENT_KINDS = (Kind.BINARY, Kind.REFERRAL_ATTACHMENT)  # how referral attachments travel
DEFAULT_CHANNELS = ("vans",)  # what every receiver was reached on before channels were named


@dataclass(frozen=True, slots=True)
class Receiver:
    sor: str
    ean: str
    name: str
    region: str | None = None
    accepts: Mapping[str, frozenset[str]] = field(default_factory=dict)  # type -> versions
    # how referral attachments travel to it: XBIN01 or XBIN02 (the version it takes, the newer
    # if it takes both), or a version by its code (XB0210X, XB0230X, ...)
    attachments: str = Kind.BINARY.value
    identifiers: Mapping[str, str] = field(default_factory=dict)  # e.g. sygehusafdelingsnummer
    form: str | None = None  # the region's referral form a referral to it must carry (PDF)
    department: str | None = None  # a letter names it apart from the organisation
    channels: tuple[str, ...] = DEFAULT_CHANNELS  # how it is reached, in preference order

    @property
    def label(self) -> str:
        """Organisation and department, for people."""
        return ", ".join(p for p in (self.name, self.department) if p)

    def accepts_message(self, kind: str, version: str) -> bool:
        return kind in ALWAYS_ACCEPTED or version in self.accepts.get(kind, frozenset())

    def check(self, kind: str, version: str) -> None:
        """Refuse, before sending, a message this receiver is not registered for."""
        if self.accepts_message(kind, version):
            return
        registered = ", ".join(f"{k} {'/'.join(sorted(v))}" for k, v in sorted(
            self.accepts.items())) or "nothing"
        raise ReceiverDoesNotAccept(
            f"{self.name} (EAN {self.ean}, SOR {self.sor}) does not accept {kind} {version};"
            f" registered for: {registered}")


@dataclass(frozen=True, slots=True)
class DnhfSettings:
    """DNHF's location number and the BUP receiver of each region."""

    ean: str
    bup_by_region: Mapping[str, str]  # region -> the BUP department's SOR id


class Directory:
    def __init__(self, receivers: Iterable[Receiver], dnhf: DnhfSettings | None = None) -> None:
        self.receivers = tuple(receivers)
        self.dnhf = dnhf
        self._by_ean: dict[str, Receiver] = {}
        self._by_sor: dict[str, Receiver] = {}
        for r in self.receivers:
            if r.sor in self._by_sor:
                raise InvalidConfiguration(f"SOR id {r.sor} is listed twice in the directory")
            self._by_sor[r.sor] = r
            self._by_ean.setdefault(r.ean, r)  # SOR units may share an inherited EAN

    def by_ean(self, ean: str) -> Receiver:
        try:
            return self._by_ean[ean]
        except KeyError:
            raise UnknownReceiver(f"no receiver with location number {ean} in the directory") \
                from None

    def by_sor(self, sor: str) -> Receiver:
        try:
            return self._by_sor[sor]
        except KeyError:
            raise UnknownReceiver(f"no receiver with SOR id {sor} in the directory") from None

    def by_identifier(self, code: str, value: str) -> Receiver:
        """The receiver a letter names by ``Identifier``/``IdentifierCode``."""
        if code == "sorkode" and value in self._by_sor:
            return self._by_sor[value]
        for r in self.receivers:
            if r.identifiers.get(code) == value:
                return r
        raise UnknownReceiver(f"no receiver with {code} {value} in the directory")

    def bup_for(self, region: str) -> Receiver:
        if self.dnhf is None:
            raise InvalidConfiguration("the directory has no DNHF settings")
        try:
            return self.by_sor(self.dnhf.bup_by_region[region])
        except KeyError:
            raise UnknownReceiver(f"no BUP receiver configured for region {region!r}") from None

    @classmethod
    def load(cls, path: Path) -> Directory:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InvalidConfiguration(f"{path}: not JSON: {exc}") from exc
        return cls.from_json(raw, where=str(path))

    @classmethod
    def from_json(cls, raw: Any, *, where: str = "directory") -> Directory:
        if not isinstance(raw, dict) or not isinstance(raw.get("receivers"), list):
            raise InvalidConfiguration(f"{where}: expected an object with a 'receivers' list")
        receivers = [_receiver(item, f"{where}: receivers[{i}]")
                     for i, item in enumerate(raw["receivers"])]
        dnhf = _dnhf(raw["dnhf"], f"{where}: dnhf") if "dnhf" in raw else None
        directory = cls(receivers, dnhf)
        if dnhf is not None:
            for region, sor in dnhf.bup_by_region.items():
                if sor not in directory._by_sor:
                    raise InvalidConfiguration(
                        f"{where}: dnhf.bup[{region!r}]: SOR id {sor} is not in the directory")
        return directory


# How referral attachments travel to a receiver: a type (XBIN01, XBIN02) or one of its versions
_ATTACHMENT_CHOICES = frozenset({k.value for k in _ATTACHMENT_KINDS}
                                | {v.code for v in VERSIONS if v.kind in _ATTACHMENT_KINDS})

_RECEIVER_KEYS = {"sor", "ean", "name", "region", "accepts", "attachments", "identifiers",
                  "form", "department", "channels"}


def _receiver(item: Any, where: str) -> Receiver:
    if not isinstance(item, dict):
        raise InvalidConfiguration(f"{where}: expected an object")
    if unknown := set(item) - _RECEIVER_KEYS:
        raise InvalidConfiguration(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    for key in ("sor", "ean", "name"):
        if not isinstance(item.get(key), str):
            raise InvalidConfiguration(f"{where}.{key}: required text")
    for key in ("form", "department"):
        if not isinstance(item.get(key, ""), str):
            raise InvalidConfiguration(f"{where}.{key}: expected text")
    try:
        SorId(item["sor"])
        Gln(item["ean"])
    except InvalidValue as exc:
        raise InvalidConfiguration(f"{where}: {exc}") from exc
    accepts = item.get("accepts", {})
    if not isinstance(accepts, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in accepts.values()
    ):
        raise InvalidConfiguration(f"{where}.accepts: expected {{type: [versions]}}")
    attachments = item.get("attachments", Kind.BINARY.value)
    if attachments not in _ATTACHMENT_CHOICES:
        raise InvalidConfiguration(f"{where}.attachments: one of "
                                   f"{', '.join(sorted(_ATTACHMENT_CHOICES))}, not {attachments!r}")
    channels = item.get("channels", list(DEFAULT_CHANNELS))
    if not isinstance(channels, list) or not channels or not all(
        isinstance(c, str) and c for c in channels
    ):
        raise InvalidConfiguration(f"{where}.channels: expected a list of channel names")
    identifiers = item.get("identifiers", {})
    if not isinstance(identifiers, dict):
        raise InvalidConfiguration(f"{where}.identifiers: expected {{code: value}}")
    return Receiver(
        sor=item["sor"], ean=item["ean"], name=item["name"], region=item.get("region"),
        accepts={k: frozenset(v) for k, v in accepts.items()}, attachments=attachments,
        identifiers={str(k): str(v) for k, v in identifiers.items()},
        form=item.get("form"), department=item.get("department"),
        channels=tuple(dict.fromkeys(channels)),
    )


def _dnhf(item: Any, where: str) -> DnhfSettings:
    if not isinstance(item, dict) or not isinstance(item.get("ean"), str) or not isinstance(
        item.get("bup"), dict
    ):
        raise InvalidConfiguration(f"{where}: expected {{'ean': ..., 'bup': {{region: sor}}}}")
    try:
        Gln(item["ean"])
    except InvalidValue as exc:
        raise InvalidConfiguration(f"{where}: {exc}") from exc
    return DnhfSettings(item["ean"], {str(k): str(v) for k, v in item["bup"].items()})
