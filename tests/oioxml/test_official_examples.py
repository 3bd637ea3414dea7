"""MedCom's own example messages: we read them, validate them and write them back."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from medcom_adapter.oioxml.emessage import build, check, parse
from tests.conftest import OFFICIAL, official

EXAMPLES = sorted(glob.glob(str(OFFICIAL / "oioxml" / "examples" / "*.xml")))


@pytest.fixture(scope="module")
def official_schemas() -> dict[str, etree.XMLSchema]:
    return {}


def official_schema(namespace: str, cache: dict[str, etree.XMLSchema]) -> etree.XMLSchema:
    if namespace not in cache:
        date = namespace.rstrip("/").split("/")[-3:]
        entry = official("oioxml", "xsd", *date, "EMessage.xsd")
        cache[namespace] = etree.XMLSchema(etree.parse(str(entry)))
    return cache[namespace]


def test_examples_are_present() -> None:
    official("oioxml", "examples")
    kinds = {os.path.basename(p).split("_")[0] for p in EXAMPLES}
    assert {"REF01", "BIN01", "DIS91", "CTL01", "CTL02", "CTL03"} <= kinds


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_every_example_validates(path: str) -> None:
    result = check(Path(path).read_bytes())
    assert result.valid, result.issues


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_round_trip_keeps_the_information(path: str, official_schemas: dict[str, Any]) -> None:
    original = parse(Path(path).read_bytes())
    # MedCom's examples break some of our own checks (DIS91_1's GS1 check digits): rebuilding
    # a peer's message keeps what it says, as the warnings reading it reported
    rebuilt = build(original.message, original.versions, allow_warnings=True)
    # what we write is valid by MedCom's own schema set ...
    schema = official_schema(original.namespace, official_schemas)
    assert schema.validate(etree.fromstring(rebuilt).getroottree()), schema.error_log
    # ... and carries the same information
    again = parse(rebuilt)
    assert again.message == original.message
    assert again.versions == original.versions
