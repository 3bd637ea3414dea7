"""What a message is, independent of its version: shared by every syntax and the edge."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a letter is, independent of version."""

    REFERRAL = "XREF01"
    BINARY = "XBIN01"
    REFERRAL_ATTACHMENT = "XBIN02"
    CORRESPONDENCE = "XDIS91"
    NEGATIVE_VANS_RECEIPT = "XCTL01"
    NEGATIVE_RECEIPT = "XCTL02"
    POSITIVE_RECEIPT = "XCTL03"
