"""medcom-adapter: MedCom messaging for Danish municipal units.

The public API, stable between versions (``__all__``)::

    check(data) -> Report             what a file is and what is wrong with it; never raises
    parse(data) -> the model          or the RemoteError that says why not
    answer(data, now=...) -> Answer   the receipt a received letter is owed, in its syntax
    build_referral(referral, attachments) -> ReferralPackage   XREF01 + one XBIN each
    build_km(request, files) -> KmPackage                      XDIS91 + one XBIN01 each
    Kind, catalogue                   every message type and version we speak
    the model: Emessage, Referral, ClinicalEmail, BinaryLetter, Receipt,
               CareCommunication, Acknowledgement, Enveloped, Report
    the error tree: MedComError (LocalError: we built it wrong; RemoteError: a peer did)

Everything else is reachable by its module path (``medcom_adapter.journal``,
``medcom_adapter.workers``, ...) and is internal: it may change without notice. The names
load on first use, so ``import medcom_adapter`` (and the CLI) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from medcom_adapter import catalogue
    from medcom_adapter.compose.km import KmPackage, build_km
    from medcom_adapter.compose.referral import Attachment, ReferralPackage, build_referral
    from medcom_adapter.detect import Enveloped, Report, answer, check, parse
    from medcom_adapter.errors import LocalError, MedComError, RemoteError
    from medcom_adapter.kinds import Kind
    from medcom_adapter.model.acknowledgement import Acknowledgement
    from medcom_adapter.model.carecommunication import CareCommunication
    from medcom_adapter.model.correspondence import ClinicalEmail
    from medcom_adapter.model.letters import BinaryLetter, Referral
    from medcom_adapter.model.message import Emessage
    from medcom_adapter.model.receipts import Receipt

_WHERE = {
    "catalogue": "medcom_adapter.catalogue",
    "Kind": "medcom_adapter.kinds",
    "check": "medcom_adapter.detect", "parse": "medcom_adapter.detect",
    "answer": "medcom_adapter.detect", "Report": "medcom_adapter.detect",
    "Enveloped": "medcom_adapter.detect",
    "build_referral": "medcom_adapter.compose.referral",
    "Attachment": "medcom_adapter.compose.referral",
    "ReferralPackage": "medcom_adapter.compose.referral",
    "build_km": "medcom_adapter.compose.km", "KmPackage": "medcom_adapter.compose.km",
    "MedComError": "medcom_adapter.errors", "LocalError": "medcom_adapter.errors",
    "RemoteError": "medcom_adapter.errors",
    "Emessage": "medcom_adapter.model.message",
    "Referral": "medcom_adapter.model.letters", "BinaryLetter": "medcom_adapter.model.letters",
    "ClinicalEmail": "medcom_adapter.model.correspondence",
    "Receipt": "medcom_adapter.model.receipts",
    "CareCommunication": "medcom_adapter.model.carecommunication",
    "Acknowledgement": "medcom_adapter.model.acknowledgement",
}

__all__ = [
    "Acknowledgement", "Attachment", "BinaryLetter", "CareCommunication", "ClinicalEmail",
    "Emessage", "Enveloped", "Kind", "KmPackage", "LocalError", "MedComError", "Receipt",
    "Referral", "ReferralPackage", "RemoteError", "Report", "answer", "build_km",
    "build_referral", "catalogue", "check", "parse",
]


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'medcom_adapter' has no attribute {name!r}")
    if name == "catalogue":
        return importlib.import_module(module)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
