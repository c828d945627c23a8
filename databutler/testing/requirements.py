"""Declared needs of contract tests, decided at collection: ``@requires(...)`` and ``@refuses(...)``.

A test says once what it needs; nothing in its body skips::

    @requires(DatastoreCapability.LIST)
    def test_find_orphans(self, butler): ...

    @refuses(DatastoreCapability.LIST)  # runs only where the capability is NOT declared
    def test_find_orphans_is_refused_without_list(self, butler): ...

A need is a registry or datastore capability, a datastore ingest transfer mode (counted only where
INGEST is declared), or a ``Harness`` feature: something the test class's fixtures offer
(``reopen_registry``, ``corrupt_artifact``: known from the class itself) or the way the Butler was
built (``BUTLER_YAML``). A parametrised case can carry the mark too:
``pytest.param("symlink", marks=requires(TransferMode.SYMLINK))``.

The adapter's test class declares what its adapter reports, as a class attribute::

    class TestMyRegistry(RegistryContract):
        capabilities = {RegistryCapability.WRITE, RegistryCapability.PERSISTENT}

and the databutler pytest plugin skips, at collection, every test whose marks the declaration does
not meet: no adapter is built for a test that cannot run. The suite's fixtures check the other
direction once the adapter is built: a class that declares a capability the adapter does not report,
or misses one it reports, fails naming both. A class with no declaration (``capabilities = None``)
is decided when its adapter is built instead, before any set-up data is written.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Set
from typing import Any, ClassVar

import attrs
import pytest

from ..ports.capabilities import DatastoreCapability, RegistryCapability
from ..ports.datastore import Datastore, TransferMode
from ..ports.registry import Registry


class Harness(enum.Enum):
    """What a contract test may need from its test class rather than from the adapter."""

    REOPEN_REGISTRY = "reopen_registry"
    """The class provides a ``reopen_registry`` fixture: a second handle on the same store."""
    CORRUPT_ARTIFACT = "corrupt_artifact"
    """The class provides a ``corrupt_artifact`` fixture: a backdoor that damages stored bytes."""
    BUTLER_YAML = "butler.yaml"
    """The class's Butlers are created from a ``butler.yaml`` (so they can be reopened by path)."""


Need = RegistryCapability | DatastoreCapability | TransferMode | Harness
REQUIRES = "requires"
REFUSES = "refuses"
MARKERS = {
    REQUIRES: "requires(*needs): the contract test needs these registry or datastore capabilities, ingest "
              "transfer modes or harness features; skipped at collection where one is not declared",
    REFUSES: "refuses(*needs): the contract test checks the refusal of these capabilities; skipped at "
             "collection where one is declared",
}
FIXTURE_FEATURES = {Harness.REOPEN_REGISTRY: "reopen_registry", Harness.CORRUPT_ARTIFACT: "corrupt_artifact"}
_placeholders: set[int] = set()
_DECLARED = pytest.StashKey[frozenset[Need]]()


def requires(*needs: Need) -> pytest.MarkDecorator:
    """Mark a contract test as needing ``needs``; it is skipped where one is not declared."""
    return pytest.mark.requires(*needs)


def refuses(*needs: Need) -> pytest.MarkDecorator:
    """Mark a contract test as checking the refusal of ``needs``; it is skipped where one is declared."""
    return pytest.mark.refuses(*needs)


def placeholder(fixture: Any) -> Any:
    """Register a suite's default ``fixture`` as a placeholder: a class that keeps it does not provide it."""
    _placeholders.add(id(fixture))
    return fixture


class Declaring:
    """The declaration side of a contract suite: what the adapter under test reports, known before it is built."""

    capabilities: ClassVar[Set[Need] | None] = None
    """Override: every capability (and ingest mode) the adapter reports, or None to decide once it is built."""

    @classmethod
    def declared_needs(cls, params: Mapping[str, Any]) -> Set[Need] | None:
        """What the adapter of a test with parametrised fixture values ``params`` reports (None: unknown)."""
        return cls.capabilities


def _provided(cls: type) -> frozenset[Need]:
    """The harness features ``cls`` provides by defining their fixtures (not keeping the suite's placeholders)."""
    provided: set[Need] = set()
    for feature, name in FIXTURE_FEATURES.items():
        owner = next((c for c in cls.__mro__ if name in vars(c)), None)
        if owner is not None and id(vars(owner)[name]) not in _placeholders:
            provided.add(feature)
    return frozenset(provided)


def _named(need: Need) -> str:
    kinds = {TransferMode: "ingest transfer mode", Harness: "harness feature"}
    return f"the {kinds.get(type(need), 'capability')} {need.value!r}"


def _marks(node: pytest.Item) -> tuple[list[Need], list[Need]]:
    required = [need for mark in node.iter_markers(REQUIRES) for need in mark.args]
    refused = [need for mark in node.iter_markers(REFUSES) for need in mark.args]
    return required, refused


def _unmet(node: pytest.Item, known: frozenset[Need], decidable: Any, owner: str) -> str | None:
    """Why ``node`` cannot run given the needs ``known`` to be met among those ``decidable`` (None: it can)."""
    required, refused = _marks(node)
    for need in required:
        if decidable(need) and need not in known:
            if need in FIXTURE_FEATURES:
                return f"{owner} provides no {FIXTURE_FEATURES[need]} fixture ({_named(need)})"
            return f"{owner} does not declare {_named(need)}"
    for need in refused:
        if decidable(need) and need in known:
            return f"{owner} declares {_named(need)} (this test checks its refusal)"
    return None


def decide_at_collection(items: Iterable[pytest.Item]) -> int:
    """Skip every item whose marks its class's declaration (and fixtures) does not meet; return how many."""
    skipped = 0
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is None or not any(_marks(item)):
            continue
        harness = _provided(cls)
        declared = cls.declared_needs(_params(item)) if issubclass(cls, Declaring) else None
        known = harness | (frozenset(declared) if declared is not None else frozenset())
        if declared is not None:
            item.stash[_DECLARED] = frozenset(declared)

        def decidable(need: Need, *, complete: bool = declared is not None) -> bool:
            return complete or need in FIXTURE_FEATURES

        reason = _unmet(item, known, decidable, cls.__name__)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
            skipped += 1
    return skipped


def _params(item: pytest.Item) -> Mapping[str, Any]:
    callspec = getattr(item, "callspec", None)
    return callspec.params if callspec is not None else {}


@attrs.frozen
class Reported:
    """What built adapters report: their needs, and which needs that report covers (it says nothing of others)."""

    needs: frozenset[Need]
    covers: frozenset[Need]
    name: str

    @classmethod
    def of_registry(cls, registry: Registry) -> Reported:
        """What ``registry`` reports."""
        return cls(frozenset(registry.capabilities), frozenset(RegistryCapability), type(registry).__name__)

    @classmethod
    def of_datastore(cls, datastore: Datastore) -> Reported:
        """What ``datastore`` reports (ingest modes count only where INGEST is declared)."""
        modes = datastore.ingest_modes if DatastoreCapability.INGEST in datastore.capabilities else frozenset()
        return cls(frozenset(datastore.capabilities) | frozenset(modes),
                   frozenset(DatastoreCapability) | frozenset(TransferMode), type(datastore).__name__)

    @classmethod
    def of_pair(cls, registry: Registry, datastore: Datastore, *, from_yaml: bool) -> Reported:
        """What a Butler over ``registry`` and ``datastore`` reports (BUTLER_YAML if it was created from one)."""
        left, right = cls.of_registry(registry), cls.of_datastore(datastore)
        yaml = frozenset({Harness.BUTLER_YAML})
        return cls(left.needs | right.needs | (yaml if from_yaml else frozenset()), left.covers | right.covers | yaml,
                   f"{left.name} + {right.name}")


def declared_of(node: pytest.Item) -> frozenset[Need] | None:
    """What the class of test ``node`` declares for its parameters (None: it declares nothing)."""
    declared = node.stash.get(_DECLARED, None)
    cls = getattr(node, "cls", None)
    if declared is None and cls is not None and issubclass(cls, Declaring):
        found = cls.declared_needs(_params(node))
        declared = frozenset(found) if found is not None else None
    return declared


def decided_when_built(node: pytest.Item) -> bool:
    """Whether ``node``'s marks wait for its adapter to be built (its class declares nothing)."""
    required, refused = _marks(node)
    return declared_of(node) is None and any(need not in FIXTURE_FEATURES for need in required + refused)


def check_declared(node: pytest.Item, reported: Reported) -> None:
    """Fail if the class declared other needs than the built adapter reports; else skip what it cannot run.

    Classes that declared their capabilities were decided at collection: here a declaration that
    differs from the report fails, naming the difference. Classes that did not are decided now.
    """
    declared = declared_of(node)
    if declared is None:
        cls = getattr(node, "cls", None)
        reason = _unmet(node, reported.needs | (_provided(cls) if cls else frozenset()),
                        lambda need: need in reported.covers, reported.name)
        if reason is not None:
            pytest.skip(reason)
        return
    mismatch = mismatch_message(declared & reported.covers, reported)
    if mismatch:
        pytest.fail(mismatch, pytrace=False)


def mismatch_message(declared: frozenset[Need], reported: Reported) -> str:
    """What differs between a class's declaration and what its adapter reports ('' if nothing)."""
    extra = sorted(str(n.value) for n in declared - reported.needs)
    missing = sorted(str(n.value) for n in reported.needs - declared)
    if not extra and not missing:
        return ""
    return (f"the test class's declared capabilities differ from what {reported.name} reports: declared but not "
            f"reported {extra}, reported but not declared {missing}; make the class's `capabilities` match")
