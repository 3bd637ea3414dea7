"""XDIS91 (XD9134L): what we write validates against ours and MedCom's schema and reads back."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from lxml import etree

from medcom_adapter.errors import OutboundInvalid
from medcom_adapter.model.correspondence import (
    ClinicalEmail,
    CorrespondencePriority,
    EpisodeOfCareStatus,
)
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import schemas
from medcom_adapter.oioxml.emessage import build, parse
from tests import samples
from tests.conftest import official


def official_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(official("oioxml", "xsd", "2006", "07", "01",
                                                    "EMessage.xsd"))))


def message(km: ClinicalEmail) -> Emessage:
    return Emessage(Envelope("ENV9", samples.WHEN), (km,))


def variants() -> list[object]:
    full = samples.clinical_email()
    minimal = dataclasses.replace(full, occupation=None, episode_of_care=None, priority=None,
                                  subject=None, texts=(), references=())
    out: list[Any] = [pytest.param(full, id="every-optional"),
                      pytest.param(minimal, id="minimal")]
    out += [pytest.param(dataclasses.replace(full, patient_status=s), id=f"status-{s.value}")
            for s in EpisodeOfCareStatus]
    out += [pytest.param(dataclasses.replace(full, priority=p), id=f"priority-{p.value}")
            for p in CorrespondencePriority]
    return out


@pytest.mark.parametrize("km", variants())
def test_km_validates_everywhere_and_reads_back(km: ClinicalEmail) -> None:
    data = build(message(km), "XD9134L")
    assert official_schema().validate(etree.fromstring(data).getroottree())
    assert parse(data).message == message(km)
    if km.episode_of_care is not None:  # MedCom: the course UUID goes without dashes
        undashed = samples.COURSE_ID.replace("-", "").encode()
        assert b"<EpisodeOfCareIdentifier>" + undashed + b"<" in data


def test_more_than_ten_text_blocks_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="at most 10"):
        dataclasses.replace(samples.clinical_email(), texts=(samples.DANISH,) * 11)


def test_km_patient_cannot_carry_phones() -> None:
    km = dataclasses.replace(samples.clinical_email(), patient=samples.CHILD)
    with pytest.raises(OutboundInvalid) as caught:
        build(message(km), "XD9134L")
    assert (caught.value.issues[0].path or "").startswith("Emessage/ClinicalEmail/Patient/")
    data = build(message(km), "XD9134L", validate=False)
    assert not official_schema().validate(etree.fromstring(data).getroottree())
    assert schemas.validate(etree.fromstring(data).getroottree(), "2006-07-01")
