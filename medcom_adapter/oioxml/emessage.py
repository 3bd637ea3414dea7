"""The Emessage envelope: whole OIOXML files in and out.

``parse`` takes bytes from a peer and returns a :class:`Document` (the model plus the
version each letter was in), raising a RemoteError for anything wrong. ``build`` takes the
model and the versions to write and returns bytes, raising a LocalError when the result
would not be valid. ``check`` validates without raising, for the CLI and certification.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from lxml import etree

from medcom_adapter import safe_xml
from medcom_adapter.conformance.built import seal
from medcom_adapter.conformance.leniency import model_warnings, reading
from medcom_adapter.errors import (
    InboundInvalid,
    InvalidValue,
    Issue,
    MedComError,
    OutboundInvalid,
    OwnCheck,
    RemoteError,
    UnknownMessage,
    UnsupportedInVersion,
)
from medcom_adapter.kinds import Kind
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.identifiers import LocationNumber, SorId
from medcom_adapter.model.letters import BinaryLetter, Referral
from medcom_adapter.model.message import Emessage, Envelope, Letter
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml import lifted, schemas, xbin, xctl, xdis91, xref01
from medcom_adapter.oioxml.common import Element, Reader, Writer, blame
from medcom_adapter.oioxml.versions import NAMESPACES, VERSIONS, Version, by_code, by_letter

DEFAULT_ENCODING = "ISO-8859-1"

Write = Callable[[Writer, Element, Letter, Version], None]
Read = Callable[[Reader, Version], Letter]

# Kind -> (model class, writer, reader)
_CODECS: dict[Kind, tuple[type, Callable[..., None], Read]] = {
    Kind.REFERRAL: (Referral, xref01.write, xref01.read),
    Kind.BINARY: (BinaryLetter, xbin.write, xbin.read),
    Kind.REFERRAL_ATTACHMENT: (BinaryLetter, xbin.write, xbin.read),
    Kind.CORRESPONDENCE: (ClinicalEmail, xdis91.write, xdis91.read),
    Kind.NEGATIVE_VANS_RECEIPT: (Receipt, xctl.write, xctl.read),
    Kind.NEGATIVE_RECEIPT: (Receipt, xctl.write, xctl.read),
    Kind.POSITIVE_RECEIPT: (Receipt, xctl.write, xctl.read),
}


@dataclass(frozen=True, slots=True)
class Document:
    """An OIOXML file as read: the model, each letter's version, the declared encoding."""

    message: Emessage
    versions: tuple[Version, ...]
    encoding: str = DEFAULT_ENCODING
    # our own checks the message fails: worth telling its sender, never a reason to refuse it
    warnings: tuple[Issue, ...] = ()

    @property
    def namespace(self) -> str:
        return self.versions[0].namespace


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``check`` found: the versions it recognised and every issue."""

    versions: tuple[Version, ...] = ()
    issues: tuple[Issue, ...] = field(default=())
    document: Document | None = None

    @property
    def valid(self) -> bool:
        return not any(not issue.warning for issue in self.issues)


# A Built is made by copying the bytes (a bytes subclass cannot take over a buffer): beyond
# this size the copy would be the largest thing held while building (a 20 MB attachment's
# XBIN twice, beside the attachment), so a larger file comes back as plain bytes, which
# whoever needs the proof checks on the bytes (submit; the outbox before it sends).
SEAL_LIMIT = 4 * 1024 * 1024


def build(
    message: Emessage,
    versions: Version | str | tuple[Version | str, ...],
    *,
    encoding: str = DEFAULT_ENCODING,
    validate: bool = True,
    allow_warnings: bool = False,
) -> bytes:
    """Serialise ``message``, one version per letter (or one for all), and validate it.

    Strict: besides the schema, what we build must pass our own checks too (the ones that
    are only warnings when we read), unless ``allow_warnings`` says the caller means it.
    Validated and at most ``SEAL_LIMIT`` long, the bytes are a
    :class:`~medcom_adapter.conformance.built.Built` (typed as bytes: whoever relies on the
    proof asks ``isinstance``)."""
    resolved = _resolve_versions(message, versions)
    namespace = resolved[0].namespace
    if any(v.namespace != namespace for v in resolved):
        raise UnsupportedInVersion(
            "all letters of one Emessage must share a namespace: "
            + ", ".join(f"{v.code} ({v.namespace})" for v in resolved)
        )
    w = Writer(namespace, splice=_ascii_compatible(encoding))
    root = etree.Element(f"{{{namespace}}}Emessage", nsmap=cast(Any, {None: namespace}))
    _write_envelope(w, root, message.envelope)
    for letter, version in zip(message.letters, resolved, strict=True):
        model_class, write, _ = _CODECS[version.kind]
        if not isinstance(letter, model_class):
            raise UnsupportedInVersion(
                f"{version.code} writes a {model_class.__name__}, not a {type(letter).__name__}"
            )
        write(w, root, letter, version)
    tree = root.getroottree()
    if validate:
        issues = schemas.validate(tree, resolved[0].schema_folder)
        if not issues and not allow_warnings:  # what reading it back would warn about
            issues = _advisories(tree) + model_warnings(message)
        if issues:
            raise OutboundInvalid(issues)
    # not pretty-printed: indentation would add text to mixed-content formatted text
    data = w.spliced(cast(bytes, etree.tostring(tree, encoding=encoding, xml_declaration=True)))
    # the tree validated (a spliced attachment's place holds a placeholder, an xs:string as
    # its base64 is): the bytes carry the proof, so nobody in this process checks them again
    return seal(data, (), w.placed) if validate and len(data) <= SEAL_LIMIT else data


def _ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` writes ASCII text as the same bytes (UTF-8, ISO-8859-1: yes;
    UTF-16: no), so base64 can be spliced into the serialised document."""
    try:
        return "Ab0+/=\n".encode(encoding) == b"Ab0+/=\n"
    except LookupError:
        return False


def _resolve_versions(
    message: Emessage, versions: Version | str | tuple[Version | str, ...]
) -> tuple[Version, ...]:
    given = versions if isinstance(versions, tuple) else (versions,) * len(message.letters)
    if len(given) != len(message.letters):
        raise UnsupportedInVersion(
            f"{len(message.letters)} letters but {len(given)} versions given"
        )
    return tuple(v if isinstance(v, Version) else by_code(v) for v in given)


def _write_envelope(w: Writer, root: Element, envelope: Envelope) -> None:
    holder = w.el(root, "Envelope")
    w.datetime(holder, "Sent", envelope.sent)
    w.el(holder, "Identifier", envelope.identifier)
    w.el(holder, "AcknowledgementCode", envelope.acknowledgement.value)


def parse(
    data: bytes, *, validate: bool = True, max_bytes: int = safe_xml.DEFAULT_MAX_BYTES
) -> Document:
    """Read an OIOXML file from a peer. Raises a RemoteError naming what and where."""
    tree, objects = lifted.load(data, max_bytes=max_bytes)
    versions = detect(tree)
    if validate:
        issues = schemas.validate(tree, versions[0].schema_folder)
        if issues:
            raise InboundInvalid(issues)
    return _document(tree, versions, objects)


def _document(tree: etree._ElementTree, versions: tuple[Version, ...],
              objects: Mapping[str, bytes]) -> Document:
    """The model of a schema-valid tree, our own checks' findings as warnings."""
    with reading() as found:
        message = _read(tree, versions, objects)
    return Document(message, versions, tree.docinfo.encoding or "UTF-8",
                    tuple(found) + tuple(_advisories(tree)))


def detect(tree: etree._ElementTree) -> tuple[Version, ...]:
    """The version of each letter, from the namespace, letter element and VersionCode."""
    root = tree.getroot()
    name = etree.QName(root)
    if name.localname != "Emessage":
        raise UnknownMessage(f"root element is {name.localname!r}, not an OIOXML Emessage")
    namespace = name.namespace or ""
    found: list[Version] = []
    for child in root:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        split = tag.rfind("}") + 1
        local = tag[split:]
        if local in ("Envelope", "Local_Elements"):
            continue
        version = by_letter(namespace, local)
        code = _version_code(child, tag[:split])
        if code is not None and code != version.code:
            raise UnknownMessage(
                f"{local} in namespace {namespace} is {version.code}, but says {code!r}"
            )
        found.append(version)
    if not found:
        if namespace not in NAMESPACES:
            raise UnknownMessage(f"unknown OIOXML namespace {namespace!r}")
        raise UnknownMessage("Emessage holds no letter")
    return tuple(found)


def _version_code(letter: etree._Element, prefix: str) -> str | None:
    """``findtext("Letter/VersionCode")``, without compiling a path: the text of the first
    VersionCode of the first Letter that has one."""
    for head in letter.iterchildren(prefix + "Letter"):
        for code in head.iterchildren(prefix + "VersionCode"):
            return code.text or ""
    return None


def _read(tree: etree._ElementTree, versions: tuple[Version, ...],
          objects: Mapping[str, bytes]) -> Emessage:
    for version in versions:
        if version.kind not in _CODECS:
            raise UnknownMessage(
                f"{version.code} is recognised and schema-checked, but not yet read into the model"
            )
    root = Reader(tree.getroot())
    envelope = root.sub("Envelope")
    assert envelope is not None  # schema-valid
    with blame(envelope.element):
        head = Envelope(
            identifier=envelope.text("Identifier"),
            sent=envelope.datetime("Sent"),
            acknowledgement=envelope.value("AcknowledgementCode", AcknowledgementCode),
        )
    letters = [
        child for child in root.element
        if isinstance(child.tag, str)
        and etree.QName(child).localname not in ("Envelope", "Local_Elements")
    ]
    return Emessage(
        head,
        tuple(_CODECS[v.kind][2](Reader(e, objects), v)
              for e, v in zip(letters, versions, strict=True)),
    )


def check(data: bytes, *, max_bytes: int = safe_xml.DEFAULT_MAX_BYTES) -> CheckResult:
    """Validate a file completely (schema and MedCom rules) and report, never raise."""
    try:
        tree, objects = lifted.load(data, max_bytes=max_bytes)
        versions = detect(tree)
    except RemoteError as exc:
        return CheckResult(issues=(_issue(exc),))
    issues = schemas.validate(tree, versions[0].schema_folder)
    if issues:
        return CheckResult(versions, tuple(issues))
    if any(v.kind not in _CODECS for v in versions):
        return CheckResult(versions, ())  # schema-valid; no model rules for this kind yet
    try:
        document = _document(tree, versions, objects)
    except MedComError as exc:
        return CheckResult(versions, (_issue(exc),))
    return CheckResult(versions, document.warnings, document)


def _advisories(tree: etree._ElementTree) -> list[Issue]:
    """Findings that do not invalidate a message but that its sender should fix: location
    numbers that are not GLNs, SOR ids that fail their check digit. One walk of the tree
    for both (on an XBIN the walk passes the attachment's text without reading it)."""
    gln: list[Issue] = []
    sor: list[Issue] = []
    root = tree.getroot()
    prefix = root.tag[: root.tag.rfind("}") + 1]
    ean_tag, code_tag = prefix + "EANIdentifier", prefix + "IdentifierCode"
    for element in root.iter(ean_tag, code_tag):
        if element.tag == code_tag:
            if element.text == "sorkode" and (issue := _sor_advisory(element)) is not None:
                sor.append(issue)
        elif (issue := _gln_advisory(element)) is not None:
            gln.append(issue)
    return gln + sor


def _sor_advisory(code: etree._Element) -> Issue | None:
    identifier = code.getprevious()
    if identifier is None:
        return None
    value = identifier.text or ""
    if _passes_sor_check(value):
        return None
    return Issue(str(OwnCheck.SOR_CHECK_DIGIT), f"SOR id {value}: fails its Verhoeff check digit",
                 schemas.element_path(identifier), schemas.line_of(identifier), warning=True)


def _gln_advisory(element: etree._Element) -> Issue | None:
    parent = element.getparent()
    if parent is None or _local(parent) not in ("Sender", "Receiver"):
        return None
    holder = parent.getparent()
    if holder is None:
        raise ValueError("a Sender or Receiver is never the root of an Emessage")
    if _local(holder) in _RECEIPT_LETTERS:
        return None  # receipts may name a VANS provider instead of a GLN
    if _is_gln(element.text or "?"):
        return None
    return Issue(str(OwnCheck.GLN_CHECK_DIGIT),
                 f"location number {element.text} is not a valid GLN (GS1 check digit)",
                 schemas.element_path(element), schemas.line_of(element), warning=True)


def _local(element: etree._Element) -> str:
    tag = element.tag
    assert isinstance(tag, str)  # an element's parent is an element
    return tag[tag.rfind("}") + 1:]


# The same few location numbers and SOR ids come in every message: each is judged once.
@functools.lru_cache(maxsize=4096)
def _is_gln(value: str) -> bool:
    return LocationNumber(value).gln is not None


@functools.lru_cache(maxsize=4096)
def _passes_sor_check(value: str) -> bool:
    """False only for a SOR-shaped id failing its check digit (one not SOR-shaped at all
    is medcom.identifier-shape's to report)."""
    try:
        return SorId(value).passes_verhoeff
    except InvalidValue:
        return True


_RECEIPT_LETTERS = frozenset(
    v.letter_element for v in VERSIONS if v.kind in (
        Kind.NEGATIVE_VANS_RECEIPT, Kind.NEGATIVE_RECEIPT, Kind.POSITIVE_RECEIPT)
)


def _issue(exc: MedComError) -> Issue:
    location = exc.location
    return Issue(
        exc.code,
        exc.message,
        location.path if location else None,
        location.line if location else None,
    )
