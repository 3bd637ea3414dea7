"""A referral with attachments: built together, ids linked, each file valid."""

from __future__ import annotations

import dataclasses
import random

import pytest

from medcom_adapter.compose.referral import Attachment, build_referral
from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.identifiers import LocationNumber
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.letters import BinaryLetter, BinaryRef, Referral
from medcom_adapter.oioxml.emessage import parse
from tests import samples


def referral() -> Referral:
    return dataclasses.replace(samples.full_referral(), references=())


@pytest.mark.parametrize(("ref_version", "bin_version"),
                         [("XH0131R", "XB0131X"), ("XH0131R", "XB0230X"), ("XH0130R", "XB0130X")])
def test_each_attachment_becomes_a_linked_binary_letter(ref_version: str, bin_version: str) -> None:
    base = referral() if ref_version == "XH0131R" else dataclasses.replace(
        samples.full_referral(typed_episode=False, describe_main=False), references=())
    forms = (Attachment("Henvisningsskema", samples.PDF), Attachment("Bilag", b"%PDF-1.4 bilag"))
    package = build_referral(base, forms, referral_version=ref_version,
                             binary_version=bin_version, ids=IdSource(random.Random(7)))
    assert len(package.binaries) == 2
    sent = parse(package.referral.data).message.letters[0]
    assert isinstance(sent, Referral)
    refs = [r for r in sent.references if isinstance(r.target, BinaryRef)]
    assert [r.description for r in refs] == ["Henvisningsskema", "Bilag"]
    for ref, file in zip(refs, package.binaries, strict=True):
        binary = parse(file.data).message.letters[0]
        assert isinstance(binary, BinaryLetter)
        assert isinstance(ref.target, BinaryRef)
        (obj,) = binary.objects
        assert obj.object_id == ref.target.object_id
        assert ref.target.size == obj.size and obj.data in (samples.PDF, b"%PDF-1.4 bilag")
        assert binary.patient is not None and binary.patient.id == base.patient.id
    envelope_ids = {f.envelope_id for f in package.files}
    assert len(envelope_ids) == 3  # one envelope per file, never reused


def test_ids_are_reproducible_with_a_seed() -> None:
    a = build_referral(referral(), ids=IdSource(random.Random(1)))
    b = build_referral(referral(), ids=IdSource(random.Random(1)))
    assert a.referral.data == b.referral.data


def test_at_most_ten_references() -> None:
    many = tuple(Attachment(f"Bilag {i}", b"%PDF") for i in range(11))
    with pytest.raises(InvalidValue, match="at most 10"):
        build_referral(referral(), many)


def test_sender_must_have_a_real_gln() -> None:
    broken = dataclasses.replace(
        referral(), sender=dataclasses.replace(samples.PPR, ean=LocationNumber("5790000123453")))
    with pytest.raises(InvalidValue, match="sender location number"):
        build_referral(broken)


def test_binary_version_must_be_a_binary() -> None:
    with pytest.raises(InvalidValue, match="not a binary"):
        build_referral(referral(), binary_version="XH0130R")
