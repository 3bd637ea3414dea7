"""The button integration: an HTTP service for case systems and PPR staff.

A case system launches a page for a worker (``POST /api/launch`` gives a one-time URL) or
uses the JSON API directly. Either way the service only builds and validates messages with
the core and appends them to the journal as ``queued``; the outbox worker sends them, and
status pages read the journal. Nothing here talks to VANS itself.

``create_app(journal, settings)`` gives the ASGI application; ``medcom-adapter serve`` runs
it under uvicorn.
"""

from medcom_adapter.service.app import create_app
from medcom_adapter.service.settings import Settings

__all__ = ["Settings", "create_app"]
