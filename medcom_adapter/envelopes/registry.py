"""MedCom's EHMI message-definition registry: the code each OIOXML and EDIFACT message
version is known by on EHMI.

The registry is the CodeSystem ``ehmi-message-definition-uri`` of EHMI terminology 1.2.0.
EER lists a receiver's payload types in these codes, and an ehmiSBDH's DOCUMENTID scope
repeats the code of the message it carries, so the access point finds the same entry in the
SMP. A code is ``<root>:<group>:<type>:<version>`` in lower case
(``urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref01:xh0131r``). Only
versions the registry lists are here; :func:`code_of` refuses the others with
:class:`NotInEhmiRegistry` rather than make a code up (XH0130R, XB0130X, XB0230X, EDIFACT
H0130R and B0130X are not listed, so they do not travel on EHMI).

API (stable)::

    code_of(syntax: str, version: str) -> RegistryEntry   # NotInEhmiRegistry when unlisted
    listed(syntax: str, version: str) -> bool
    ENTRIES: tuple[RegistryEntry, ...]
"""

from __future__ import annotations

from dataclasses import dataclass

from medcom_adapter.errors import NotInEhmiRegistry

OIOXML_ROOT = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd"
EDIFACT_ROOT = "urn:dk:healthcare:medcom:messaging:edifact"


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    syntax: str  # oioxml or edifact (catalogue.Syntax values)
    group: str  # medref, meddis, medbin, contrl
    type: str  # xref01, ref01, ... as the registry spells it
    version: str  # xh0131r, h0131r, ... as the registry spells it

    @property
    def code(self) -> str:
        root = OIOXML_ROOT if self.syntax == "oioxml" else EDIFACT_ROOT
        return f"{root}:{self.group}:{self.type}:{self.version}"


def _entry(syntax: str, group: str, type_code: str, version: str) -> RegistryEntry:
    return RegistryEntry(syntax, group, type_code.lower(), version.lower())


# The registry's entries for the message types this adapter speaks (terminology 1.2.0).
ENTRIES: tuple[RegistryEntry, ...] = (
    _entry("oioxml", "medref", "XREF01", "XH0131R"),
    _entry("oioxml", "medbin", "XBIN01", "XB0131X"),
    _entry("oioxml", "medbin", "XBIN02", "XB0210X"),
    _entry("oioxml", "meddis", "XDIS91", "XD9134L"),
    _entry("oioxml", "contrl", "XCTL01", "XC0130Q"),
    _entry("oioxml", "contrl", "XCTL02", "XC0230Q"),
    _entry("oioxml", "contrl", "XCTL03", "XC0330Q"),
    _entry("edifact", "medref", "REF01", "H0131R"),
    _entry("edifact", "medbin", "BIN01", "B0131X"),
    _entry("edifact", "medbin", "BIN02", "B0210X"),
    _entry("edifact", "meddis", "DIS91", "D9134L"),
    _entry("edifact", "contrl", "CTL01", "C0130Q"),
    _entry("edifact", "contrl", "CTL02", "C0230Q"),
    _entry("edifact", "contrl", "CTL03", "C0330Q"),
)
_BY_VERSION = {(e.syntax, e.version): e for e in ENTRIES}


def code_of(syntax: str, version: str) -> RegistryEntry:
    """The registry entry of ``version`` (a VersionCode or EDIFACT version) in ``syntax``."""
    found = _BY_VERSION.get((str(syntax), version.lower()))
    if found is None:
        listed = ", ".join(e.version.upper() for e in ENTRIES if e.syntax == str(syntax))
        raise NotInEhmiRegistry(
            f"{syntax} {version} has no code in MedCom's EHMI message registry (it lists "
            f"{listed}): it cannot travel in an ehmiSBDH")
    return found


def listed(syntax: str, version: str) -> bool:
    return (str(syntax), version.lower()) in _BY_VERSION
