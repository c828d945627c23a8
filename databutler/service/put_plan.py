"""A put's datasets made before they are stored: files first, then one short registry transaction.

``Butler.put_many`` writes the files of its new datasets before it opens the registry transaction
that records them, so the transaction holds no lock while files are written: SQLite runs one
writer at a time, and a put that wrote a 1 MiB file (or sent one to an object store) inside its
transaction kept every other writer waiting that long. The refs are made here: DataIds validated
and expanded (the registry remembers them, so the insert does not look them up again), a DataId
given twice refused, and new ids chosen, which the insert then takes as they are.

A file that is in the way is explained as the registry would have refused the insert: a dataset
of that type and DataId already in the run is a ConflictingDefinitionError naming it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from ..domain.dataset import DatasetRef
from ..domain.errors import ArtifactExistsError, ConflictingDefinitionError, DataButlerError
from ..ports import dataset_rules
from ..ports.registry import DataIdLike, Registry
from .ownership import explain_taken

__all__ = ["explain_existing", "new_refs"]


def new_refs(registry: Registry, dataset_type: str, run: str, data_ids: Sequence[DataIdLike]) -> list[DatasetRef]:
    """Refs for new datasets of ``dataset_type`` in ``run``: DataIds checked and expanded, ids new."""
    definition = registry.get_dataset_type(dataset_type)
    expanded = registry.expand_data_ids(definition.units, data_ids)
    dataset_rules.check_distinct(dataset_type, expanded)
    return [DatasetRef(definition, data_id, run, uuid.uuid4()) for data_id in expanded]


def explain_existing(registry: Registry, refs: Sequence[DatasetRef], err: ArtifactExistsError,
                     repo: str) -> ConflictingDefinitionError:
    """Why the files of ``refs`` could not be written: a dataset already in the run, or ``err`` explained."""
    first = refs[0]
    try:
        found = registry.find_datasets(first.dataset_type.name, [ref.data_id for ref in refs], [first.run])
    except DataButlerError:  # the run is not registered yet, or the registry failed: the file's own story
        found = []
    for existing in found:
        if existing is not None:
            return dataset_rules.already_in_run(first.dataset_type.name, existing.data_id, first.run, existing.id)
    return explain_taken(registry, err, repo)
