"""The journal engines the EHMI tests run on: memory, SQLite, and PostgreSQL when
``MEDCOM_TEST_POSTGRES_URL`` names a server."""

from tests.journal.conftest import clock, engine, keys, open_store, postgres_url  # noqa: F401
