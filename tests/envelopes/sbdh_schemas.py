"""MedCom's published ehmiSBDH schemas, loaded as they are from the reference data.

The 2.0.1 guide's schema set (``input/pagecontent/SBDH``) includes ``Manifest.xsd`` and
imports ``EHMI-EDN-Business-Message-Envelope-1.2.xsd``, neither of which is published under
that name beside it: a schema-location map resolves them at load time to the files MedCom
does publish (the GS1 Manifest in the pilot set; the EDN envelope of 2024-12-03 in
``pagecontent/ehmiSBDH``). Nothing is copied.
"""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path
from typing import Any, cast

from lxml import etree

from tests.conftest import official

IG = ("ehmi", "dk-ehmi-sbdh", "input")
EDN_2024 = (*IG, "pagecontent", "ehmiSBDH", "ehmiEDN-Business-Message-Envelope-1.2-20241203.xsd")
PEPPOL_EDN = (*IG, "images", "SBDH-orig", "PEPPOL-EDN-Business-Message-Envelope-1.2-2019-02-01.xsd")
BINARY_CONTENT_PAGE = (*IG, "pagecontent", "SBDH_BinaryContentType.xsd.md")


class _Locations(etree.Resolver):
    def __init__(self, where: dict[str, Path]) -> None:
        super().__init__()
        self.where = where

    def resolve(  # type: ignore[override]  # lxml-stubs leave out the context argument
            self, url: str | None, id: str | None, context: object) -> object:
        name = (url or "").rsplit("/", 1)[-1]
        found = self.where.get(name)
        if found is None:
            return None
        return cast(Any, self).resolve_filename(str(found), context)


def _load(path: Path, where: dict[str, Path] | None = None) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    if where:
        parser.resolvers.add(_Locations(where))
    return etree.XMLSchema(etree.parse(str(path), parser))


@cache
def header_2_0_1() -> etree.XMLSchema:
    """StandardBusinessDocumentHeader.xsd of the 2.0.1 set, its two missing files mapped."""
    return _load(official(*IG, "pagecontent", "SBDH", "StandardBusinessDocumentHeader.xsd"), {
        "EHMI-EDN-Business-Message-Envelope-1.2.xsd": official(*EDN_2024),
        "Manifest.xsd": official("envelopes", "sbdh", "xsd", "Manifest.xsd"),
    })


@cache
def edn_2024() -> etree.XMLSchema:
    return _load(official(*EDN_2024))


@cache
def peppol_edn() -> etree.XMLSchema:
    return _load(official(*PEPPOL_EDN))


@cache
def binary_content_page() -> etree.XMLSchema:
    """The BinaryContentType the 2.0.1 guide publishes as a page (its XSD indented four
    spaces in Markdown), read from the page."""
    text = textwrap.dedent(official(*BINARY_CONTENT_PAGE).read_text(encoding="utf-8"))
    return etree.XMLSchema(etree.fromstring(text.strip().encode()))


@cache
def pilot_header() -> etree.XMLSchema:
    return _load(official("envelopes", "sbdh", "xsd", "ehmiStandardBusinessDocumentHeader.xsd"))


@cache
def pilot_edn() -> etree.XMLSchema:
    return _load(official("envelopes", "sbdh", "xsd", "ehmiEDN-Business-Message-Envelope-1.2.xsd"))


def errors(schema: etree.XMLSchema, element: etree._Element) -> list[str]:
    """What ``schema`` says of ``element`` as a document of its own (empty: valid)."""
    copy = etree.fromstring(etree.tostring(element))
    if schema.validate(etree.ElementTree(copy)):
        return []
    return [e.message for e in cast(list[Any], schema.error_log)]
