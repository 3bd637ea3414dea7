"""Certify files: validate each (kind auto-detected) and collect what a report shows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from medcom_adapter.certify.codes import hint
from medcom_adapter.detect import check

# files a directory walk looks at; anything else (PDFs, READMEs, the manifest) is not a message
MESSAGE_SUFFIXES = (".xml", ".json", ".edi")
MANIFEST_NAMES = ("manifest.json",)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    path: str | None  # element path; None when the problem is the whole file
    line: int | None
    message: str
    hint: str
    warning: bool = False

    @property
    def location(self) -> str:
        return ", ".join(p for p in (self.path, f"line {self.line}" if self.line else None) if p)


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    valid: bool
    kind: str | None
    version: str | None
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.warning)


def message_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, and the message files under each directory named, in order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (child.is_file() and child.suffix.lower() in MESSAGE_SUFFIXES
                        and child.name not in MANIFEST_NAMES):
                    yield child
        else:
            yield path


def certify_file(path: Path) -> FileResult:
    try:
        data = path.read_bytes()
    except OSError as exc:
        finding = Finding("io", None, None, exc.strerror or str(exc), hint("io"))
        return FileResult(str(path), False, None, None, (finding,))
    report = check(data)
    findings = tuple(
        Finding(i.code, i.path, i.line, i.message, hint(i.code), i.warning)
        for i in report.issues
    )
    return FileResult(str(path), report.valid, report.kind, report.version, findings)


def certify(paths: Iterable[Path]) -> list[FileResult]:
    return [certify_file(p) for p in message_files(paths)]

