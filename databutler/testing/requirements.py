"""Declared capability needs of contract tests: ``@requires(...)`` and ``@refuses(...)`` markers.

A test says what it needs; the suite's fixture checks the adapter pair once it is built, before
any set-up data is written, and skips naming the missing capability::

    @requires(DatastoreCapability.LIST)
    def test_find_orphans(self, butler): ...

    @refuses(DatastoreCapability.LIST)  # runs only where the capability is NOT declared
    def test_find_orphans_is_refused_without_list(self, butler): ...

A parametrised case can carry the mark too: ``pytest.param("symlink", marks=requires(TransferMode.SYMLINK))``
needs the datastore to declare that ingest transfer mode.
"""

from __future__ import annotations

import attrs
import pytest

from ..ports.capabilities import DatastoreCapability, RegistryCapability
from ..ports.datastore import Datastore, TransferMode
from ..ports.registry import Registry

Need = RegistryCapability | DatastoreCapability | TransferMode
REQUIRES = "requires"
REFUSES = "refuses"
MARKERS = {
    REQUIRES: "requires(*capabilities): the contract test needs these registry or datastore capabilities "
              "(or datastore ingest transfer modes); skipped where one is not declared",
    REFUSES: "refuses(*capabilities): the contract test checks the refusal of these capabilities; skipped where "
             "one is declared",
}


def requires(*needs: Need) -> pytest.MarkDecorator:
    """Mark a contract test as needing ``needs``; it is skipped on adapters that do not declare one."""
    return pytest.mark.requires(*needs)


def refuses(*needs: Need) -> pytest.MarkDecorator:
    """Mark a contract test as checking the refusal of ``needs``; it is skipped on adapters that declare one."""
    return pytest.mark.refuses(*needs)


@attrs.frozen
class Declared:
    """What an adapter pair declares: registry and datastore capabilities and ingest modes, and the adapters' names.

    Computed once from a built pair, it can be kept to skip later tests of the same pair before
    building anything.
    """

    needs: frozenset[Need]
    registry: str
    datastore: str

    @classmethod
    def of(cls, registry: Registry, datastore: Datastore) -> Declared:
        """What ``registry`` and ``datastore`` declare (ingest modes count only where INGEST is declared)."""
        modes = datastore.ingest_modes if DatastoreCapability.INGEST in datastore.capabilities else frozenset()
        return cls(frozenset(registry.capabilities) | frozenset(datastore.capabilities) | frozenset(modes),
                   type(registry).__name__, type(datastore).__name__)

    def owner(self, need: Need) -> str:
        """The name of the adapter that would declare ``need``."""
        return self.registry if isinstance(need, RegistryCapability) else self.datastore


def _named(need: Need) -> str:
    kind = "ingest transfer mode" if isinstance(need, TransferMode) else "capability"
    return f"the {kind} {need.value!r}"


def skip_undeclared(node: pytest.Item, declared: Declared) -> None:
    """Skip test ``node`` if a ``requires`` mark names something undeclared or a ``refuses`` mark a declared one."""
    for mark in node.iter_markers(REQUIRES):
        for need in mark.args:
            if need not in declared.needs:
                pytest.skip(f"{declared.owner(need)} does not declare {_named(need)}")
    for mark in node.iter_markers(REFUSES):
        for need in mark.args:
            if need in declared.needs:
                pytest.skip(f"{declared.owner(need)} declares {_named(need)} (this test checks its refusal)")
