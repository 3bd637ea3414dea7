"""Files that hold a child's data, written so no one else reads them and no crash leaves half.

An export or a delivered letter carries CPR numbers and health data in the clear. Each file
is made readable by its owner only (0600, whatever the umask), written under a temporary
name in its own folder, fsynced, then renamed into place and the folder fsynced: a reader
sees the whole file or none. Without ``replace`` an existing file is never overwritten,
even by a file that appears while this one is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes, *, replace: bool = False) -> None:
    """``data`` at ``path``, mode 0600, atomically; FileExistsError if ``path`` exists and
    ``replace`` is false."""
    folder = path.parent
    if not replace and os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, "file exists (not replaced)", str(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:  # mkstemp made it 0600
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the name was taken meanwhile
            os.unlink(temporary)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """The rename reaches the disk too (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
