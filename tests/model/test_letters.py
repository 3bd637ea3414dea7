"""Object and course ids: UUID-shaped spellings read and written exactly as uuid.UUID does."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from medcom_adapter.model.letters import canonical_uuid
from medcom_adapter.oioxml.common import spell_id
from medcom_adapter.oioxml.versions import ObjectIdForm


def _reference(value: str) -> str:
    try:
        return str(uuid.UUID(value)) if len(value) in (32, 36) else value
    except ValueError:
        return value


def test_both_spellings_of_one_uuid_are_one_id() -> None:
    dashed = "8F0C4A52-3D1E-4A8B-9C7E-2B5D6F1A0E93"
    assert canonical_uuid(dashed) == canonical_uuid(dashed.replace("-", "")) \
        == dashed.lower()
    assert canonical_uuid("{8f0c4a52-3d1e-4a8b9c7e2b5d6f1a0e93}") == dashed.lower()
    assert canonical_uuid("AB12") == "AB12"


_UUID_LIKE = st.builds(
    lambda u, upper, dashes, wrap: wrap.format(
        (str(u) if dashes else u.hex).upper() if upper else (str(u) if dashes else u.hex)),
    st.uuids(), st.booleans(), st.booleans(),
    st.sampled_from(["{}", "{{{}}}", "urn:uuid:{}", "{}-", "-{}", "{}0", "x{}"]))
_NEAR = st.text(alphabet="0123456789abcdefABCDEFg-{}:urnid", min_size=30, max_size=38)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_UUID_LIKE, _NEAR, st.text(max_size=40)))
def test_every_spelling_is_normalised_as_uuid_would(value: str) -> None:
    assert canonical_uuid(value) == _reference(value)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_UUID_LIKE, _NEAR), st.sampled_from(list(ObjectIdForm)))
def test_an_id_is_spelt_for_its_version_as_uuid_would(value: str, form: ObjectIdForm) -> None:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        expected = value
    else:
        expected = parsed.hex if form is ObjectIdForm.HEX32 else str(parsed).upper()
    assert spell_id(value, form) == expected
