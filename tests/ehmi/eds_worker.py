"""An EDS delivery worker in a process of its own, for the kill and race tests:
``python -m tests.ehmi.eds_worker OWNER`` delivers until a round finds nothing to claim.
The journal, its key and EHMI's settings come from the environment."""

from __future__ import annotations

import os
import sys

from medcom_adapter.ehmi_client.connect import connect
from medcom_adapter.ehmi_client.settings import EhmiSettings
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.workers.eds import EdsRun, deliver


def main(owner: str) -> int:
    settings = EhmiSettings.from_env(os.environ)
    assert settings is not None
    clients, journal = connect(settings), open_journal()
    assert clients.eds is not None
    try:
        while deliver(journal.eds, clients.eds, owner=owner, lease_seconds=60, limit=5
                      ) != EdsRun():
            pass
    finally:
        journal.close()
        clients.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
