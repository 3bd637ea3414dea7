"""EDIFACT <-> OIOXML: the same letters, as MedCom's own converter maps them.

Both directions go through the model: EDIFACT is read into the Emessage model and written
as OIOXML in each EDIFACT version's twin (H0130R -> XH0130R, D9134L -> XD9134L, ...), and
back. The OIOXML written is validated against our schema of its version. One interchange
becomes one Emessage and the reverse, so envelope and letter ids are kept.
"""

from __future__ import annotations

from medcom_adapter.edifact import interchange
from medcom_adapter.edifact.versions import by_twin
from medcom_adapter.oioxml import emessage

Output = tuple[str, bytes]  # (suggested file name, content)


def edifact_to_oioxml(data: bytes, *, encoding: str = emessage.DEFAULT_ENCODING) -> bytes:
    """OIOXML for an EDIFACT interchange (raises the RemoteError that says why not)."""
    document = interchange.parse(data)
    # a peer's letter: our own checks stay the warnings reading found, as MedCom's converter
    # would not refuse them either
    return emessage.build(document.message, tuple(v.oioxml for v in document.versions),
                          encoding=encoding, allow_warnings=True)


def oioxml_to_edifact(data: bytes, *, line_breaks: bool = False) -> bytes:
    """An EDIFACT interchange for an OIOXML Emessage."""
    document = emessage.parse(data)
    return interchange.build(document.message, tuple(by_twin(v.code) for v in
                                                      document.versions),
                             line_breaks=line_breaks)


def to_oioxml_files(data: bytes) -> tuple[Output, ...]:
    """``edifact_to_oioxml`` as named files, for the ``convert`` command."""
    document = interchange.parse(data)
    twins = tuple(v.oioxml for v in document.versions)
    name = f"{twins[0].type_code}_{document.message.envelope.identifier}.xml"
    return ((name, emessage.build(document.message, twins, allow_warnings=True)),)


def to_edifact_files(data: bytes) -> tuple[Output, ...]:
    """``oioxml_to_edifact`` as named files, for the ``convert`` command."""
    document = emessage.parse(data)
    found = tuple(by_twin(v.code) for v in document.versions)
    name = f"{found[0].type_code}_{document.message.envelope.identifier}.edi"
    return ((name, interchange.build(document.message, found)),)
