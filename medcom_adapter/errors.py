"""The one error tree of medcom-adapter.

Every error the library raises on purpose is a :class:`MedComError`. Each carries a stable
machine ``code`` (never reworded; safe to match on), a human ``message``, an optional
``location`` (element path and line, or a field name) and the MedCom negative-receipt
reason (``RefuseCode``) a receiver should answer with when the error concerns an inbound
message.

Blame is explicit, as in h11: *local* errors mean we (or our caller) built something
invalid; *remote* errors mean a peer sent us something invalid. Only remote errors lead to
a negative receipt; local errors are bugs or bad requests to fix before sending.

::

    MedComError
    ├── LocalError                      we or our caller are at fault
    │   ├── InvalidValue                 a model value breaks a rule     local.invalid-value
    │   ├── UnsupportedInVersion         the chosen version cannot carry this content
    │   │                                local.unsupported-in-version
    │   ├── OutboundInvalid              a message we built fails our    local.schema
    │   │                                schema (issues attached)
    │   ├── UnknownReceiver              no receivers-directory entry     local.unknown-receiver
    │   │                                for a location number
    │   ├── ReceiverDoesNotAccept        the receiver is not registered   local.receiver-refuses
    │   │                                for this message type/version
    │   ├── InvalidConfiguration         a receivers directory, network   local.configuration
    │   │                                or mailbox setting is wrong
    │   ├── TransportFailure             a file could not be handed to    local.transport
    │   │   │                            or taken from the network
    │   │   ├── EhmiUnavailable          an EHMI service is unreachable,  local.ehmi-unavailable
    │   │   │   │                        slow or failing: retry later
    │   │   │   └── EhmiAuthRefused      certificate or token refused     local.ehmi-auth
    │   │   └── EhmiRefused              an EHMI service refuses the      local.ehmi-refused
    │   │                                request itself
    │   ├── ResendRefused                MedCom's resend rules forbid    local.resend-refused
    │   │                                this resend (limit, not due,
    │   │                                not deliberate, acknowledged)
    │   ├── LaunchRefused                a launch URL is forged, expired local.launch-refused
    │   │                                or already used (service)
    │   └── UploadRefused                an upload or a request's file   local.upload-refused
    │                                    is too large, not the type it
    │                                    claims, or outside its folder
    └── RemoteError                     a peer's message is at fault
        ├── MalformedMessage             not well-formed XML, bad        remote.malformed
        │                                encoding, truncated, empty
        ├── UnsafeMessage                DTD / entity declarations       remote.unsafe
        ├── MessageTooLarge              over the configured size limit  remote.too-large
        ├── UnknownMessage               namespace, letter or version    remote.unknown-version
        │                                we do not know
        ├── InboundInvalid               fails the schema of its version remote.schema
        ├── InconsistentMessage          valid XML, broken MedCom rule   remote.inconsistent
        │                                (bad CPR date, GLN check digit,
        │                                base64, size mismatch, ...)
        └── EdifactError                 an EDIFACT interchange is at fault; each names its
            │                            segment number, line and column
            ├── EdifactSyntaxError       bad segment tag, release         remote.edifact.syntax
            │                            character, unterminated segment
            ├── EdifactCharsetError      not UNOC (ISO-8859-1) or bytes   remote.edifact.charset
            │                            its character set cannot carry
            ├── EdifactCountError        UNT / UNZ / UNP counts or        remote.edifact.count
            │                            references that do not match
            ├── EdifactTruncated         binary object or interchange     remote.edifact.truncated
            │                            ends early
            └── EdifactStructureError    a segment missing, unexpected    remote.edifact.structure
                                         or holding a value MedCom's
                                         mapping does not know

The local journal's errors are local errors too::

    LocalError
    └── JournalError                    the journal cannot do what was  local.journal
        │                               asked (bad URL, missing driver)
        ├── JournalKeyError              no key, or a row is under a key local.journal-key
        │                                we do not hold
        ├── JournalCorrupt               a stored row fails its          local.journal-corrupt
        │                                authentication (tampering)
        ├── SupersedeRefused             a henvisning correction names   local.journal-supersedes
        │                                another unit's or course's
        │                                record
        └── TransitionRefused            a status change the state table local.journal-status
                                         forbids, or whose message left
                                         the named status meanwhile

What the machine cannot give us now is neither side's fault::

    LocalError
    └── ResourceFault                   disk full, read-only file       local.resource
                                        system, lost database
                                        connection: safe to retry later

Our own checks, stricter than MedCom's rules, never refuse a received message: they are
warnings (an :class:`Issue` with ``warning=True``) with the stable codes of
:class:`OwnCheck`, and refusals only for what we build.

``LocalError.as_remote()`` turns a value error found while reading a peer's message into the
matching remote error, so parsers can reuse the model's validation and still blame the
sender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class RefuseCode(StrEnum):
    """MedCom's reasons for a negative receipt (XCTL02 RefuseCode / CONTRL FTX qualifier)."""

    NOT_SPECIFIED = "ikke_specificeret"
    UNKNOWN_LOCATION_NUMBER = "ukendt_lokationsnummer"
    RECEIVER_ID_PROBLEM = "problem_med_modtagerID"
    VERSION_PROBLEM = "problem_med_version"
    SYNTAX_ERROR = "syntaksfejl"


class OwnCheck(StrEnum):
    """Codes of our own checks: refused when we build, warnings when we read."""

    IDENTIFIER_SHAPE = "medcom.identifier-shape"  # an Identifier not shaped as its code says
    CPR_DATE = "medcom.cpr-date"  # a CPR number whose date part is no calendar date
    GLN_CHECK_DIGIT = "medcom.gln-check-digit"  # an EANIdentifier failing GS1's check digit
    SOR_CHECK_DIGIT = "medcom.sor-check-digit"  # a SOR id failing its Verhoeff check digit
    OBJECT_SIZE = "medcom.object-size"  # a declared binary size the object does not have
    SKS_CODE = "medcom.sks-code"  # an SKSdiagnosekode that is not shaped as one
    # a Referrer's Identifier without its IdentifierCode, or the reverse: MedCom's schema
    # has each optional on its own
    REFERRER_IDENTIFIER = "medcom.referrer-identifier"
    # UNZ's message count and reference, UNP's repetition of its UNO: MedCom's converter
    # reads interchanges whose trailers disagree (it checks UNT only)
    EDIFACT_TRAILER = "medcom.edifact-trailer"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem is: an element path (``HospitalReferral/Patient/...``) and/or a line."""

    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.path, f"line {self.line}" if self.line else None) if p]
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding of a validation: stable code, location, message.

    ``warning`` findings do not make a message invalid (e.g. a location number with a wrong
    GS1 check digit in a received message: routable, but worth telling its sender).
    """

    code: str
    message: str
    path: str | None = None
    line: int | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = Location(self.path, self.line)
        return f"[{self.code}] {where}: {self.message}" if str(where) else self.message


class MedComError(Exception):
    """Base of every error medcom-adapter raises on purpose."""

    code: str = "medcom"
    receipt_reason: RefuseCode = RefuseCode.NOT_SPECIFIED

    def __init__(self, message: str, *, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.message} ({self.location})" if self.location and str(self.location) else (
            self.message
        )


class LocalError(MedComError):
    """We, or the code calling us, built something invalid."""

    code = "local"

    def as_remote(self) -> RemoteError:
        """The same problem, blamed on the peer whose message contained it."""
        return InconsistentMessage(self.message, location=self.location)


class InvalidValue(LocalError, ValueError):
    """A model value breaks a MedCom rule (identifier format, length, cardinality...)."""

    code = "local.invalid-value"


class UnsupportedInVersion(LocalError):
    """The chosen message version has no way to carry part of the model."""

    code = "local.unsupported-in-version"


class JournalError(LocalError):
    """The local journal cannot do what was asked (unknown URL scheme, driver missing...)."""

    code = "local.journal"


class JournalKeyError(JournalError):
    """No journal key is configured, or a row is encrypted under a key we do not hold."""

    code = "local.journal-key"


class JournalCorrupt(JournalError):
    """A stored row fails authenticated decryption: it was changed outside the journal."""

    code = "local.journal-corrupt"


class SupersedeRefused(JournalError):
    """A §126a henvisning correction or withdrawal names a record of another unit or
    another course: it would hide that record from its own unit's export."""

    code = "local.journal-supersedes"


class TransitionRefused(JournalError):
    """A status change the state table (``reliable.states``) does not allow, or one that
    names a status the message has already left (another process changed it first)."""

    code = "local.journal-status"

    def __init__(self, message: str, *, current: str | None = None) -> None:
        super().__init__(message)
        self.current = current


class ResourceFault(LocalError):
    """The disk is full or read-only, or the database connection is lost. Nothing was
    half-written (the last commit stands); trying again once the resource is back is safe."""

    code = "local.resource"


class _IssuesMixin:
    issues: tuple[Issue, ...]

    @staticmethod
    def _summary(prefix: str, issues: Sequence[Issue]) -> str:
        first = str(issues[0]) if issues else "no detail"
        more = f" (+{len(issues) - 1} more)" if len(issues) > 1 else ""
        return f"{prefix}: {first}{more}"


class OutboundInvalid(LocalError, _IssuesMixin):
    """A message we built does not validate against its schema."""

    code = "local.schema"

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        first = self.issues[0] if self.issues else None
        super().__init__(
            self._summary("built message is invalid", self.issues),
            location=Location(first.path, first.line) if first else None,
        )


class UnknownReceiver(LocalError):
    """No entry in the receivers directory for the location number or SOR id given."""

    code = "local.unknown-receiver"


class ReceiverDoesNotAccept(LocalError):
    """The receiver is not registered for the message type and version: refused before sending."""

    code = "local.receiver-refuses"


class InvalidConfiguration(LocalError):
    """A receivers directory, network or mailbox setting is missing or wrong."""

    code = "local.configuration"


class TransportFailure(LocalError):
    """A file could not be handed to, or taken from, the network (disk, folder, peer)."""

    code = "local.transport"


class EhmiUnavailable(TransportFailure):
    """An EHMI service (EDS, EER, the token endpoint) did not answer in time, could not be
    reached, or failed on its side: safe to try again later."""

    code = "local.ehmi-unavailable"


class EhmiAuthRefused(EhmiUnavailable):
    """An EHMI service refused our client certificate or access token, also after a new
    token: the enrolment (client id, certificate, scopes) needs the operator."""

    code = "local.ehmi-auth"


class EhmiRefused(TransportFailure):
    """An EHMI service refused the request itself (a report it will not store, a search it
    cannot answer): sending it again would not help."""

    code = "local.ehmi-refused"


class NotInEhmiRegistry(LocalError):
    """The message version has no code in MedCom's EHMI message registry, so it cannot be
    put in an ehmiSBDH (its DOCUMENTID would be invented)."""

    code = "local.ehmi-unregistered"


class ResendRefused(LocalError):
    """MedCom's reliable-messaging rules forbid this resend (limit, not due, not deliberate)."""

    code = "local.resend-refused"


class LaunchRefused(LocalError):
    """A launch URL that cannot open a page: ``reason`` is ``invalid``, ``expired`` or ``used``."""

    code = "local.launch-refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class UploadRefused(LocalError):
    """An uploaded file, or one a request names, is too large, not the type required, or
    outside the request's folder."""

    code = "local.upload-refused"


class RemoteError(MedComError):
    """A peer sent something invalid; answer with a negative receipt."""

    code = "remote"


class MalformedMessage(RemoteError):
    """Not well-formed: not XML, truncated, wrong or mixed encoding, empty."""

    code = "remote.malformed"
    receipt_reason = RefuseCode.SYNTAX_ERROR


class UnsafeMessage(RemoteError):
    """Contains constructs we never process (DTDs, entity declarations)."""

    code = "remote.unsafe"
    receipt_reason = RefuseCode.SYNTAX_ERROR


class MessageTooLarge(RemoteError):
    """Larger than the configured limit (default 100 MB, as on VANS)."""

    code = "remote.too-large"
    receipt_reason = RefuseCode.NOT_SPECIFIED


class UnknownMessage(RemoteError):
    """A namespace, letter type or VersionCode we do not support."""

    code = "remote.unknown-version"
    receipt_reason = RefuseCode.VERSION_PROBLEM


class InboundInvalid(RemoteError, _IssuesMixin):
    """A received message does not validate against the schema of its version."""

    code = "remote.schema"
    receipt_reason = RefuseCode.SYNTAX_ERROR

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        first = self.issues[0] if self.issues else None
        super().__init__(
            self._summary("message is invalid", self.issues),
            location=Location(first.path, first.line) if first else None,
        )


class InconsistentMessage(RemoteError):
    """Schema-valid, but breaks a MedCom rule the schema cannot express."""

    code = "remote.inconsistent"
    receipt_reason = RefuseCode.NOT_SPECIFIED


class EdifactError(RemoteError):
    """An EDIFACT interchange is at fault. ``segment`` is the segment's number in the
    interchange (UNB is 1), ``line`` and ``column`` are 1-based positions in the file."""

    code = "remote.edifact"
    receipt_reason = RefuseCode.SYNTAX_ERROR

    def __init__(
        self,
        message: str,
        *,
        segment: int | None = None,
        tag: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.segment, self.tag, self.line, self.column = segment, tag, line, column
        path = " ".join(p for p in (f"segment {segment}" if segment else "",
                                      f"({tag})" if tag else "") if p)
        if column:
            path = f"{path}, column {column}" if path else f"column {column}"
        super().__init__(message, location=Location(path or None, line))


class EdifactSyntaxError(EdifactError):
    """Not EDIFACT as MedCom writes it: bad tag, release character, separators."""

    code = "remote.edifact.syntax"


class EdifactCharsetError(EdifactError):
    """A character set other than UNOC (ISO-8859-1), or bytes the declared set lacks."""

    code = "remote.edifact.charset"


class EdifactCountError(EdifactError):
    """UNT, UNZ or UNP states a count or reference the interchange does not have."""

    code = "remote.edifact.count"


class EdifactTruncated(EdifactError):
    """The interchange (or a binary object inside it) ends before it should."""

    code = "remote.edifact.truncated"


class EdifactStructureError(EdifactError):
    """A segment is missing, unexpected, or holds a value MedCom's mapping does not know."""

    code = "remote.edifact.structure"


__all__ = [
    "EdifactCharsetError",
    "EdifactCountError",
    "EdifactError",
    "EdifactStructureError",
    "EdifactSyntaxError",
    "EdifactTruncated",
    "EhmiAuthRefused",
    "EhmiRefused",
    "EhmiUnavailable",
    "InboundInvalid",
    "InconsistentMessage",
    "InvalidConfiguration",
    "InvalidValue",
    "Issue",
    "LaunchRefused",
    "LocalError",
    "Location",
    "MalformedMessage",
    "MedComError",
    "MessageTooLarge",
    "OutboundInvalid",
    "OwnCheck",
    "ReceiverDoesNotAccept",
    "RefuseCode",
    "RemoteError",
    "ResendRefused",
    "TransportFailure",
    "UnknownMessage",
    "UnknownReceiver",
    "UnsafeMessage",
    "UnsupportedInVersion",
    "UploadRefused",
]
