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


def _owner_declares(need: Need, registry: Registry | None, datastore: Datastore | None) -> tuple[object, bool]:
    if isinstance(need, RegistryCapability):
        return registry, registry is not None and need in registry.capabilities
    if isinstance(need, TransferMode):
        declared = (datastore is not None and DatastoreCapability.INGEST in datastore.capabilities
                    and need in datastore.ingest_modes)
        return datastore, declared
    return datastore, datastore is not None and need in datastore.capabilities


def _named(need: Need) -> str:
    kind = "ingest transfer mode" if isinstance(need, TransferMode) else "capability"
    return f"the {kind} {need.value!r}"


def skip_undeclared(node: pytest.Item, *, registry: Registry | None = None,
                    datastore: Datastore | None = None) -> None:
    """Skip test ``node`` if a ``requires`` mark names something undeclared or a ``refuses`` mark a declared one."""
    for mark in node.iter_markers(REQUIRES):
        for need in mark.args:
            owner, declared = _owner_declares(need, registry, datastore)
            if not declared:
                pytest.skip(f"{type(owner).__name__} does not declare {_named(need)}")
    for mark in node.iter_markers(REFUSES):
        for need in mark.args:
            owner, declared = _owner_declares(need, registry, datastore)
            if declared:
                pytest.skip(f"{type(owner).__name__} declares {_named(need)} (this test checks its refusal)")
