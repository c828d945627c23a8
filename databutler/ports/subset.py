"""RegistrySubset: what a limited registry needs from a full one to run a job on some datasets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..domain.quantum import Quantum
from ..domain.universe import Universe

if TYPE_CHECKING:
    from .registry import Registry


@attrs.frozen
class RegistrySubset:
    """DataUnit records, DatasetTypes, datasets and their artifacts, exported by ``Registry.export_subset``."""

    universe: Universe
    records: Mapping[str, Sequence[Mapping[str, Any]]]
    """DataUnit name -> records, in universe order (every unit after the units it needs)."""
    dataset_types: tuple[DatasetType, ...]
    refs: tuple[DatasetRef, ...]
    artifacts: tuple[StoredArtifact, ...]


def export_subset(registry: Registry, refs: Sequence[DatasetRef]) -> RegistrySubset:
    """The subset of ``registry`` (a Registry) that ``refs`` need, read through port methods only."""
    universe = registry.universe
    ids = list(dict.fromkeys(ref.id for ref in refs))
    found = [ref for ref in registry.get_datasets(ids) if ref is not None]
    types = {ref.dataset_type.name: registry.get_dataset_type(ref.dataset_type.name) for ref in found}
    pool: list[dict[str, Any]] = [dict(ref.data_id.full) for ref in found]
    keys: dict[str, set[tuple[Any, ...]]] = {}
    records: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    while pool:  # records name further units (required and implied): follow them to a fixed point
        new: list[dict[str, Any]] = []
        for unit in universe.units:
            required = universe.required(unit.name)
            fields = universe.key_fields(unit.name)
            wanted = {tuple(values[u] for u in required) for values in pool if all(u in values for u in required)}
            wanted -= keys.setdefault(unit.name, set())
            if not wanted:
                continue
            keys[unit.name] |= wanted
            fetched = registry.fetch_data_unit_records(unit.name, [dict(zip(fields, k, strict=True))
                                                                   for k in sorted(wanted, key=repr)])
            for record in fetched:
                key = tuple(record[f] for f in fields)
                records.setdefault(unit.name, {})[key] = record
                context = dict(zip(required, key, strict=True))
                context.update({i: record[i] for i in unit.implies if record.get(i) is not None})
                new.append(context)
        pool = new
    artifacts = registry.get_artifacts(ids)
    ordered = {u.name: list(records[u.name].values()) for u in universe.units if u.name in records}
    return RegistrySubset(universe, ordered, tuple(types.values()), tuple(found),
                          tuple(a for i in ids for a in artifacts.get(i, [])))


@runtime_checkable
class WorkerRegistry(Protocol):
    """A registry a batch job works in: seeded from a full registry, its work merged back (the limited one)."""

    def load_subset(self, subset: RegistrySubset) -> None:
        """Seed this registry with ``subset``."""

    def merge_into(self, full: Registry) -> dict[str, int]:
        """Copy what this registry holds that ``full`` lacks into ``full``, idempotently; counts by kind."""

    def all_quanta(self) -> list[Quantum]:
        """Every quantum recorded here (what a job hands back with its outputs)."""


def combine_subsets(subsets: Sequence[RegistrySubset]) -> RegistrySubset:
    """One subset holding everything in ``subsets`` (same universe), each record, type, ref and artifact once."""
    if not subsets:
        raise ValueError("combine_subsets needs at least one subset")
    universe = subsets[0].universe
    records: dict[str, dict[tuple[Any, ...], Mapping[str, Any]]] = {}
    for subset in subsets:
        for element, rows in subset.records.items():
            fields = universe.key_fields(element)
            found = records.setdefault(element, {})
            for row in rows:
                found.setdefault(tuple(row[f] for f in fields), row)
    types = {t.name: t for subset in subsets for t in subset.dataset_types}
    refs = {r.id: r for subset in subsets for r in subset.refs}
    artifacts = {(a.dataset_id, a.component, a.uri): a for subset in subsets for a in subset.artifacts}
    ordered = {u.name: list(records[u.name].values()) for u in universe.units if u.name in records}
    return RegistrySubset(universe, ordered, tuple(types.values()), tuple(refs.values()), tuple(artifacts.values()))
