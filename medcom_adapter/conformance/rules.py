"""The rule registry: every rule the adapter checks, its severity when we read, and its source.

A message we read is invalid only where MedCom's schemas, profiles or written rules make it
so: a rule whose source is :data:`OWN` is a warning, never a refusal (``tests/conformance``
holds the registry to that). What we build is held to every rule, warnings included.

``python -m medcom_adapter.conformance.rules --write docs/rules.md`` writes the table into the
docs (without ``--write`` it prints it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from medcom_adapter.errors import OwnCheck

OWN = "our own check, warning only"


class Severity(StrEnum):
    ERROR = "error"  # the message is invalid: refused, negative receipt
    WARNING = "warning"  # reported to whoever reads it; the message is valid


@dataclass(frozen=True, slots=True)
class Rule:
    code: str  # the stable Issue / error code
    severity: Severity  # when we read; what we build must pass warnings too
    what: str
    source: str  # MedCom document and section, schema, profile invariant key; or OWN

    @property
    def own(self) -> bool:
        return self.source.startswith(OWN)


_E, _W = Severity.ERROR, Severity.WARNING
_OIOXML = "MedCom OIOXML schema of the letter's version (EMessage.xsd of its namespace folder)"
_EDIFACT = ("MedCom's EDIFACT syntax (UN/EDIFACT ISO 9735 as MedCom's implementation guides "
            "use it), as MedCom's own EDIFACT converter reads it")
_FHIR = "the MedCom FHIR profile named in the message (StructureDefinition, {})"

_STATIC: tuple[Rule, ...] = (
    # -- any syntax --------------------------------------------------------------------------
    Rule("remote.malformed", _E, "well-formed XML, JSON or EDIFACT in its declared encoding; "
         "not empty, not truncated", "XML 1.0 / RFC 8259 / ISO 9735: every MedCom message is "
         "a document of its syntax"),
    Rule("remote.unsafe", _E, "no DTD or entity declaration", "OIOXML and FHIR messages are "
         "schema-defined documents without a DTD (safety: entities can expand or fetch "
         "content)"),
    Rule("remote.too-large", _E, "the message is within the configured size limit (default "
         "100 MB)", "VANS: MedCom's network carries messages up to 100 MB"),
    Rule("remote.unknown-version", _E, "namespace, letter element and VersionCode (or "
         "MessageDefinition) name a version MedCom lists and we read; the legacy sets are "
         "refused naming their version", "MedCom's message registry (EHMI terminology "
         "message types) and each standard's version table"),
    Rule("remote.inconsistent", _E, "schema-valid, but breaks a written MedCom rule: base64 "
         "of a binary object, a VANSEnvelope's SizeInBytes, a FHIR reference that does not "
         "resolve", "the standard's documentation (XBIN01/XBIN02 Object_Base64Encoded; Den "
         "Gode VANSEnvelope Document/SizeInBytes; FHIR Bundle rules)"),
    # -- OIOXML ------------------------------------------------------------------------------
    Rule("remote.schema", _E, "the letter validates against the schema of its version (each "
         "schema finding is reported under its xsd.* code below)", _OIOXML),
    Rule("xsd.structure", _E, "elements present, in order, allowed", _OIOXML),
    Rule("xsd.code", _E, "a code is one of the schema's enumeration", _OIOXML),
    Rule("xsd.pattern", _E, "a value matches the schema's pattern (CPR: 10 digits)", _OIOXML),
    Rule("xsd.length", _E, "a value's length is within the schema's bounds (Identifier "
         "1-17 characters, EANIdentifier 1-35)", _OIOXML),
    Rule("xsd.datatype", _E, "a value is of its XML Schema type (date, time, integer)",
         _OIOXML),
    Rule("xsd.invalid", _E, "any other schema rule", _OIOXML),
    # -- EDIFACT -----------------------------------------------------------------------------
    Rule("remote.edifact.syntax", _E, "segment tags, separators, release character", _EDIFACT),
    Rule("remote.edifact.charset", _E, "UNOC (ISO-8859-1), bytes its character set carries",
         _EDIFACT),
    Rule("remote.edifact.count", _E, "UNT counts its message's segments; a binary object's "
         "declared byte count reaches the UNP (whitespace before UNP is layout)", _EDIFACT),
    Rule("remote.edifact.truncated", _E, "the interchange, or a binary object, ends where it "
         "says", _EDIFACT),
    Rule("remote.edifact.structure", _E, "segments and values MedCom's EDIFACT <-> XML "
         "mapping knows", _EDIFACT),
    # -- FHIR, besides the profiles' invariants ----------------------------------------------
    Rule("fhir.not-a-message", _E, "a FHIR message is a Bundle of type message",
         "FHIR R4 messaging; MedCom Messaging 4.0 (medcom-messaging-message)"),
    Rule("fhir.message-header", _E, "the Bundle starts with its MessageHeader",
         "FHIR R4 messaging (Bundle.entry[0] is the MessageHeader), bdl-9"),
    Rule("fhir.unsupported-message", _E, "the MessageHeader's event is a message MedCom "
         "defines and we read", "MedCom MessageDefinitions 1.0 (eventCoding)"),
    Rule("fhir.unsupported-version", _E, "MessageHeader.definition names the version read "
         "(CareCommunication 5.x, Acknowledgement 2.x)", "MedCom MessageDefinitions 1.0 "
         "(definition url and version)"),
    Rule("fhir.cardinality", _E, "an element occurs as often as the profile allows",
         _FHIR.format("min/max")),
    Rule("fhir.binding", _E, "a coded value is in its required value set",
         _FHIR.format("binding strength required")),
    Rule("fhir.code-system", _E, "a coding's system is the one its binding allows",
         _FHIR.format("binding strength required")),
    Rule("fhir.fixed-value", _E, "a value equals the profile's fixed or pattern value",
         _FHIR.format("fixed[x] / pattern[x]")),
    Rule("fhir.datatype", _E, "a value is valid for its FHIR type", "FHIR R4 data types"),
    Rule("fhir.type", _E, "an element has one of its allowed types and JSON/XML shape",
         _FHIR.format("type")),
    Rule("fhir.length", _E, "a value is within its maxLength", _FHIR.format("maxLength")),
    Rule("fhir.reference", _E, "a reference resolves inside the Bundle to an allowed target",
         _FHIR.format("targetProfile, aggregation bundled")),
    Rule("fhir.slice", _E, "each slice occurs as often as the profile allows",
         _FHIR.format("slicing")),
    Rule("fhir.profile", _E, "meta.profile names MedCom's profile for the resource",
         _FHIR.format("meta.profile")),
    Rule("fhir.entry-count", _E, "the message carries the resources it must, as often as "
         "allowed", "MedCom MessageDefinitions 1.0 (focus and allowed resources)"),
    Rule("fhir.entry-type", _E, "the message carries only resource types it allows",
         "MedCom MessageDefinitions 1.0 (focus and allowed resources)"),
    Rule("fhir.duplicate-fullurl", _E, "entries have distinct fullUrls", "FHIR R4 Bundle, "
         "bdl-7"),
    Rule("fhir.unknown-profile", _W, "meta.profile names a profile we do not know", OWN),
    # -- EHMI --------------------------------------------------------------------------------
    Rule("medcom.ehmi-receipt-signal", _W, "an envelope receipt's ebBP signal names the "
         "envelope and the answer (acknowledgement or exception) its header does; the header "
         "counts", "dk-ehmi-sbdh 2.0.1, ehmiSBDH-EnvelopeReceipt: the signal \"in principle "
         "contains the same information, but ... does not need to be checked\""),
    # -- our own checks ----------------------------------------------------------------------
    Rule(OwnCheck.IDENTIFIER_SHAPE, _W, "an Identifier has the shape its IdentifierCode "
         "names: kommunenummer 3 digits 101-860, ydernummer 6 digits, sygehusafdelingsnummer "
         "4 digits + 3 of 0-9/A-Z, lokationsnummer a GLN, sorkode 6-18 digits", OWN),
    Rule(OwnCheck.CPR_DATE, _W, "a CPR number's date part is a calendar date (MedCom's test "
         "persons and erstatnings-CPR numbers break it)", OWN),
    Rule(OwnCheck.GLN_CHECK_DIGIT, _W, "an EANIdentifier passes GS1's check digit (MedCom's "
         "own examples break it)", OWN),
    Rule(OwnCheck.SOR_CHECK_DIGIT, _W, "a sorkode Identifier passes its Verhoeff check digit",
         OWN),
    Rule(OwnCheck.OBJECT_SIZE, _W, "OriginalObjectSize is the binary object's size", OWN),
    Rule(OwnCheck.SKS_CODE, _W, "a DiagnoseCode of type SKSdiagnosekode is shaped as an SKS "
         "diagnosis code (D, a letter, two digits, up to six digits or capitals)", OWN),
    Rule(OwnCheck.REFERRER_IDENTIFIER, _W, "a Referrer's Identifier and IdentifierCode come "
         "together (MedCom's schema has each optional on its own)", OWN),
    Rule(OwnCheck.EDIFACT_TRAILER, _W, "UNT and UNZ name the reference UNH and UNB opened, "
         "UNZ counts the messages, UNP repeats its UNO's byte count and object number "
         "(MedCom's converter checks only UNT's segment count)", OWN),
)


@cache
def rules() -> dict[str, Rule]:
    """Every rule, by code: the ones above and the invariants of our FHIR profiles."""
    from medcom_adapter.fhir.profiles import registry

    found = {str(r.code): Rule(str(r.code), r.severity, r.what, r.source) for r in _STATIC}
    for profile in sorted(registry().profiles.values(), key=lambda p: p.file):
        for inv in profile.invariants:
            if inv.id in found:
                continue
            source = inv.origin or (f"profile {inv.declared_in.rsplit('.', 1)[0]}, "
                                    f"invariant {inv.key}")
            found[inv.id] = Rule(inv.id, Severity(inv.severity), " ".join(inv.human.split()),
                                 source)
    return dict(sorted(found.items()))


def markdown() -> str:
    """The rules table of ``docs/rules.md``."""
    lines = ["| code | severity on read | what it checks | source |", "|---|---|---|---|"]
    for rule in rules().values():
        cells = (f"`{rule.code}`", rule.severity.value, rule.what, rule.source)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_into(path: str) -> None:
    """Replace the table between ``<!-- rules:start -->`` and ``<!-- rules:end -->``."""
    from medcom_adapter.doc_tables import write_section

    write_section(path, "rules", markdown())


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--write"]:
        write_into(sys.argv[2])
    else:
        print(markdown(), end="")
