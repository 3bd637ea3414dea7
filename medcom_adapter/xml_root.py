"""The namespace of an XML document's root element, from its start tag alone.

What a message *is* follows from its root, never from text inside it: a district name or a
note may spell out any namespace, and must not make a letter another syntax. libxml2 reads
the prolog and the root's start tag (no DTDs, entities or network); the commonest shape of
file (an XML declaration in UTF-8 or ISO-8859-1, whitespace, a start tag in plain ASCII) is
read by :func:`_plain` instead, which is ten times cheaper than setting up libxml2's push
parser and gives the same answer: it takes only start tags whose every rule it checks, and
leaves everything else (comments, PIs, a DOCTYPE, other encodings, character references,
prefixes bound elsewhere) to libxml2.
"""

from __future__ import annotations

import re

from lxml import etree

_CHUNK = 1024  # bytes given to libxml2 at a time; the root's start tag nearly always fits
_PLAIN_SCAN = 4096  # beyond this, a prolog and start tag are no longer the plain kind

_S = rb"[ \t\r\n]"  # XML whitespace (not Python's \s: no VT or FF)
_NAME = rb"[A-Za-z_][A-Za-z0-9._-]*"  # an ASCII NCName
# an attribute value: printable ASCII without quotes, markup, references or braces (a
# brace would reach lxml's "{namespace}tag" spelling)
_VALUE = rb"\"[ !#-%(-;=-z|~]*\"|'[ !#-%(-;=-z|~]*'"
_PLAIN = re.compile(
    rb"(?:\xef\xbb\xbf)?"  # a UTF-8 byte order mark
    rb"(?:<\?xml" + _S + rb"+version" + _S + rb"*=" + _S + rb"*(?:\"1\.0\"|'1\.0')"
    rb"(?:" + _S + rb"+encoding" + _S + rb"*=" + _S + rb"*(\"[A-Za-z0-9._-]*\"|'[A-Za-z0-9._-]*'))?"
    rb"(?:" + _S + rb"+standalone" + _S + rb"*=" + _S + rb"*(?:\"(?:yes|no)\"|'(?:yes|no)'))?"
    + _S + rb"*\?>)?"
    + _S + rb"*<(" + _NAME + rb"(?::" + _NAME + rb")?)"
    rb"((?:" + _S + rb"+" + _NAME + rb"(?::" + _NAME + rb")?" + _S + rb"*=" + _S + rb"*"
    rb"(?:" + _VALUE + rb"))*)" + _S + rb"*/?>"
)
_ATTRIBUTE = re.compile(
    rb"(" + _NAME + rb"(?::" + _NAME + rb")?)" + _S + rb"*=" + _S + rb"*(" + _VALUE + rb")")
# encodings that spell these ASCII bytes as ASCII, and in which no byte is an error
_ENCODINGS = frozenset({b"UTF-8", b"ISO-8859-1"})
_RESERVED = frozenset({b"http://www.w3.org/XML/1998/namespace", b"http://www.w3.org/2000/xmlns/"})


class _Unsure(Exception):
    """The start tag is not of the plain kind: libxml2 reads it."""


def root_namespace(data: bytes) -> str | None:
    """The namespace of the root element, read from its start tag alone; None when the
    document has no root element in a namespace or breaks before its start tag ends."""
    try:
        return _plain(data)
    except _Unsure:
        return _parsed(data)


def _plain(data: bytes) -> str | None:
    """The answer for a plain prolog and start tag; ``_Unsure`` for anything else."""
    found = _PLAIN.match(data, 0, _PLAIN_SCAN)
    if found is None:
        raise _Unsure
    encoding = found.group(1)
    if encoding is not None and encoding[1:-1].upper() not in _ENCODINGS:
        raise _Unsure
    if bytes(data[:3]) == b"\xef\xbb\xbf" and encoding is not None \
            and encoding[1:-1].upper() != b"UTF-8":
        raise _Unsure
    declared: dict[bytes | None, bytes] = {}  # prefix (None: the default) -> namespace
    names: set[bytes] = set()
    prefixed: set[bytes] = set()  # local names of prefixed attributes
    attributes = found.group(3)
    for name, quoted in _ATTRIBUTE.findall(attributes):
        value = quoted[1:-1]
        if name in names or value in _RESERVED:
            raise _Unsure  # a repeated attribute, a reserved namespace: libxml2 says
        names.add(name)
        prefix, _, local = name.rpartition(b":")
        if name == b"xmlns":
            declared[None] = value
        elif prefix == b"xmlns":
            if local in (b"xml", b"xmlns") or not value:
                raise _Unsure
            declared[local] = value
        elif prefix:
            if local in prefixed:
                raise _Unsure  # two prefixes may name one namespace: libxml2 says
            prefixed.add(local)
    for name in names:
        prefix = name.rpartition(b":")[0]
        if prefix and prefix != b"xmlns" and prefix not in declared:
            raise _Unsure  # "xml:" or an undeclared prefix
    prefix = found.group(2).rpartition(b":")[0] or None
    if prefix is not None and prefix not in declared:
        raise _Unsure
    namespace = declared.get(prefix)
    return namespace.decode("ascii") if namespace else None


def _parsed(data: bytes) -> str | None:
    """libxml2's answer: the first start event of a pull parser fed a chunk at a time. A
    start event raised before the document breaks counts; nothing after it is read."""
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=True)
    view = memoryview(data)
    for at in range(0, len(view), _CHUNK):
        try:
            parser.feed(bytes(view[at:at + _CHUNK]))
            broken = False
        except (etree.XMLSyntaxError, ValueError, LookupError):
            broken = True  # the full reader says what is wrong and where
        for _, element in parser.read_events():
            tag = element.tag if isinstance(element, etree._Element) else None
            # "{namespace}name"; an undeclared prefix leaves "p:name", in no namespace
            return tag[1:tag.find("}")] or None if isinstance(tag, str) and tag[:1] == "{" \
                else None
        if broken:
            return None
    return None
