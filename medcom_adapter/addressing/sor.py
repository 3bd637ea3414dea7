"""A local copy of the SOR register: location number -> SOR id, name, department, telephone.

MedCom's conversion rules (use cases S1, S2) have the conversion look up the SOR id of each
party, and the sender's telephone, in SOR or "a local copy of SOR". This is that copy. It is
imported from a CSV file (``medcom-adapter sor import FILE``) with a header line naming the
columns, comma- or semicolon-separated, UTF-8::

    ean;sor;name;department;phone
    5790000121526;265161000016000;Lægerne Eksempelby;;+45 11 22 33 44

``ean``, ``sor`` and ``name`` are required, ``department`` and ``phone`` optional. An EAN
may be listed once: SOR units that inherit their EAN are one row, the unit that messages go
to. Imported registers are kept as JSON (``save``/``load``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from medcom_adapter.errors import InvalidConfiguration, InvalidValue
from medcom_adapter.model.identifiers import Gln, SorId

COLUMNS = ("ean", "sor", "name", "department", "phone")
REQUIRED = ("ean", "sor", "name")


@dataclass(frozen=True, slots=True)
class SorEntry:
    ean: str
    sor: str
    name: str
    department: str | None = None
    phone: str | None = None

    @property
    def label(self) -> str:
        return ", ".join(p for p in (self.name, self.department) if p)


class SorRegister:
    def __init__(self, entries: Iterable[SorEntry] = ()) -> None:
        self.entries = tuple(entries)
        self._by_ean: dict[str, SorEntry] = {}
        self._by_sor: dict[str, SorEntry] = {}
        for entry in self.entries:
            self._by_ean[entry.ean] = entry
            self._by_sor[entry.sor] = entry

    def __len__(self) -> int:
        return len(self.entries)

    def by_ean(self, ean: str) -> SorEntry | None:
        return self._by_ean.get(ean)

    def by_sor(self, sor: str) -> SorEntry | None:
        return self._by_sor.get(sor)

    @classmethod
    def from_csv(cls, text: str, *, where: str = "SOR register") -> SorRegister:
        """Read the documented CSV; InvalidConfiguration names the line and column."""
        lines = text.lstrip("\ufeff")
        first = lines.split("\n", 1)[0]
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        reader = csv.DictReader(io.StringIO(lines), delimiter=delimiter)
        header = [h.strip().lower() for h in reader.fieldnames or ()]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InvalidConfiguration(f"{where}: line 1: the header lacks {', '.join(missing)}"
                                       f" (columns: {';'.join(COLUMNS)})")
        reader.fieldnames = header
        entries: list[SorEntry] = []
        seen: dict[str, int] = {}
        for n, row in enumerate(reader, start=2):
            values = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
            if not any(values.values()):
                continue
            for column in REQUIRED:
                if not values.get(column):
                    raise InvalidConfiguration(f"{where}: line {n}: {column} is empty")
            try:
                Gln(values["ean"])
                SorId(values["sor"])
            except InvalidValue as exc:
                raise InvalidConfiguration(f"{where}: line {n}: {exc}") from None
            if values["ean"] in seen:
                raise InvalidConfiguration(f"{where}: line {n}: EAN {values['ean']} is already "
                                           f"on line {seen[values['ean']]}")
            seen[values["ean"]] = n
            entries.append(SorEntry(values["ean"], values["sor"], values["name"],
                                    values.get("department") or None,
                                    values.get("phone") or None))
        return cls(entries)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps({"entries": [asdict(e) for e in self.entries]},
                                        ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(path)  # a reader never sees half a register

    @classmethod
    def load(cls, path: Path) -> SorRegister:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(SorEntry(**e) for e in raw["entries"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidConfiguration(f"{path}: not a SOR register ({exc})") from None
