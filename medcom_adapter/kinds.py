"""What a message is, independent of its syntax and version: shared by every syntax and the
edge. The facts about each kind (its versions, the answer it is owed, its names) are rows of
:mod:`medcom_adapter.catalogue`; journal rows keep the string value."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a letter is, independent of version and syntax (the EDIFACT twin of an OIOXML
    letter is the same kind: REF01 is a REFERRAL like XREF01)."""

    REFERRAL = "XREF01"
    BINARY = "XBIN01"
    REFERRAL_ATTACHMENT = "XBIN02"
    CORRESPONDENCE = "XDIS91"
    NEGATIVE_VANS_RECEIPT = "XCTL01"
    NEGATIVE_RECEIPT = "XCTL02"
    POSITIVE_RECEIPT = "XCTL03"
    CARE_COMMUNICATION = "CareCommunication"
    ACKNOWLEDGEMENT = "Acknowledgement"
    VANS_RECEIPT = "VANSReceipt"  # a VANSEnvelope receipt (Positive/NegativeVans/NegativeMessage)
    SBDH_RECEIPT = "SBDHReceipt"  # an ehmiSBDH envelope receipt (ReceiptAcknowledgement/Exception)
