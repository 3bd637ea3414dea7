"""The files a request names as attachments: read only from the request's own folder, and
only when they are what they claim to be.

A request's ``attachments[].file`` comes from whoever wrote the request (a case system, a
script). Joined to the folder unchecked, ``../`` or an absolute path would read any file the
adapter can read (its journal key, say) and send it to BUP or a GP inside an XBIN. A PDF read
from a folder is opened as an upload is (:func:`.pdf_check.check_pdf`); files given by name
are bytes the caller holds, and the service checked them when they were uploaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

from medcom_adapter.errors import Location, UploadRefused
from medcom_adapter.model.codes import ObjectExtensionCode
from medcom_adapter.workers.pdf_check import check_pdf


def attachment_bytes(files: Path | Mapping[str, bytes], name: str, *, field: str,
                     extension: ObjectExtensionCode) -> bytes:
    """The bytes of attachment ``name`` (from ``files``, a folder or the files by name); one
    read from the folder checked as ``extension``; UploadRefused naming ``field`` otherwise."""
    if isinstance(files, Mapping):
        return files[name]
    data = inside(files, name, field).read_bytes()
    check_content(data, extension, field)
    return data


def inside(folder: Path, name: str, field: str) -> Path:
    """``folder / name``, a regular file that stays inside ``folder`` after every symbolic
    link is followed; UploadRefused naming ``field`` otherwise."""
    if (not name or PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute()
            or PureWindowsPath(name).drive or "\x00" in name):
        raise _refused(field, "must be a file name relative to the request's folder")
    root = folder.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or path == root:
        raise _refused(field, "names a file outside the request's folder")
    if not path.is_file():
        raise _refused(field, "names no file in the request's folder")
    return path


def check_content(data: bytes, extension: ObjectExtensionCode, field: str) -> None:
    """A file declared a PDF must be one, and one that cannot act on whoever opens it."""
    if not data:
        raise _refused(field, "the file is empty")
    if extension is ObjectExtensionCode.PDF:
        if not data.startswith(b"%PDF-"):
            raise _refused(field, "the file is not a PDF, as its extension says")
        check_pdf(data, field)


def _refused(field: str, why: str) -> UploadRefused:
    return UploadRefused(why, location=Location(field))
