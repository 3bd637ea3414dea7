"""The operator's EHMI settings: every wrong or missing one is named in a typed error before
anything runs, and no settings means no EHMI."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcom_adapter.ehmi_client.settings import EhmiSettings
from medcom_adapter.ehmi_client.side import from_settings
from medcom_adapter.errors import InvalidConfiguration
from medcom_adapter.journal.memory import MemoryJournal


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    for name in ("client.pem", "client.key", "ca.pem"):
        (tmp_path / name).write_text("not checked until TLS is set up\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "in").mkdir()
    return {"MEDCOM_EHMI_CLIENT_CERT": str(tmp_path / "client.pem"),
            "MEDCOM_EHMI_CLIENT_KEY": str(tmp_path / "client.key"),
            "MEDCOM_EHMI_CA": str(tmp_path / "ca.pem"),
            "MEDCOM_EHMI_TOKEN_URL": "https://auth.ehmi.example/token",
            "MEDCOM_EHMI_CLIENT_ID": "kommune-ppr", "MEDCOM_EHMI_DEVICE_ID": "device-1",
            "MEDCOM_EDS_URL": "https://eds.ehmi.example/fhir",
            "MEDCOM_EHMI_AP_OUT": str(tmp_path / "out"),
            "MEDCOM_EHMI_AP_IN": str(tmp_path / "in")}


def test_no_certificate_means_no_ehmi() -> None:
    assert EhmiSettings.from_env({}) is None
    assert EhmiSettings.from_env({"MEDCOM_EDS_URL": "https://eds.example"}) is None


def test_complete_settings_are_read(env: dict[str, str]) -> None:
    settings = EhmiSettings.from_env({**env, "MEDCOM_EHMI_TIMEOUT": "20",
                                      "MEDCOM_EHMI_EER_TTL": "600"})
    assert settings is not None
    assert settings.ap_out == Path(env["MEDCOM_EHMI_AP_OUT"]) and settings.ap_url is None
    assert (settings.timeout, settings.eer_ttl) == (20.0, 600.0)


@pytest.mark.parametrize(("change", "named"), [
    ({"MEDCOM_EHMI_CLIENT_KEY": "/nowhere/client.key"}, "MEDCOM_EHMI_CLIENT_KEY: no file"),
    ({"MEDCOM_EHMI_CLIENT_CERT": "/nowhere/client.pem"}, "MEDCOM_EHMI_CLIENT_CERT: no file"),
    ({"MEDCOM_EHMI_CA": "/nowhere/ca.pem"}, "MEDCOM_EHMI_CA: no file"),
    ({"MEDCOM_EHMI_TOKEN_URL": "http://auth.ehmi.example/token"},
     "MEDCOM_EHMI_TOKEN_URL must be an https URL"),
    ({"MEDCOM_EDS_URL": "eds.ehmi.example"}, "MEDCOM_EDS_URL must be an https URL"),
    ({"MEDCOM_EER_URL": "ftp://eer.example"}, "MEDCOM_EER_URL must be an https URL"),
    ({"MEDCOM_EHMI_CLIENT_ID": ""}, "EHMI needs MEDCOM_EHMI_CLIENT_ID"),
    ({"MEDCOM_EHMI_TIMEOUT": "soon"}, "MEDCOM_EHMI_TIMEOUT is a positive number"),
    ({"MEDCOM_EHMI_TIMEOUT": "-1"}, "MEDCOM_EHMI_TIMEOUT is a positive number"),
    ({"MEDCOM_EHMI_EER_TTL": "nan"}, "MEDCOM_EHMI_EER_TTL is a positive number"),
    ({"MEDCOM_EHMI_AP_IN": ""}, "MEDCOM_EHMI_AP_OUT and MEDCOM_EHMI_AP_IN go together"),
    ({"MEDCOM_EHMI_AP_OUT": "/nowhere/out"}, "MEDCOM_EHMI_AP_OUT: no folder"),
    ({"MEDCOM_EHMI_AP_URL": "https://ap.example"}, "two forms of one hand-over"),
    ({"MEDCOM_EHMI_AP_OUT": "", "MEDCOM_EHMI_AP_IN": "",
      "MEDCOM_EHMI_AP_URL": "https://ap.example"}, "MEDCOM_EHMI_AP_URL needs MEDCOM_EHMI_GLN"),
    ({"MEDCOM_EHMI_AP_OUT": "", "MEDCOM_EHMI_AP_IN": "",
      "MEDCOM_EHMI_AP_URL": "http://ap.example", "MEDCOM_EHMI_GLN": "5790000123452"},
     "MEDCOM_EHMI_AP_URL must be an https URL"),
    ({"MEDCOM_EHMI_GLN": "57900"}, "MEDCOM_EHMI_GLN is a 13-digit location number"),
])
def test_a_wrong_setting_is_named(env: dict[str, str], change: dict[str, str],
                                  named: str) -> None:
    with pytest.raises(InvalidConfiguration, match=named):
        EhmiSettings.from_env({**env, **change})


def test_a_lease_a_call_may_outlast_is_refused(env: dict[str, str]) -> None:
    settings = EhmiSettings.from_env({**env, "MEDCOM_EHMI_TIMEOUT": "60"})
    assert settings is not None
    with pytest.raises(InvalidConfiguration, match=r"lease \(60 s.*longer than "
                                                   r"MEDCOM_EHMI_TIMEOUT \(60 s\)"):
        from_settings(settings, MemoryJournal(), lease_seconds=60)
    settings.check_lease(61)  # longer: accepted


def test_a_certificate_that_is_no_certificate_is_named(env: dict[str, str]) -> None:
    settings = EhmiSettings.from_env({**env, "MEDCOM_EHMI_CA": ""})
    assert settings is not None
    with pytest.raises(InvalidConfiguration, match="MEDCOM_EHMI_CLIENT_CERT/"
                                                   "MEDCOM_EHMI_CLIENT_KEY"):
        from_settings(settings, MemoryJournal(), lease_seconds=60)


def test_ehmi_without_an_access_point_is_refused_naming_both_forms(
        env: dict[str, str], tmp_path: Path) -> None:
    from medcom_adapter.sandbox.tls import SandboxCa

    ca = SandboxCa.create(tmp_path / "ca")
    pair = ca.client("kommune-ppr")
    settings = EhmiSettings.from_env({
        **env, "MEDCOM_EHMI_AP_OUT": "", "MEDCOM_EHMI_AP_IN": "",
        "MEDCOM_EHMI_CLIENT_CERT": str(pair.cert), "MEDCOM_EHMI_CLIENT_KEY": str(pair.key),
        "MEDCOM_EHMI_CA": str(ca.ca)})
    assert settings is not None
    with pytest.raises(InvalidConfiguration, match=r"MEDCOM_EHMI_AP_URL .* or "
                                                   r"MEDCOM_EHMI_AP_OUT and MEDCOM_EHMI_AP_IN"):
        from_settings(settings, MemoryJournal(), lease_seconds=60)
