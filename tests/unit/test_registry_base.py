"""RegistryBase applies the rules once, over storage hooks called once per batch.

The registry here stores DataUnit records, DatasetTypes and collections in dicts and records every
hook call; what it does not need for these tests it does not store. Its answers are compared with
SqlRegistry's on the same records, so the rules behave as they do in the bundled adapter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind
from databutler.domain.collection import Collection
from databutler.domain.data_id import DataId
from databutler.domain.dataset import DatasetRef, StoredArtifact
from databutler.domain.dataset_type import DatasetType
from databutler.domain.errors import CollectionError, DataIdError, ReadOnlyError
from databutler.domain.quantum import Quantum
from databutler.domain.records import Implied, Key
from databutler.domain.universe import DataUnitType, Universe
from databutler.ports import RegistryBase, RegistryCapability
from databutler.testing.data import insert_standard_data_units


class DictRegistry(RegistryBase):
    """DataUnit records, DatasetTypes and collections in dicts; every hook call is recorded in ``calls``."""

    def __init__(self, universe: Universe, *, writeable: bool = True) -> None:
        self._universe = universe
        self._writeable = writeable
        self.records: dict[str, dict[Key, dict[str, Any]]] = {e.name: {} for e in universe.elements}
        self.types: dict[str, DatasetType] = {}
        self.collections: dict[str, Collection] = {}
        self.calls: list[tuple[str, str]] = []

    @property
    def universe(self) -> Universe:
        return self._universe

    @property
    def capabilities(self) -> frozenset[RegistryCapability]:
        return frozenset({RegistryCapability.WRITE} if self._writeable else ())

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        yield

    def transaction(self) -> Any:
        return self._transaction()

    def __repr__(self) -> str:
        return "DictRegistry()"

    def _key(self, element: str, record: Mapping[str, Any]) -> Key:
        return tuple(record[f] for f in self._universe.key_fields(element))

    def _lookup_data_units(self, unit: str, keys: Sequence[Key]) -> dict[Key, Implied]:
        self.calls.append(("lookup", unit))
        implies = self._universe.unit(unit).implies
        stored = self.records[unit]
        return {k: {i: stored[k].get(i) for i in implies} for k in keys if k in stored}

    def _fetch_data_unit_records(self, element: str, keys: Sequence[Key] | None) -> list[dict[str, Any]]:
        self.calls.append(("fetch", element))
        stored = self.records[element]
        return [dict(stored[k]) for k in (sorted(stored) if keys is None else keys) if k in stored]

    def _insert_data_units(self, element: str, records: Sequence[dict[str, Any]], *,
                           ignore_conflicts: bool = False) -> None:
        self.calls.append(("insert", element))
        for record in records:
            self.records[element].setdefault(self._key(element, record), dict(record))

    def _update_data_units(self, element: str, records: Mapping[Key, dict[str, Any]]) -> None:
        self.records[element].update(records)

    def _data_unit_in_use(self, element: str, key: Key) -> bool:
        return False

    def _store_dataset_type(self, dataset_type: DatasetType) -> DatasetType | None:
        existing = self.types.get(dataset_type.name)
        if existing is None:
            self.types[dataset_type.name] = dataset_type
        return existing

    def _dataset_types(self) -> list[DatasetType]:
        return list(self.types.values())

    def _remove_dataset_type(self, name: str) -> None:
        del self.types[name]

    def _register_collection(self, name: str, kind: CollectionKind, doc: str) -> CollectionKind | None:
        if name in self.collections:
            return self.collections[name].kind
        self.collections[name] = Collection(name, kind, doc)
        return None

    def _collections(self, names: Sequence[str] | None) -> list[Collection]:
        return sorted((c for n, c in self.collections.items() if names is None or n in names), key=lambda c: c.name)

    def _set_chain(self, name: str, children: tuple[str, ...]) -> None:
        self.calls.append(("set_chain", name))
        self.collections[name] = Collection(name, CollectionKind.CHAINED, children=children)

    def _remove_collection(self, name: str) -> None:
        del self.collections[name]

    # Datasets, artifacts and quanta are not stored by this registry.
    def _associate(self, tagged: str, refs: list[DatasetRef]) -> None:
        raise NotImplementedError

    def _disassociate(self, tagged: str, refs: list[DatasetRef]) -> None:
        raise NotImplementedError

    def _insert_datasets(self, refs: list[DatasetRef]) -> None:
        raise NotImplementedError

    def _import_datasets(self, refs: list[DatasetRef]) -> None:
        raise NotImplementedError

    def _find_datasets(self, dataset_type: DatasetType, data_ids: list[DataId],
                       collections: tuple[str, ...]) -> list[DatasetRef | None]:
        raise NotImplementedError

    def _get_datasets(self, ids: list[uuid.UUID]) -> list[DatasetRef | None]:
        raise NotImplementedError

    def _datasets_in_collection(self, collection: str, dataset_type: str | None) -> list[DatasetRef]:
        raise NotImplementedError

    def _remove_datasets(self, ids: list[uuid.UUID]) -> None:
        raise NotImplementedError

    def _insert_artifacts(self, artifacts: list[StoredArtifact]) -> None:
        raise NotImplementedError

    def _get_artifacts(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        raise NotImplementedError

    def _remove_artifacts(self, ids: list[uuid.UUID]) -> None:
        raise NotImplementedError

    def _artifact_users(self, uris: list[str]) -> dict[str, set[uuid.UUID]]:
        raise NotImplementedError

    def _insert_quanta(self, quanta: list[Quantum]) -> None:
        raise NotImplementedError

    def _get_quanta(self, ids: list[uuid.UUID]) -> list[Quantum | None]:
        raise NotImplementedError


@pytest.fixture
def registry() -> DictRegistry:
    made = DictRegistry(default_universe())
    insert_standard_data_units(made)
    return made


@pytest.fixture
def sql() -> Iterator[SqlRegistry]:
    with SqlRegistry.create("sqlite://", default_universe()) as made:
        insert_standard_data_units(made)
        yield made


def _calexp_ids(registry: RegistryBase) -> list[dict[str, Any]]:
    visits = [r["id"] for r in registry.fetch_data_unit_records("visit") if r["instrument"] == "Cam1"]
    detectors = [r["id"] for r in registry.fetch_data_unit_records("detector") if r["instrument"] == "Cam1"]
    return [{"instrument": "Cam1", "visit": v, "detector": d} for v in visits for d in detectors]


def test_expanding_a_batch_reads_each_unit_once_and_agrees_with_the_sql_registry(
        registry: DictRegistry, sql: SqlRegistry) -> None:
    data_ids = _calexp_ids(registry)
    assert len(data_ids) > 2
    registry.calls.clear()
    expanded = registry.expand_data_ids(("instrument", "visit", "detector"), data_ids)
    lookups = [unit for call, unit in registry.calls if call == "lookup"]
    assert sorted(lookups) == sorted(set(lookups)), "one storage read per unit for the whole batch"
    assert expanded == sql.expand_data_ids(("instrument", "visit", "detector"), data_ids)
    assert [d.implied for d in expanded] == [d.implied for d in sql.expand_data_ids(
        ("instrument", "visit", "detector"), data_ids)]


def test_unknown_value_is_refused_naming_it(registry: DictRegistry) -> None:
    with pytest.raises(DataIdError, match="visit 999"):
        registry.expand_data_ids(("instrument", "visit"), [{"instrument": "Cam1", "visit": 999}])


def test_a_batch_of_records_is_one_storage_write_and_governors_are_inferred(registry: DictRegistry) -> None:
    populated = [u for u in registry.universe.units if u.populated_by is not None]
    assert populated, "the default universe has a unit populated by another (band by physical_filter)"
    unit = populated[0]
    parent = registry.universe.element(unit.populated_by or "")
    assert isinstance(parent, DataUnitType)
    existing = registry.fetch_data_unit_records(parent.name)
    template = existing[0]
    key_field = registry.universe.key_fields(parent.name)[-1]
    unit_field = next(f for f in template if f == unit.name)
    new = [{**template, key_field: f"new-{i}", unit_field: "brand-new-band"} for i in range(5)]
    registry.calls.clear()
    assert registry.insert_data_units(parent.name, new) == 5
    inserts = [element for call, element in registry.calls if call == "insert"]
    assert inserts == [unit.name, parent.name], "the inferred records first, then one write for the batch"
    assert registry.fetch_data_unit_records(unit.name, [{unit.name: "brand-new-band"}])


def test_a_chain_cycle_is_refused_before_the_storage_hook(registry: DictRegistry) -> None:
    registry.register_collection("run", CollectionKind.RUN)
    registry.register_collection("a", CollectionKind.CHAINED)
    registry.register_collection("b", CollectionKind.CHAINED)
    registry.set_chain("a", ["b", "run"])
    registry.set_chain("b", ["run"])
    registry.calls.clear()
    with pytest.raises(CollectionError, match="contain itself"):
        registry.set_chain("b", ["a"])
    assert ("set_chain", "b") not in registry.calls
    assert registry.get_collection("b").children == ("run",)
    assert registry.resolve_collections(["a"]) == ("run",)


def test_a_read_only_registry_refuses_writes_before_any_hook() -> None:
    registry = DictRegistry(default_universe(), writeable=False)
    with pytest.raises(ReadOnlyError, match=r"read-only.*cannot insert instrument records"):
        registry.insert_data_units("instrument", [{"name": "Cam9"}])
    with pytest.raises(ReadOnlyError, match="cannot register collection 'run'"):
        registry.register_collection("run", CollectionKind.RUN)
    assert registry.calls == []
