"""XBIN02 in both versions MedCom lists: XB0210X (2016/10/02, ReferralAttachment) and
XB0230X (2019/04/03, BinaryLetter). Which one a BUP department gets is in the directory."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from lxml import etree

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.dnhf import route_referral
from medcom_adapter.compose.referral import Attachment, build_referral
from medcom_adapter.detect import check
from medcom_adapter.errors import InvalidConfiguration
from medcom_adapter.model.identifiers import LocationNumber
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import emessage
from tests import samples
from tests.conftest import FIXTURES, official

RECEIVERS: dict[str, Any] = json.loads((FIXTURES / "network" / "receivers.json").read_text())
BUP = "5790000987658"


def _directory(attachments: str, versions: list[str]) -> Directory:
    raw = json.loads(json.dumps(RECEIVERS))
    for receiver in raw["receivers"]:
        if receiver["ean"] in (BUP, raw["dnhf"]["ean"]):
            receiver["accepts"]["XBIN02"] = versions
            if receiver["ean"] == BUP:
                receiver["attachments"] = attachments
    return Directory.from_json(raw)


def _referral() -> Any:
    ref = samples.full_referral()
    return dataclasses.replace(ref, receiver=dataclasses.replace(
        samples.BUP, ean=LocationNumber(BUP), identifier="6630361"))


def test_a_referral_attachment_in_xb0210x_reads_back_and_is_valid_by_medcoms_schema() -> None:
    message = Emessage(Envelope("E1", samples.WHEN), (samples.binary_letter(),))
    data = emessage.build(message, "XB0210X")
    assert b"<ReferralAttachment>" in data and b"2016/10/02" in data
    document = emessage.parse(data)
    assert document.message == message and document.versions[0].code == "XB0210X"
    report = check(data)
    assert (report.kind, report.version, report.issues) == ("XBIN02", "XB0210X", ())
    schema = etree.XMLSchema(etree.parse(str(official(
        "oioxml", "xsd", "2016", "10", "02", "EMessage.xsd"))))
    assert schema.validate(etree.fromstring(data).getroottree()), schema.error_log


@pytest.mark.parametrize(("attachments", "versions", "expected"), [
    ("XB0210X", ["XB0210X"], "XB0210X"),
    ("XB0230X", ["XB0210X", "XB0230X"], "XB0230X"),
    ("XBIN02", ["XB0210X"], "XB0210X"),  # the one XBIN02 version it takes
    ("XBIN02", ["XB0230X"], "XB0230X"),
    ("XBIN02", ["XB0210X", "XB0230X"], "XB0230X"),  # both: the newer
])
def test_the_directory_says_which_xbin02_a_department_gets(
        attachments: str, versions: list[str], expected: str) -> None:
    _, route = route_referral(_directory(attachments, versions), _referral())
    assert route.binary_version.code == expected
    package = build_referral(_referral(), (Attachment("Skema", samples.PDF),),
                             binary_version=route.binary_version)
    (attachment,) = package.files[1:]
    assert attachment.version.code == expected
    assert check(attachment.data).version == expected


def test_an_attachment_version_that_is_no_xbin_is_refused_by_the_directory() -> None:
    with pytest.raises(InvalidConfiguration, match="attachments"):
        _directory("XH0131R", ["XB0210X"])


def test_an_xbin01_department_gets_the_newer_xbin01_it_takes() -> None:
    from medcom_adapter.addressing.dnhf import attachment_version

    department = DIRECTORY_XBIN01.by_ean("5790000555550")
    assert attachment_version(department).code == "XB0131X"
    both = dataclasses.replace(department, accepts={"XBIN01": frozenset({"XB0130X", "XB0131X"})})
    assert attachment_version(both).code == "XB0131X"


DIRECTORY_XBIN01 = Directory.from_json(RECEIVERS)
