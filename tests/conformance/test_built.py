"""A Built is bytes validated as they were built, with their digest: it cannot be forged
from unchecked bytes, and it never outlives the process as proof."""

from __future__ import annotations

import hashlib
import pickle
from typing import Any

import pytest

from medcom_adapter.conformance.built import Built, digest, seal
from medcom_adapter.detect import check
from medcom_adapter.errors import Issue, OutboundInvalid
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import emessage
from medcom_adapter.workers.checked import Checked
from tests import samples

WARNING = Issue("own.gln-check-digit", "not a GLN", warning=True)
ERROR = Issue("schema", "element Oops not expected")


def _message() -> Emessage:
    return Emessage(Envelope("ENV0001", samples.WHEN), (samples.binary_letter(),))


def test_a_built_cannot_be_made_from_bytes() -> None:
    with pytest.raises(TypeError):
        Built(b"<Emessage/>")
    with pytest.raises(TypeError):
        Built(b"<Emessage/>", _seal=object())
    with pytest.raises(TypeError):
        Built.__new__(Built, b"<Emessage/>")


def test_sealing_refuses_bytes_whose_validation_found_an_error() -> None:
    with pytest.raises(OutboundInvalid):
        seal(b"<Emessage/>", [WARNING, ERROR])
    sealed = seal(b"<Emessage/>", [WARNING])  # our own checks' warnings do not invalidate
    assert sealed == b"<Emessage/>" and sealed.digest == hashlib.sha256(sealed).hexdigest()


def test_the_proof_stays_with_exactly_these_bytes_in_this_process() -> None:
    sealed = seal(b"<Emessage/>", ())
    with pytest.raises(AttributeError):
        sealed.digest = hashlib.sha256(b"other").hexdigest()
    derived: list[Any] = [sealed[:5], sealed + b"x", sealed.replace(b"E", b"F"), bytes(sealed),
                          pickle.loads(pickle.dumps(sealed))]
    assert [type(d) for d in derived] == [bytes] * 5
    assert digest(bytes(sealed)) == digest(sealed) == sealed.digest


def test_a_validated_build_is_built_and_an_unvalidated_one_is_not() -> None:
    built = emessage.build(_message(), "XB0230X")
    assert isinstance(built, Built)
    unchecked = emessage.build(_message(), "XB0230X", validate=False)
    assert unchecked == built and type(unchecked) is bytes


def test_an_xbin_validated_on_its_tree_is_valid_on_its_bytes() -> None:
    """The tree validated held a placeholder where the base64 goes: the bytes, read back
    in full, are valid all the same and hold the attachment."""
    built = emessage.build(_message(), "XB0230X")
    report = check(built)
    assert report.valid, report.issues
    document = emessage.parse(built)
    assert document.message == _message()


def test_a_node_remembers_only_what_was_built_and_validated() -> None:
    checked = Checked()
    with pytest.raises(TypeError):
        checked.remember(b"<Emessage/>")  # type: ignore[arg-type]
    built = emessage.build(_message(), "XB0230X")
    assert isinstance(built, Built)
    checked.remember(built)
    assert checked.validated(hashlib.sha256(built).hexdigest()) is True
    assert checked.validated(built.digest) is False  # forgotten once asked for
