"""The CLI and workers fix glibc's malloc thresholds at start, unless switched off."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from medcom_adapter import allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def test_switched_off_leaves_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDCOM_MALLOC_TUNING", "0")
    assert allocator.tune() is False


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_the_thresholds_are_set_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDCOM_MALLOC_TUNING", raising=False)
    # in a process of its own: the setting is per process and lasts for its life
    done = subprocess.run([sys.executable, "-c", "from medcom_adapter import allocator; "
                           "print(allocator.tune())"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
