"""What XML needs to know: the element definitions, from fhir.resources' R4B models,
adjusted to R4 where the two differ."""

from __future__ import annotations

import importlib
import re
import types
import typing
from typing import Any, Final

from medcom_adapter.fhir.wire.common import FHIR_TAG, XHTML_DIV

PRIMITIVE: Final = 0
COMPLEX: Final = 1
RESOURCE: Final = 2
XHTML: Final = 3

INTEGERS: Final = frozenset({"integer", "unsignedInt", "positiveInt"})


class Element:
    """One element of a type: its name, whether it repeats, and what it holds."""

    __slots__ = ("index", "info", "kind", "many", "model", "name", "primitive", "tag")

    def __init__(
        self, name: str, *, many: bool, kind: int, primitive: str, model: Any, index: int
    ) -> None:
        self.name = name
        self.tag = FHIR_TAG + name
        self.many = many
        self.kind = kind
        self.primitive = primitive  # FHIR primitive type ("" unless kind is PRIMITIVE)
        self.model = model  # the R4B model class of a complex element
        self.index = index  # position in the definition order
        self.info: Type | None = None  # the model's Type, once asked for

    @property
    def type(self) -> Type:
        info = self.info
        if info is None:
            info = self.info = type_of(self.model)
        return info

    def __repr__(self) -> str:
        what = self.primitive or getattr(self.model, "__name__", "Resource")
        return f"<{self.name}: {what}{'[]' if self.many else ''}>"


class Type:
    """A complex type, backbone element or resource: its elements in definition order."""

    __slots__ = (
        "attributes", "by_tag", "children", "elements", "json_keys", "name", "rank", "resource",
        "sequence",
    )  # fmt: skip

    def __init__(self, name: str, *, resource: bool, elements: list[Element]) -> None:
        self.name = name
        self.resource = resource
        self.elements = {e.name: e for e in elements}
        # Element.id and Extension.url are XML attributes; Resource.id is an element.
        on_attributes = set() if resource else {"id", "url"} if name == "Extension" else {"id"}
        self.attributes = {n: e for n, e in self.elements.items() if n in on_attributes}
        self.children = {n: e for n, e in self.elements.items() if n not in on_attributes}
        self.by_tag = {
            (XHTML_DIV if e.kind == XHTML else e.tag): e for e in self.children.values()
        }
        self.sequence = list(self.elements.values())  # sequence[e.index] is e
        self.rank = {n: e.index for n, e in self.children.items()}
        self.rank |= {"_" + n: e.index for n, e in self.children.items() if e.kind == PRIMITIVE}
        keys = set(self.elements) | set(self.rank) | {"fhir_comments"}
        if resource:
            keys.add("resourceType")
        self.json_keys = frozenset(keys)


_TYPES: dict[Any, Type] = {}
_RESOURCES: dict[str, Type] = {}
_NOT_RESOURCES: Final = frozenset({"Resource", "DomainResource"})
_RESOURCE_NAME: Final = re.compile(r"[A-Z][A-Za-z]{1,63}")


def _r4b() -> Any:
    return importlib.import_module("fhir.resources.R4B")


def resource_type(name: str) -> Type | None:
    """The definition of resource type ``name``; None if FHIR R4 has no such resource."""
    known = _RESOURCES.get(name)
    if known is not None or not _RESOURCE_NAME.fullmatch(name) or name in _NOT_RESOURCES:
        return known
    try:
        model = _r4b().get_fhir_model_class(name)
    except ValueError:
        return None
    if not model.has_resource_base() or model.get_resource_type() != name:
        return None
    info = type_of(model)
    _RESOURCES[name] = info
    return info


def type_of(model: Any) -> Type:
    info = _TYPES.get(model)
    if info is None:
        info = _TYPES[model] = _build_type(model)
    return info


def _build_type(model: Any) -> Type:
    fields = {
        (f.alias or n): f
        for n, f in model.model_fields.items()
        if n != "fhir_comments" and not n.endswith("__ext")
    }
    elements: list[Element] = []
    for name in model.elements_sequence():
        many, kind, primitive, sub = _classify(fields[name].annotation)
        elements.append(
            Element(name, many=many, kind=kind, primitive=primitive, model=sub, index=0)
        )
    elements = _r4_adjusted(model.__name__, elements)
    for index, element in enumerate(elements):
        element.index = index
    return Type(model.__name__, resource=model.has_resource_base(), elements=elements)


# Types R4B introduced; R4 has no element of these types (they only widen choices in R4B).
_R4B_ONLY_TYPES: Final = frozenset({"CodeableReference", "RatioRange"})


def _r4_adjusted(type_name: str, elements: list[Element]) -> list[Element]:
    """R4B's definitions made R4's where they differ for what can appear in a message.

    - ``CodeableReference`` and ``RatioRange`` are R4B types; R4 choices (``Extension.value[x]``
      and the other open-typed elements) cannot hold them.
    - R4's ``Extension.value[x]`` may be ``Meta`` (``valueMeta``); the R4B model lacks it.
    """
    kept = [e for e in elements if getattr(e.model, "__name__", "") not in _R4B_ONLY_TYPES]
    if type_name == "Extension" and not any(e.name == "valueMeta" for e in kept):
        meta = importlib.import_module("fhir.resources.R4B.meta").Meta
        at = next(i for i, e in enumerate(kept) if e.name == "valueDosage") + 1
        value_meta = Element(
            "valueMeta", many=False, kind=COMPLEX, primitive="", model=meta, index=0
        )
        kept.insert(at, value_meta)
    return kept


def _classify(annotation: Any) -> tuple[bool, int, str, Any]:
    """(repeats, kind, primitive type, model) from a pydantic field annotation."""
    many = False
    target = _without_none(annotation)
    if typing.get_origin(target) is list:
        many = True
        target = _without_none(typing.get_args(target)[0])
    if target is bool:
        return many, PRIMITIVE, "boolean", None
    if typing.get_origin(target) is typing.Annotated:
        base, *metadata = typing.get_args(target)
        for item in metadata:
            name = getattr(item, "__visit_name__", None)
            if isinstance(name, str):
                return many, (XHTML if name == "xhtml" else PRIMITIVE), name, None
        if getattr(base, "__name__", "") == "UUID":
            return many, PRIMITIVE, "uuid", None
    get_model = getattr(target, "get_model_klass", None)
    if get_model is not None:
        model = get_model()
        if model.has_resource_base():
            return many, RESOURCE, "", None
        return many, COMPLEX, "", model
    raise TypeError(f"cannot tell the FHIR type of {annotation!r}")  # a new fhir.resources


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0]
    return annotation


TEXT_TYPES: Final = frozenset(
    {
        "base64Binary", "canonical", "code", "date", "dateTime", "id", "instant", "markdown",
        "oid", "string", "time", "uri", "url", "uuid",
    }
)  # fmt: skip


def extension_type() -> Type:
    global _EXTENSION
    if _EXTENSION is None:
        _EXTENSION = type_of(importlib.import_module("fhir.resources.R4B.extension").Extension)
    return _EXTENSION


_EXTENSION: Type | None = None
