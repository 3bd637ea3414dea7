"""The package finds its own schemas, profiles and fixtures without the caller's help."""

from __future__ import annotations

from medcom_adapter import resources
from medcom_adapter.fhir.profiles import MESSAGES_FILE
from medcom_adapter.oioxml.versions import VERSIONS


def test_every_version_table_row_has_its_schema_folder() -> None:
    for version in VERSIONS:
        assert (resources.xsd() / version.schema_folder / "emessage.xsd").is_file(), version.code


def test_profiles_and_example_fixtures_are_found() -> None:
    assert (resources.profiles() / MESSAGES_FILE).is_file()
    assert resources.EXAMPLE_RECEIVERS.is_file()
    assert sorted(p.name for p in resources.EXAMPLE_REQUESTS.glob("*.json"))
