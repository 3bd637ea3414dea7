"""The compiled form of our profile files: what the walker checks, element by element.

A profile compiles to a tree of :class:`Node` objects, one per element that has a rule, in the
shape of the FHIR JSON it checks: a node's ``name`` is a JSON property (``payload``) or, for a
choice element, its prefix (``content`` for ``content[x]``). Slices are nodes too, already
merged with the rules of the element they slice, each with a matcher that says which items
belong to it. Type profiles (an extension's, an identifier's) are merged into the node that
uses them, so a compiled tree is a snapshot: nothing is looked up while validating.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medcom_adapter.fhir.profile_engine.context import Context

Json = dict[str, Any]
# An item's value and, for a choice element, the type its JSON key names (``dateTime``).
Matcher = Callable[[Any, "str | None"], bool]


@dataclass(frozen=True, slots=True)
class Failure:
    """Where an invariant fails (an absolute path) and, optionally, what was found there."""

    path: str
    detail: str = ""


InvariantFn = Callable[["Context", Any, str, "int | None"], Iterable[Failure]]


@dataclass(frozen=True, slots=True)
class Invariant:
    """One constraint of a profile, with the Python function that evaluates it."""

    id: str  # our id and the Issue code, e.g. cc-5
    key: str  # the constraint key in MedCom's StructureDefinition
    severity: str  # error | warning
    context: str  # element id it applies to
    human: str
    expression: str  # the published FHIRPath, kept for the drift test
    fn: InvariantFn
    implemented: str | None = None  # the FHIRPath we implement, where it differs
    origin: str | None = None  # our own rule in no published StructureDefinition: whose
    declared_in: str = ""  # the profile file under profiles/ that declares it


@dataclass(frozen=True, slots=True)
class Binding:
    """A required binding: the allowed (system, code) pairs of its ValueSet."""

    value_set: str
    pairs: frozenset[tuple[str, str]]
    codes: frozenset[str]  # the codes alone, for ``code`` elements that carry no system


@dataclass(frozen=True, slots=True)
class Target:
    """An allowed target of a reference: a profile and the resource type it profiles."""

    profile: str
    resource_type: str


@dataclass(slots=True)
class Slice:
    name: str
    node: Node
    matches: Matcher
    min: int
    max: int | None


@dataclass(slots=True)
class Slicing:
    closed: bool
    description: str  # the discriminator, for messages
    slices: list[Slice]


@dataclass(slots=True)
class Node:
    id: str  # element id, e.g. Communication.payload:string.extension:date
    name: str  # JSON property, or the prefix of a choice element
    choice: bool = False
    min: int = 0
    max: int | None = None  # None: unbounded
    fixed: Any = None
    pattern: Any = None
    binding: Binding | None = None
    types: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    bundled: bool = False  # references must resolve inside the Bundle
    children: list[Node] = field(default_factory=list)
    slicing: Slicing | None = None
    invariants: list[Invariant] = field(default_factory=list)
    must_support: bool = False  # informational only

    @property
    def label(self) -> str:
        """The element's name as written in a path: ``content[x]`` for a choice."""
        return f"{self.name}[x]" if self.choice else self.name


@dataclass(frozen=True, slots=True)
class EntryRule:
    resource_type: str
    min: int
    max: int | None


@dataclass(frozen=True, slots=True)
class Entries:
    """Which resources a message Bundle carries, and how many of each."""

    first: str | None
    rules: tuple[EntryRule, ...]


@dataclass(slots=True)
class Profile:
    url: str
    name: str
    version: str
    type: str
    file: str  # path under profiles/, e.g. carecommunication-5.0/communication.yaml
    lineage: frozenset[str]  # its own url and those of its bases
    root: Node
    entries: Entries | None = None
    # The element rules as declared, merged with the base profile's (for the drift test).
    flat: dict[str, Json] = field(default_factory=dict)
    invariants: list[Invariant] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One supported message kind and version (a row of ``profiles/messages.yaml``)."""

    kind: str
    version: str
    event: str
    definition: str | None
    bundle: Profile
    header: Profile
    roles: dict[str, Profile]

    @property
    def major(self) -> str:
        return self.version.split(".")[0]


@dataclass(frozen=True, slots=True)
class LegacyRow:
    kind: str
    event: str
    definition: str


@dataclass(frozen=True, slots=True)
class Registry:
    """Everything in ``profiles/``, compiled."""

    profiles: dict[str, Profile]  # by canonical url (no version)
    by_file: dict[str, Profile]
    messages: tuple[MessageRow, ...]
    legacy: tuple[LegacyRow, ...]
    profile_versions: dict[str, str]  # profile url -> message kind its version belongs to
    value_sets: dict[str, Binding]
