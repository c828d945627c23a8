"""Seeding a limited registry from a full one, and merging its work back (idempotently)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from ...domain.collection import CollectionKind
from ...domain.errors import ConfigError, ConflictingDefinitionError
from ...ports.registry import Registry
from ...ports.subset import RegistrySubset


def load_subset(target: Registry, subset: RegistrySubset) -> None:
    """Insert ``subset`` (from ``Registry.export_subset``) into ``target``, in one transaction."""
    if subset.universe != target.universe:
        raise ConfigError("the subset was exported from a registry with another universe than this one")
    with target.transaction():
        for element, records in subset.records.items():
            if records:
                target.insert_data_units(element, list(records), skip_existing=True)
        for dataset_type in subset.dataset_types:
            target.register_dataset_type(dataset_type)
        if subset.refs:
            target.import_datasets(list(subset.refs))
        _insert_missing_artifacts(target, list(subset.artifacts))


def _insert_missing_artifacts(target: Registry, artifacts: list[Any]) -> int:
    ids = list(dict.fromkeys(a.dataset_id for a in artifacts))
    present = {(a.dataset_id, a.component): a for found in target.get_artifacts(ids).values() for a in found}
    new = []
    for artifact in artifacts:
        existing = present.get((artifact.dataset_id, artifact.component))
        if existing is None:
            new.append(artifact)
        elif existing != artifact:
            raise ConflictingDefinitionError(f"dataset {artifact.dataset_id} has artifact {existing.uri!r} in the "
                                             f"target registry, not {artifact.uri!r}")
    if new:
        target.insert_artifacts(new)
    return len(new)


def merge(source: Registry, target: Registry, quanta: list[Any],
          updated: Mapping[str, Set[tuple[Any, ...]]] | None = None) -> dict[str, int]:
    """Copy the datasets, artifacts, collections and ``quanta`` of ``source`` that ``target`` lacks, in one transaction.

    DataUnit records, DatasetTypes and RUN collections come along as needed, then TAGGED
    memberships and CHAINED definitions; what ``target`` already holds identically is skipped, so
    merging twice changes nothing. A chain defined differently on both sides is a conflict.
    The records with keys in ``updated`` (element -> keys updated in ``source``) replace ``target``'s.
    """
    counts = {"data_unit_records": 0, "datasets": 0, "artifacts": 0, "tags": 0, "chains": 0, "quanta": 0}
    with target.transaction():
        for unit in source.universe.units:
            records = source.fetch_data_unit_records(unit.name)
            if records:
                counts["data_unit_records"] += _merge_records(source, target, unit.name, records,
                                                              (updated or {}).get(unit.name, set()))
        for dataset_type in source.query_dataset_types():
            target.register_dataset_type(dataset_type)
        refs = []
        for run in source.query_collections(kinds=[CollectionKind.RUN]):
            target.register_collection(run.name, CollectionKind.RUN, run.doc)
            refs.extend(source.datasets_in_collection(run.name))
        known = {ref.id for ref in target.get_datasets([r.id for r in refs]) if ref is not None}
        target.import_datasets(refs)
        counts["datasets"] = len([r for r in refs if r.id not in known])
        artifacts = [a for found in source.get_artifacts([r.id for r in refs]).values() for a in found]
        counts["artifacts"] = _insert_missing_artifacts(target, artifacts)
        counts["tags"] = _merge_tags(source, target)
        counts["chains"] = _merge_chains(source, target)
        recorded = {q.id for q in target.get_quanta([q.id for q in quanta]) if q is not None}
        target.insert_quanta(quanta)
        counts["quanta"] = len([q for q in quanta if q.id not in recorded])
    return counts


def _merge_records(source: Registry, target: Registry, element: str, records: list[dict[str, Any]],
                   updated: Set[tuple[Any, ...]]) -> int:
    """Insert ``records`` that ``target`` lacks; those updated in ``source`` update ``target``'s too."""
    fields = source.universe.key_fields(element)

    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(record[f] for f in fields)

    unchanged = [r for r in records if key(r) not in updated]
    count = target.insert_data_units(element, unchanged, skip_existing=True) if unchanged else 0
    changed = [r for r in records if key(r) in updated]
    if changed:
        present = {key(r) for r in target.fetch_data_unit_records(element, [{f: r[f] for f in fields}
                                                                           for r in changed])}
        new = [r for r in changed if key(r) not in present]
        count += target.insert_data_units(element, new) if new else 0
        count += target.update_data_units(element, [r for r in changed if key(r) in present])
    return count


def _merge_tags(source: Registry, target: Registry) -> int:
    """Add the members of ``source``'s TAGGED collections to ``target``'s; return how many were new."""
    added = 0
    for tagged in source.query_collections(kinds=[CollectionKind.TAGGED]):
        target.register_collection(tagged.name, CollectionKind.TAGGED, tagged.doc)
        members = source.datasets_in_collection(tagged.name)
        present = {ref.id for ref in target.datasets_in_collection(tagged.name)}
        target.associate(tagged.name, members)
        added += len([ref for ref in members if ref.id not in present])
    return added


def _merge_chains(source: Registry, target: Registry) -> int:
    """Define ``source``'s CHAINED collections in ``target``; return how many were set."""
    chains = source.query_collections(kinds=[CollectionKind.CHAINED])
    for chain in chains:  # every chain first: a chain may be another's child
        target.register_collection(chain.name, CollectionKind.CHAINED, chain.doc)
    changed = 0
    for chain in chains:
        current = target.get_collection(chain.name).children
        if current == chain.children:
            continue
        if current:
            raise ConflictingDefinitionError(
                f"chain {chain.name!r} is {list(current)} in the target registry but {list(chain.children)} in the "
                "registry being merged; set it by hand before merging")
        target.set_chain(chain.name, chain.children)
        changed += 1
    return changed
