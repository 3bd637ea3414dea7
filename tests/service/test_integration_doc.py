"""docs/integration.md holds: its webhook examples verify the adapter's own signatures (the
Java one where a JDK is installed), refuse tampering, and its error table names real codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.service.apikeys import ApiKeys, signing_key
from medcom_adapter.service.problems import TITLES
from medcom_adapter.service.webhook import sign
from tests.conftest import ROOT
from tests.service.conftest import UNIT

DOC = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
BODY = json.dumps({"id": 63, "kind": "CareCommunication", "patient_cpr": "2509479989",
                   "text": "Kære PPR, tak for henvendelsen, æøå"}, ensure_ascii=False).encode()


def _block(language: str) -> str:
    (code,) = re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)
    return str(code)


def _delivery() -> tuple[str, str]:
    """A webhook secret as `api-key webhook` prints it, and a header the adapter signs with."""
    keys = ApiKeys(MemoryJournal().shared)
    key, _ = keys.add("sbsys", (UNIT,))
    secret = keys.set_webhook(key.id, "https://fagsystem.example/medcom")
    (hook,) = keys.webhooks()
    assert secret is not None and hook.webhook_secret is not None
    return secret, sign(BODY, signing_key(hook.webhook_secret), int(time.time()))


def test_the_python_example_verifies_a_delivery_and_refuses_tampering() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_block("python"), "integration.md", "exec"), namespace)
    verify = namespace["verify"]
    assert callable(verify)
    secret, header = _delivery()
    assert verify(BODY, header, secret) is True
    assert verify(BODY + b" ", header, secret) is False
    assert verify(BODY, header, secret[:-1] + "x") is False
    assert verify(BODY, header.replace("t=", "t=1"), secret) is False  # another time
    assert verify(BODY, "v1=00", secret) is False
    old = sign(BODY, secret.encode(), int(time.time()) - 3600)
    assert verify(BODY, old, secret) is False


@pytest.mark.skipif(shutil.which("java") is None, reason="no JDK (java) installed")
def test_the_java_example_verifies_a_delivery_and_refuses_tampering(tmp_path: Path) -> None:
    source = tmp_path / "MedComWebhook.java"
    source.write_text(_block("java"), encoding="utf-8")
    if shutil.which("javac"):
        subprocess.run(["javac", "-d", str(tmp_path), str(source)], check=True, timeout=120)
    secret, header = _delivery()
    body, tampered = tmp_path / "body.json", tmp_path / "tampered.json"
    body.write_bytes(BODY)
    tampered.write_bytes(BODY.replace(b"63", b"64"))

    def run(*args: str) -> str:
        result = subprocess.run(["java", "-cp", str(tmp_path), "MedComWebhook", *args],
                                capture_output=True, text=True, timeout=120)
        return result.stdout.strip()

    assert run(secret, header, str(body)) == "valid"
    assert run(secret, header, str(tampered)) == "invalid"
    assert run(secret + "x", header, str(body)) == "invalid"
    assert run(secret, "t=nope,v1=00", str(body)) == "invalid"


def test_the_error_table_names_the_codes_the_api_answers_with() -> None:
    documented = set(re.findall(r"`((?:api|local)\.[a-z.-]+)`", DOC.split("## 3.")[1]
                                .split("## 4.")[0]))
    answered = {code for code in TITLES if code != "api.http"}
    assert answered - documented == set(), "document these codes"


def test_the_launch_example_file_is_a_valid_launch_request() -> None:
    from medcom_adapter.service.api import LaunchIn

    LaunchIn.model_validate_json((ROOT / "fixtures" / "requests" / "launch.json").read_bytes())
