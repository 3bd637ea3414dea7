"""Every error code a certification report can show, with a plain-language hint.

Three sources, so the table cannot fall behind the code that raises:

- the error tree (``medcom_adapter.errors``): each class's code, docstring and the MedCom
  negative-receipt reason it leads to;
- the findings of validation: schema findings (``xsd.*``), profile rules (``fhir.*``) and
  MedCom rules a schema cannot state (``medcom.*``), described here;
- the invariants of our FHIR profiles (``cc-5``, ``medcom-acknowledgement-1``, ...), whose
  human text comes from ``profiles/``.

``python -m medcom_adapter.certify.codes`` prints the table as Markdown (for the docs).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cache

from medcom_adapter import errors


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    hint: str  # what it means and what to do, for a person
    source: str  # error tree | validation | profile invariant
    receipt: str | None = None  # MedCom refuse reason a receiver answers with


_VALIDATION = {
    "xsd.structure": "An element is missing, in the wrong order or not allowed here. Compare "
                     "the element order with the message's schema.",
    "xsd.code": "The value is not one of the codes the schema allows for this element "
                "(codes are case-sensitive).",
    "xsd.pattern": "The value does not have the required form (e.g. a CPR number is ten "
                   "digits, a date is YYYY-MM-DD).",
    "xsd.length": "The value is too long or too short for this element.",
    "xsd.datatype": "The value is not of the element's type (a number, date or time).",
    "xsd.invalid": "The message breaks its schema in a way not classified further; the text "
                   "says where.",
    "medcom.gln-check-digit": "A location number (GLN/EAN) has a wrong GS1 check digit: look "
                              "it up again in the SOR/EAN register.",
    "medcom.sor-check-digit": "A SOR id has a wrong check digit: look it up again in SOR.",
    "medcom.identifier-shape": "An Identifier is not shaped as its IdentifierCode says (e.g. "
                               "a kommunenummer of 13 digits). MedCom's schema allows it, so "
                               "it is only a warning; a sender should use the right code.",
    "medcom.cpr-date": "A CPR number's date part is not a calendar date. MedCom's schemas ask "
                       "for 10 digits only (test persons and replacement numbers do this).",
    "medcom.object-size": "OriginalObjectSize is not the size of the binary object; the "
                          "object itself is what is read.",
    "medcom.sks-code": "An SKSdiagnosekode is not shaped as an SKS diagnosis code (D, a "
                       "letter, two digits, e.g. DF419).",
    "medcom.referrer-identifier": "The Referrer has an Identifier without its IdentifierCode, "
                                  "or the reverse. MedCom's schema allows either alone, so it "
                                  "is only a warning; a sender should give both or neither.",
    "medcom.edifact-trailer": "UNT's or UNZ's reference, UNZ's message count or UNP's "
                              "repetition of its UNO does not match; MedCom's converter reads "
                              "such an interchange, so it is only a warning.",
    "medcom.ack-response-identifier": "The Acknowledgement's response.identifier must be the "
                                      "MessageHeader.id of the message it acknowledges, the "
                                      "same one its acknowledgement Provenance names.",
    "fhir.cardinality": "A required element is missing, or an element occurs more often than "
                        "the MedCom profile allows.",
    "fhir.binding": "A code is not in the MedCom value set required for this element.",
    "fhir.code-system": "A coding uses a code system MedCom does not allow here.",
    "fhir.fixed-value": "The element must have exactly the value (or pattern) the profile "
                        "fixes, e.g. a system URL or a status.",
    "fhir.datatype": "The value is not a valid FHIR value of its type (date, uuid, ...).",
    "fhir.type": "The element has the wrong JSON/XML shape or FHIR type.",
    "fhir.length": "The value is longer than MedCom allows.",
    "fhir.reference": "A reference does not resolve inside the Bundle, or points at the wrong "
                      "kind of resource. Every reference must match an entry's fullUrl.",
    "fhir.slice": "A repeating element has too few or too many items of one kind (slice), "
                  "e.g. patient identifiers or payload segments.",
    "fhir.profile": "meta.profile is missing or names a profile other than MedCom's for this "
                    "resource.",
    "fhir.unknown-profile": "meta.profile names a profile we do not know.",
    "fhir.entry-count": "The Bundle has too few or too many entries of a resource type.",
    "fhir.entry-type": "The Bundle holds a resource type the message does not allow.",
    "fhir.duplicate-fullurl": "Two entries of the Bundle share a fullUrl.",
    "fhir.message-header": "A message Bundle starts with its MessageHeader (entry[0]).",
    "fhir.not-a-message": "The file is FHIR, but not a message Bundle.",
    "fhir.unsupported-message": "The MessageHeader's event is not a message this kit knows "
                                "(CareCommunication or Acknowledgement).",
    "fhir.unsupported-version": "The message is of another version than the one MedCom "
                                "certifies now (e.g. CareCommunication 4.x instead of 5.0): "
                                "update meta.profile and MessageHeader.definition.",
    "io": "The file could not be read.",
    "scenario.failed": "A test-protocol scenario did not get what MedCom's rules require: "
                       "the text names the message (envelope or MessageHeader id) and what was "
                       "expected (e.g. one positive receipt) against what arrived.",
    "scenario.checklist": "MedCom's test protocol asks a person to confirm this in the "
                          "system under test (what the user sees); the kit cannot observe it.",
    "contract.failed": "The running service did not keep the integration contract a case "
                       "system relies on (docs/integration.md): the text names the request "
                       "and what was expected against what it answered.",
    "contract.skipped": "The contract item could not be checked with what the run was "
                        "given (e.g. a second key for the tenancy check).",
    "contract.evidence": "A request the contract check made and what the service answered "
                         "(status, type, request id; never a body).",
}


def _error_classes() -> list[type[errors.MedComError]]:
    found: list[type[errors.MedComError]] = []
    todo: list[type[errors.MedComError]] = [errors.MedComError]
    while todo:
        cls = todo.pop(0)
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@cache
def table() -> dict[str, CodeInfo]:
    """Every code, by code."""
    out: dict[str, CodeInfo] = {}
    for cls in _error_classes():
        if cls.code.count(".") == 0 or cls.__module__ != errors.__name__:
            continue  # the roots are never raised themselves; the tree is errors.py
        doc = inspect.getdoc(cls) or ""
        receipt = cls.receipt_reason.value if issubclass(cls, errors.RemoteError) else None
        out.setdefault(cls.code, CodeInfo(cls.code, doc.split("\n\n")[0].replace("\n", " "),
                                          "error tree", receipt))
    for code, hint in _VALIDATION.items():
        out[code] = CodeInfo(code, hint, "validation")
    from medcom_adapter.fhir.profiles import registry

    for profile in registry().profiles.values():
        for invariant in profile.invariants:
            hint = " ".join(invariant.human.split())
            out.setdefault(invariant.id, CodeInfo(invariant.id, hint, "profile invariant"))
    return dict(sorted(out.items()))


def hint(code: str) -> str:
    """The plain-language hint for ``code`` (a generic one for codes not in the table)."""
    info = table().get(code)
    if info is not None:
        return info.hint
    family = code.split(".")[0]
    return {"xsd": _VALIDATION["xsd.invalid"], "fhir": "The message breaks a MedCom FHIR "
            "profile rule; the text says which."}.get(family, "See the message text.")


def markdown() -> str:
    """The code table for the vendor documentation."""
    lines = ["| code | meaning | negative receipt |", "|---|---|---|"]
    for info in table().values():
        text = info.hint.replace("|", "\\|")
        lines.append(f"| `{info.code}` | {text} | {info.receipt or ''} |")
    return "\n".join(lines) + "\n"


def write_into(path: str) -> None:
    """Replace the table between ``<!-- codes:start -->`` and ``<!-- codes:end -->``."""
    from medcom_adapter.doc_tables import write_section

    write_section(path, "codes", markdown())


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--write"]:  # python -m medcom_adapter.certify.codes --write DOC.md
        write_into(sys.argv[2])
    else:
        print(markdown(), end="")
