"""Our schemas in ``xsd/``: compiled once per process, and validation reported as Issues.

Each folder under ``xsd/`` holds one OIOXML namespace set (``emessage.xsd`` is its entry).
Issues carry a stable code, a readable element path (``Emessage/HospitalReferral/Patient/
PersonSurnameName``) and the line. MedCom's namespace is left out of the message, other
namespaces are shortened to their prefix, and everything else, braces included, is kept.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from pathlib import Path
from typing import Any, cast

from lxml import etree

from medcom_adapter import resources
from medcom_adapter.errors import Issue

XSD_DIR_ENV = "MEDCOM_XSD_DIR"

# libxml2 error type -> our stable issue code
_CODES = {
    "SCHEMAV_ELEMENT_CONTENT": "xsd.structure",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "xsd.structure",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "xsd.structure",
    "SCHEMAV_CVC_ELT_1": "xsd.structure",
    "SCHEMAV_CVC_ENUMERATION_VALID": "xsd.code",
    "SCHEMAV_CVC_PATTERN_VALID": "xsd.pattern",
    "SCHEMAV_CVC_LENGTH_VALID": "xsd.length",
    "SCHEMAV_CVC_MINLENGTH_VALID": "xsd.length",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "xsd.length",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "xsd.datatype",
    "SCHEMAV_CVC_MININCLUSIVE_VALID": "xsd.datatype",
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": "xsd.datatype",
}
# A namespace in libxml2's "{uri}Name": a URI in braces directly before a name. Other braces
# (value sets, regex quantifiers such as [0-9]{10}) are content and stay.
_NS_IN_MESSAGE = re.compile(r"\{([A-Za-z][A-Za-z0-9+.-]*:[^{}\s']*)\}(?=[A-Za-z_])")
# Namespaces shortened on purpose: MedCom's own go (the element names say enough), the
# OIO core sets keep the prefix their schemas use.
_SHORT_NAMESPACES = {
    "http://rep.oio.dk/cpr.dk/xml/schemas/core/2002/06/28/": "cpr:",
    "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2003/02/13/": "dkcc:",
    "http://rep.oio.dk/medcom.dk/core/xml.schema/2008.04.07/": "uuid:",
}


def _short_namespace(match: re.Match[str]) -> str:
    uri = match.group(1)
    if uri in _SHORT_NAMESPACES:
        return _SHORT_NAMESPACES[uri]
    return "" if "medcom.dk" in uri else match.group(0)


def xsd_dir() -> Path:
    """Where our schemas are: ``$MEDCOM_XSD_DIR`` or the package's ``xsd/``."""
    override = os.environ.get(XSD_DIR_ENV)
    return Path(override) if override else resources.xsd()


# libxml2's schema compiler is not safe in two threads at once (seen as "Internal error:
# xmlSchemaPValAttrNodeValue" under concurrent first requests)
_COMPILING = threading.Lock()
# A compiled schema keeps one error log, which each validation clears and fills, outside
# the GIL: two threads validating against the same schema at once would read each other's
# errors, or none, and an invalid letter would pass. So one validation per schema at a time.
_TURNS: dict[tuple[str, str], threading.Lock] = {}


@functools.cache
def schema(folder: str, entry_file: str = "emessage.xsd") -> etree.XMLSchema:
    """The compiled schema of one namespace set (cached for the life of the process).

    ``entry_file`` names the file to start from: ``emessage.xsd`` for OIOXML folders, the
    envelope's own file for ``envelopes/...`` folders."""
    path = xsd_dir() / folder / entry_file
    with _COMPILING:
        return etree.XMLSchema(etree.parse(str(path)))


def validate(
    tree: etree._ElementTree, folder: str, entry_file: str = "emessage.xsd"
) -> list[Issue]:
    """Validate ``tree`` against ``xsd/<folder>/<entry_file>``; an empty list means valid."""
    compiled = schema(folder, entry_file)
    turn = _TURNS.get((folder, entry_file)) or _TURNS.setdefault((folder, entry_file),
                                                                  threading.Lock())
    with turn:
        if compiled.validate(tree):
            return []
        entries = list(cast(list[Any], compiled.error_log))
    issues: list[Issue] = []
    seen_paths: set[str | None] = set()
    for entry in entries:
        path = _readable_path(tree, entry.path)
        if path in seen_paths:  # libxml2 reports follow-on errors for the same element
            continue
        seen_paths.add(path)
        code = _CODES.get(entry.type_name, "xsd.invalid")
        message = _NS_IN_MESSAGE.sub(_short_namespace, entry.message)
        issues.append(Issue(code, message, path, entry.line or None))
    return issues


def _readable_path(tree: etree._ElementTree, xpath: str | None) -> str | None:
    if not xpath:
        return None
    try:
        found = tree.xpath(xpath)
    except etree.XPathError:
        return xpath
    if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
        return xpath
    return element_path(found[0])


def line_of(element: etree._Element) -> int | None:
    """The element's source line, when the tree came from parsed text."""
    line = element.sourceline
    return line if isinstance(line, int) else None


def element_path(element: etree._Element) -> str:
    """``Emessage/HospitalReferral/Reference[2]/BIN``: local names, index where ambiguous."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/".join(reversed(steps))
