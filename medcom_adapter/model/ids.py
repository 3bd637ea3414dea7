"""New envelope and letter identifiers.

MedCom allows 1-14 characters and requires them unique per sender; a resend gets a new
envelope id. 14 hex digits from the OS random source give 56 random bits, so collisions are
not a practical concern. Pass a seeded ``random.Random`` for reproducible output in tests.
"""

from __future__ import annotations

import random
import secrets


class IdSource:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng

    def _token(self) -> str:
        if self._rng is None:
            return secrets.token_hex(7).upper()
        return f"{self._rng.getrandbits(56):014X}"

    def envelope_id(self) -> str:
        return self._token()

    def letter_id(self) -> str:
        return self._token()
