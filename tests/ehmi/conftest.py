"""The journal engines the EHMI tests run on (memory, SQLite, and PostgreSQL when
``MEDCOM_TEST_POSTGRES_URL`` names a server), and a node with the EHMI channel."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from medcom_adapter.sandbox.demo import UNIT_EAN, UNIT_SOR
from medcom_adapter.sandbox.ehmi_network import EhmiSandbox
from tests.ehmi.node import Node, make_node
from tests.journal.conftest import clock, engine, keys, open_store, postgres_url  # noqa: F401


@pytest.fixture
def node() -> Node:
    """A node with the EHMI channel over a memory transport, on the memory journal."""
    return make_node()


@pytest.fixture
def ehmi(tmp_path: Path) -> Iterator[EhmiSandbox]:
    """The demo unit's EHMI sandbox: access point, EDS and EER on loopback TLS. Modules that
    need a narrower network (a bare EDS, an EER with chosen endpoints) define their own."""
    network = EhmiSandbox.start(gln=UNIT_EAN, sor=UNIT_SOR, folder=tmp_path / "ehmi")
    yield network
    network.stop()
