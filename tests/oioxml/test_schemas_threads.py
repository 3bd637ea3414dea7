"""Validation against one compiled schema from several threads at once: each document gets
its own verdict and its own issues (a compiled schema keeps one error log, filled outside
the GIL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lxml import etree

from medcom_adapter.oioxml import emessage, schemas
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "catalogue" / "oioxml" / "XBIN02-XB0230X-pdf.xml"


def _invalid(data: bytes) -> bytes:
    """The same letter with its first identifier's element misspelt: a structure issue."""
    broken = data.replace(b"<Identifier>", b"<Identifer>", 1).replace(
        b"</Identifier>", b"</Identifer>", 1)
    assert broken != data
    return broken


def test_threads_validating_at_once_each_get_their_own_issues() -> None:
    valid = SAMPLE.read_bytes()
    invalid = _invalid(valid)
    trees = [etree.fromstring(valid).getroottree(), etree.fromstring(invalid).getroottree()]
    folder = emessage.detect(trees[0])[0].schema_folder
    expected = [schemas.validate(t, folder) for t in trees]
    assert expected[0] == [] and expected[1]

    def one(n: int) -> bool:
        return schemas.validate(trees[n % 2], folder) == expected[n % 2]

    with ThreadPoolExecutor(8) as pool:
        verdicts = list(pool.map(one, range(4000)))
    assert verdicts.count(False) == 0

