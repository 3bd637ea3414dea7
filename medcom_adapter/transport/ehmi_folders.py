"""The hand-over to an EHMI access point as a folder pair: an outgoing folder the access
point picks ehmiSBDHs up from, an incoming folder it drops the ones that arrived into.

The access point does AS4; the adapter hands it whole ehmiSBDHs. The folders keep the VANS
mailbox's discipline (:mod:`.vans_mailbox`), which both sides need for exactly-once:

- out: each SBDH is written under a dot-name, fsynced, recorded by its parcel key and
  renamed into place, so the access point never sees a partial file and a parcel handed
  over again after a crash is published once. Names are the parcel's kind and envelope id
  (``CareCommunication_<uuid>.xml``): no person data reaches a file name. The access point
  must ignore names that start with a dot;
- in: the access point writes under a dot-name or a temporary suffix (``.tmp``, ``.part``,
  ...) and renames the file when it is whole; such names are never read, nor is a file
  written in place until it ends with its root element's end tag. A file is settled
  (deleted, or archived with ``MEDCOM_MAILBOX_ARCHIVE_DAYS``) only after the journal
  committed it; one that cannot be handled is quarantined with its reason and tried again.

The adapter's own records (sent-markers, quarantine, archive) live in ``.medcom/`` inside
the incoming folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

from medcom_adapter.transport.interface import Parcel
from medcom_adapter.transport.vans_mailbox import FileNaming, Layout, VansMailbox

STATE = ".medcom"  # the adapter's records, inside the incoming folder
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


class AccessPointFolders(VansMailbox):
    def __init__(self, out: Path, inbox: Path, *, quiet_seconds: float | None = None,
                 archive_days: float | None = None) -> None:
        # absolute folder names in a layout replace the root's (pathlib joins them so)
        layout = Layout(out=str(out.absolute()), inbox=str(inbox.absolute()),
                        archive=str((inbox / STATE / "archive").absolute()))
        extra = {} if quiet_seconds is None else {"quiet_seconds": quiet_seconds}
        super().__init__(inbox.absolute() / STATE, naming=FileNaming("{kind}_{envelope_id}.{ext}"),
                         layout=layout, archive_days=archive_days, **extra)

    def send(self, parcel: Parcel) -> None:
        # a sent-marker is named by the key: a key that is no safe file name (an envelope
        # receipt's ``<envelope id>:<n>``) is named by its digest, as unique
        if not _SAFE_KEY.fullmatch(parcel.key):
            parcel = dataclasses.replace(
                parcel, key=hashlib.sha256(parcel.key.encode()).hexdigest())
        super().send(parcel)
