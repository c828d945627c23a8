"""The dataset rules of RegistryBase: one dataset per DataId in an insert, consistent definitions in an import."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..domain.collection import CollectionKind
from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef
from ..domain.dataset_type import DatasetType
from ..domain.errors import ConflictingDefinitionError

if TYPE_CHECKING:
    from .registry_base import RegistryBase


def check_distinct(dataset_type: str, data_ids: Sequence[DataId]) -> None:
    """Refuse a DataId given twice in one insert: a run holds one dataset per DataId."""
    seen: set[DataId] = set()
    for data_id in data_ids:
        if data_id in seen:
            raise ConflictingDefinitionError(f"data ID {dict(data_id)} appears twice in one insert of "
                                             f"{dataset_type!r} datasets; a run holds one dataset per data ID")
        seen.add(data_id)


def already_in_run(dataset_type: str, data_id: Mapping[str, Any], run: str, existing: object
                   ) -> ConflictingDefinitionError:
    """The conflict of a new dataset whose type and DataId dataset ``existing`` already has in ``run``."""
    return ConflictingDefinitionError(
        f"a {dataset_type!r} dataset with data ID {dict(data_id)} already exists in run {run!r} (id {existing}); "
        "a run holds one dataset per DatasetType and data ID")


def prepare_import(registry: RegistryBase, refs: Sequence[DatasetRef]) -> tuple[list[DatasetRef], list[DatasetRef]]:
    """``refs`` checked against the registered DatasetTypes, their runs registered and DataIds expanded.

    Returns the refs in order and the distinct ones (by id) for the storage hook.
    """
    types: dict[str, DatasetType] = {}
    for ref in refs:
        if ref.dataset_type.name not in types:
            definition = registry.get_dataset_type(ref.dataset_type.name)
            if definition != ref.dataset_type.normalized(registry.universe):
                raise ConflictingDefinitionError(f"dataset {ref.id} has dataset type {ref.dataset_type}, "
                                                 f"but {definition} is registered under that name")
            types[ref.dataset_type.name] = definition
    for run in dict.fromkeys(ref.run for ref in refs):
        registry.register_collection(run, CollectionKind.RUN)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, ref in enumerate(refs):
        groups.setdefault((ref.dataset_type.name, ref.run), []).append(i)
    result: list[DatasetRef | None] = [None] * len(refs)
    unique: dict[uuid.UUID, DatasetRef] = {}
    for (type_name, run), members in groups.items():
        definition = types[type_name]
        expanded = registry.expand_data_ids(definition.units, [refs[i].data_id.full for i in members])
        for i, data_id in zip(members, expanded, strict=True):
            ref = DatasetRef(definition, data_id, run, refs[i].id)
            earlier = unique.setdefault(ref.id, ref)
            if earlier is not ref and (earlier.dataset_type, earlier.run, earlier.data_id.full) != (
                    definition, run, data_id.full):
                raise ConflictingDefinitionError(f"dataset id {ref.id} is given twice with different definitions")
            result[i] = ref
    return [ref for ref in result if ref is not None], list(unique.values())
