"""Profile files (already parsed YAML) -> compiled :class:`Profile` trees.

Three steps, the way FHIR builds a snapshot from a differential:

1. *flatten*: a profile's element rules are its base profile's, overridden element by element
   and key by key by its own;
2. *tree*: element ids (``Communication.payload:string.extension:date``) become a tree of
   children and slices, with each invariant hung on its context element;
3. *expand*: a type profile (an extension's, an identifier's) is merged into the element
   that uses it, and each slice is merged with the element it slices (less that element's
   cardinality and slicing), so the walker never has to look anything up.

Errors in our own files raise :class:`ProfileError` when the profiles are first loaded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from medcom_adapter.fhir.profile_engine import paths
from medcom_adapter.fhir.profile_engine.model import (
    Binding,
    Entries,
    EntryRule,
    Invariant,
    InvariantFn,
    Json,
    Matcher,
    Node,
    Profile,
    Slice,
    Slicing,
    Target,
)
from medcom_adapter.fhir.profile_engine.walker import pattern_matches


class ProfileError(Exception):
    """One of our profile files is inconsistent (a bug in profiles/, not in a message)."""


@dataclass(slots=True)
class _Tree:
    rules: Json = field(default_factory=dict)
    children: dict[str, _Tree] = field(default_factory=dict)
    slices: dict[str, _Tree] = field(default_factory=dict)
    invariants: list[Invariant] = field(default_factory=list)


def strip_version(url: str) -> str:
    return url.split("|", 1)[0]


def _merge(a: _Tree, b: _Tree) -> _Tree:
    """``b`` laid over ``a``: b's rules win, children and slices merge by name."""
    out = _Tree({**a.rules, **b.rules})
    for name in {**a.children, **b.children}:
        ca, cb = a.children.get(name), b.children.get(name)
        out.children[name] = _merge(ca, cb) if ca and cb else copy.deepcopy(ca or cb or _Tree())
    for name in {**a.slices, **b.slices}:
        sa, sb = a.slices.get(name), b.slices.get(name)
        out.slices[name] = _merge(sa, sb) if sa and sb else copy.deepcopy(sa or sb or _Tree())
    for inv in [*a.invariants, *b.invariants]:
        if inv not in out.invariants:  # by value: merged trees are copies
            out.invariants.append(inv)
    return out


class Compiler:
    """Compiles every profile file; each profile once, on demand (bases and type profiles)."""

    def __init__(self, files: dict[str, Json], value_sets: dict[str, Binding],
                 invariant_fn: Callable[[str, str], InvariantFn]) -> None:
        self._files = files
        self._value_sets = value_sets
        self._invariant_fn = invariant_fn
        self._by_url = {strip_version(str(raw["url"])): name for name, raw in files.items()}
        self._flat: dict[str, dict[str, Json]] = {}
        self._invariants: dict[str, list[Invariant]] = {}
        self._expanded: dict[str, _Tree] = {}
        self._compiled: dict[str, Profile] = {}

    # -- public ------------------------------------------------------------------------------

    def all(self) -> dict[str, Profile]:
        for url in self._by_url:
            self.profile(url)
        return dict(self._compiled)

    def file_of(self, url: str) -> str:
        return self._by_url[strip_version(url)]

    def profile(self, url: str) -> Profile:
        url = strip_version(url)
        if url not in self._compiled:
            raw = self._raw(url)
            tree = self._expanded_root(url)
            root = self._build(tree, str(raw["type"]), str(raw["type"]), choice=False)
            self._compiled[url] = Profile(
                url=url, name=str(raw.get("profile", url.rsplit("/", 1)[-1])),
                version=str(raw.get("version", "")), type=str(raw["type"]),
                file=self._by_url[url], lineage=frozenset(self._lineage(url)), root=root,
                entries=self._entries(url), flat=self._flatten(url),
                invariants=self._invariant_list(url),
            )
        return self._compiled[url]

    # -- step 1: flatten -------------------------------------------------------------------

    def _raw(self, url: str) -> Json:
        try:
            return self._files[self._by_url[strip_version(url)]]
        except KeyError:
            raise ProfileError(f"no profile file declares {url}") from None

    def _base(self, url: str) -> str | None:
        base = self._raw(url).get("base")
        return strip_version(str(base)) if base else None

    def _lineage(self, url: str) -> list[str]:
        """The profile, its bases, and the profiles it derives from without our file for them
        (``derived-from``: e.g. the Acknowledgement header's Messaging 2.1.0 base)."""
        base = self._base(url)
        extra = [strip_version(str(u)) for u in self._raw(url).get("derived-from") or []]
        return [url, *extra, *(self._lineage(base) if base else [])]

    def _flatten(self, url: str) -> dict[str, Json]:
        if url not in self._flat:
            base = self._base(url)
            flat = {k: dict(v) for k, v in (self._flatten(base) if base else {}).items()}
            for element, rules in (self._raw(url).get("elements") or {}).items():
                flat[element] = {**flat.get(element, {}), **(rules or {})}
            self._flat[url] = flat
        return self._flat[url]

    def _invariant_list(self, url: str) -> list[Invariant]:
        if url not in self._invariants:
            base = self._base(url)
            found = {inv.id: inv for inv in (self._invariant_list(base) if base else [])}
            for inv_id, spec in (self._raw(url).get("invariants") or {}).items():
                found[inv_id] = self._invariant(url, inv_id, spec)
            self._invariants[url] = list(found.values())
        return self._invariants[url]

    def _invariant(self, url: str, inv_id: str, spec: Json) -> Invariant:
        try:
            fn = self._invariant_fn(inv_id, str(spec["python"]))
            return Invariant(
                id=inv_id, key=str(spec.get("key", inv_id)), severity=str(spec["severity"]),
                context=str(spec["context"]), human=" ".join(str(spec["human"]).split()),
                expression=str(spec["expression"]), fn=fn,
                implemented=str(spec["implemented"]) if "implemented" in spec else None,
                origin=" ".join(str(spec["origin"]).split()) if "origin" in spec else None,
                declared_in=self._by_url[url],
            )
        except KeyError as missing:
            raise ProfileError(f"{self._by_url[url]}: invariant {inv_id} lacks {missing}") from None

    def _entries(self, url: str) -> Entries | None:
        spec = self._raw(url).get("entries")
        if spec is None:
            base = self._base(url)
            return self._entries(base) if base else None
        rules = tuple(
            EntryRule(rtype, int(r.get("min", 0)), _max(r.get("max", "*")))
            for rtype, r in (spec.get("resources") or {}).items()
        )
        return Entries(first=spec.get("first"), rules=rules)

    # -- step 2: tree ----------------------------------------------------------------------

    def _tree(self, url: str) -> _Tree:
        root = _Tree()
        for element, rules in self._flatten(url).items():
            self._node_at(root, element).rules.update(rules)
        for inv in self._invariant_list(url):
            self._node_at(root, inv.context).invariants.append(inv)
        return root

    @staticmethod
    def _node_at(root: _Tree, element: str) -> _Tree:
        node = root
        for step in paths.element_steps(element)[1:]:
            name, _, slice_name = step.partition(":")
            node = node.children.setdefault(name, _Tree())
            if slice_name:
                node = node.slices.setdefault(slice_name, _Tree())
        return node

    # -- step 3: expand --------------------------------------------------------------------

    def _expanded_root(self, url: str) -> _Tree:
        if url not in self._expanded:
            self._expanded[url] = _Tree()  # a cycle would see an empty type, not loop
            self._expanded[url] = self._expand(self._tree(url))
        return self._expanded[url]

    def _expand(self, tree: _Tree) -> _Tree:
        for type_profile in tree.rules.get("profile") or []:
            typed = self._expanded_root(strip_version(type_profile))
            tree = _merge(_Tree(children=typed.children, slices=typed.slices,
                                invariants=typed.invariants), tree)
        tree.children = {name: self._expand(child) for name, child in tree.children.items()}
        if tree.slices:
            base_rules = {k: v for k, v in tree.rules.items()
                          if k not in ("min", "max", "slicing", "profile")}
            base = _Tree(base_rules, tree.children)
            tree.slices = {
                name: self._expand(_merge(base, piece)) for name, piece in tree.slices.items()
            }
        return tree

    # -- build -------------------------------------------------------------------------------

    def _build(self, tree: _Tree, element_id: str, label: str, *, choice: bool) -> Node:
        rules = tree.rules
        node = Node(
            id=element_id, name=label[:-3] if choice else label, choice=choice,
            min=int(rules.get("min", 0)), max=_max(rules.get("max", "*")),
            fixed=rules.get("fixed"), pattern=rules.get("pattern"),
            binding=self._binding(rules.get("binding"), element_id),
            types=tuple(rules.get("types") or ()),
            targets=tuple(self._target(t) for t in rules.get("targetProfile") or ()),
            bundled="bundled" in (rules.get("aggregation") or ()),
            invariants=list(tree.invariants), must_support=bool(rules.get("mustSupport")),
        )
        for name, child in tree.children.items():
            node.children.append(
                self._build(child, f"{element_id}.{name}", name, choice=name.endswith("[x]"))
            )
        if tree.slices:
            node.slicing = self._slicing(tree, node, element_id, label, choice)
        return node

    def _slicing(self, tree: _Tree, node: Node, element_id: str, label: str,
                 choice: bool) -> Slicing:
        spec = tree.rules.get("slicing")
        if spec is None and node.name != "extension":
            raise ProfileError(f"{element_id} has slices but no slicing")
        spec = spec or {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}
        discriminators = spec.get("discriminator") or []
        slices = []
        for name, piece in tree.slices.items():
            built = self._build(piece, f"{element_id}:{name}", label, choice=choice)
            matcher = _matcher(discriminators, piece, f"{element_id}:{name}", self._binding)
            slices.append(Slice(name, built, matcher, built.min, built.max))
        description = ", ".join(f"{d['type']} of {d['path']}" for d in discriminators)
        return Slicing(spec.get("rules") == "closed", description, slices)

    def _binding(self, spec: Json | None, element_id: str) -> Binding | None:
        if not spec or spec.get("strength") != "required":
            return None  # extensible, preferred, example: informational
        url = strip_version(str(spec["valueSet"]))
        if url not in self._value_sets:
            raise ProfileError(f"{element_id}: no code list for required ValueSet {url}")
        return self._value_sets[url]

    def _target(self, url: str) -> Target:
        url = strip_version(url)
        if url in self._by_url:
            return Target(url, str(self._raw(url)["type"]))
        return Target(url, url.rsplit("/", 1)[-1])  # a core FHIR resource profile


def _max(value: Any) -> int | None:
    return None if value in ("*", None) else int(value)


_Bindings = Callable[[Json | None, str], Binding | None]


def _matcher(discriminators: list[Json], piece: _Tree, where: str,
             bindings: _Bindings) -> Matcher:
    """Which items belong to a slice, from the slicing's discriminators and the slice's rules."""
    tests: list[Matcher] = []
    for d in discriminators:
        steps = paths.parse(str(d["path"]))
        if d["type"] == "type":
            tests.append(_type_test(steps, piece, where))
        elif d["type"] in ("value", "pattern"):
            tests.append(_value_test(steps, piece, where, bindings))
        else:
            raise ProfileError(f"{where}: unsupported discriminator type {d['type']}")
    if len(tests) == 1:
        return tests[0]
    return lambda value, ctype: all(test(value, ctype) for test in tests)


def _type_test(steps: list[paths.Step], piece: _Tree, where: str) -> Matcher:
    if steps == [paths.THIS]:
        types = tuple(piece.rules.get("types") or ())
        return lambda value, ctype: ctype in types
    target = _find(piece, steps)
    types = tuple(target.rules.get("types") or ()) if target else ()
    if not types:
        raise ProfileError(f"{where}: no type to discriminate on at {steps}")
    return lambda value, ctype: any(t in types for _, t in paths.evaluate(value, steps))


def _value_test(steps: list[paths.Step], piece: _Tree, where: str,
                bindings: _Bindings) -> Matcher:
    target = _find(piece, steps)
    rules = target.rules if target else {}
    if steps == [("name", "url")] and "fixed" in rules:
        url = rules["fixed"]
        return lambda value, ctype: isinstance(value, dict) and value.get("url") == url
    if "fixed" in rules:
        fixed = rules["fixed"]
        return lambda value, ctype: any(v == fixed for v, _ in paths.evaluate(value, steps))
    if "pattern" in rules:
        pattern = rules["pattern"]
        return lambda value, ctype: any(
            pattern_matches(v, pattern) for v, _ in paths.evaluate(value, steps)
        )
    # A required binding discriminates too (dk-core's D-eCPR slice binds its system).
    binding = bindings(rules.get("binding"), where)
    if binding is not None:
        codes = binding.codes
        return lambda value, ctype: any(
            isinstance(v, str) and v in codes for v, _ in paths.evaluate(value, steps)
        )
    raise ProfileError(f"{where}: no fixed or pattern value for discriminator {steps}")


def _find(tree: _Tree, steps: list[paths.Step]) -> _Tree | None:
    """The rules a slice puts at a discriminator path (through extensions and slices)."""
    node: _Tree | None = tree
    for kind, arg in steps:
        if node is None:
            return None
        if kind == "this":
            continue
        if kind == "ext":
            ext = node.children.get("extension")
            node = next((s for s in (ext.slices.values() if ext else [])
                         if s.children.get("url", _Tree()).rules.get("fixed") == arg), None)
            continue
        child = node.children.get(arg) or node.children.get(f"{arg}[x]")
        if child is None:
            child = next((s.children.get(arg) or s.children.get(f"{arg}[x]")
                          for s in node.slices.values()
                          if arg in s.children or f"{arg}[x]" in s.children), None)
        node = child
    return node
