"""The service's heap settled before it takes requests, so that no request waits for a
collection of what start-up built.

CPython's full (oldest-generation) garbage collection walks every container the process
tracks. After start-up that is about 100,000 objects (modules, models, the application) and
the walk holds the GIL for 50-150 ms: every request in flight waits for it at once, which
is most of the service's p99 under concurrent clients. What start-up built lives as long as
the process, so :func:`settle` moves it into the generation the collector never walks
(``gc.freeze``); collections then walk only what requests made since.

Before freezing, what the first requests would otherwise load lazily is loaded (the PDF
reader, the compiled schemas), so that it is frozen too, and no early request pays for it.
Compiled here, the schemas are not compiled by threads at once on their first use either
(sends, and the workers beside them): under 20 concurrent first requests, one compilation
failed so ("Internal error: xmlSchemaPValAttrNodeValue, the given type is not a built-in
type") while libxml2 was building XML in other threads.
"""

from __future__ import annotations

import gc

from medcom_adapter.envelopes import sbdh, vans
from medcom_adapter.oioxml import schemas


def settle() -> None:
    """Load what requests load on first use, collect, then freeze what is left. Call once,
    when the application is built and before it serves."""
    import pypdf.generic  # noqa: F401  (uploads.check_pdf imports it on the first upload)

    for folder in sorted(schemas.xsd_dir().iterdir()):
        if (folder / "emessage.xsd").is_file():  # the OIOXML sets our letters are built in
            schemas.schema(folder.name)
    for envelope in (vans, sbdh):  # what the workers wrap letters in
        schemas.schema(envelope.SCHEMA_FOLDER, envelope.SCHEMA_ENTRY)
    gc.collect()  # garbage is not frozen: it would never be freed
    gc.freeze()
