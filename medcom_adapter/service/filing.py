"""The filing export a case system files with the child's case: one ZIP per patient.

Made from ``Journal.export`` (which audits it): each message's exact bytes, each attachment
as its own file, a readable rendering, and ``manifest.json`` listing them with status and
classification. File names carry journal ids and kinds only, never a person id.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence

from medcom_adapter.detect import parse
from medcom_adapter.errors import MedComError
from medcom_adapter.journal.interface import StoredMessage
from medcom_adapter.render import text as render


def filing_zip(messages: Sequence[StoredMessage]) -> bytes:
    buffer = io.BytesIO()
    manifest = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for m in messages:
            stem = f"{m.id:06d}-{m.message.kind}"
            suffix = "json" if m.message.data.lstrip().startswith(b"{") else "xml"
            archive.writestr(f"{stem}.{suffix}", m.message.data)
            archive.writestr(f"{stem}.txt", _readable(m.message.data))
            files = [f"{stem}.{suffix}", f"{stem}.txt"]
            for i, a in enumerate(m.message.attachments, start=1):
                name = f"{stem}-bilag-{i}.{a.content_type.split('/')[-1]}"
                archive.writestr(name, a.data)
                files.append(name)
            c = m.message.classification
            manifest.append({
                "id": m.id, "direction": m.message.direction.value, "kind": m.message.kind,
                "version": m.message.version, "stored_at": m.stored_at.isoformat(),
                "status": m.status.value, "envelope_id": m.message.envelope_id,
                "message_id": m.message.message_id, "episode_id": m.message.episode_id,
                "sha256": m.digest, "files": files,
                "classification": [h.display for h in c.classes] if c else [],
            })
        archive.writestr("manifest.json", json.dumps({"messages": manifest},
                                                     ensure_ascii=False, indent=1))
    return buffer.getvalue()


def _readable(data: bytes) -> str:
    try:
        return render.any_message(parse(data), reveal=True)
    except MedComError as exc:
        return f"(kan ikke vises: {exc})\n"
