"""The journal engines the EHMI tests run on (memory, SQLite, and PostgreSQL when
``MEDCOM_TEST_POSTGRES_URL`` names a server), and a node with the EHMI channel."""

import pytest

from tests.ehmi.node import Node, make_node
from tests.journal.conftest import clock, engine, keys, open_store, postgres_url  # noqa: F401


@pytest.fixture
def node() -> Node:
    """A node with the EHMI channel over a memory transport, on the memory journal."""
    return make_node()
