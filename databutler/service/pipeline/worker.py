"""Batch jobs for executors outside this process: quanta run in a limited registry, whose journals come back.

A worker never opens the central database. It gets the DataUnit records, dataset types,
datasets and artifacts its quanta read (``Registry.export_subset``), writes outputs to the
repository's shared datastore, records its quanta in a limited registry in a scratch directory,
and returns what it wrote (``export_subset`` of its outputs) and the quanta it recorded. The
coordinator loads the results of many jobs into one limited registry and merges that into the
central one: one central transaction per batch of jobs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import fsspec

from ...domain.collection import CollectionKind
from ...domain.dataset_type import DatasetType
from ...domain.errors import ConfigError
from ...domain.pipeline import PlannedQuantum, TaskNode
from ...domain.quantum import Quantum, QuantumStatus
from ...ports.registry import Registry
from ...ports.subset import RegistrySubset, WorkerRegistry, combine_subsets
from ..butler import Butler
from .quantum_run import ComputedQuantum, QuantumOutcome, compute_quantum, store_quanta

REGISTRY_DIR = "registry"


@attrs.frozen
class QuantumJob:
    """Quanta to run elsewhere, with everything they need but the shared datastore's files."""

    config: Mapping[str, Any]
    """The worker repository's configuration: the central one's, with a limited registry."""
    subset: RegistrySubset
    tasks: Mapping[str, TaskNode]
    quanta: tuple[PlannedQuantum, ...]
    output_run: str
    dataset_types: tuple[DatasetType, ...]


@attrs.frozen
class JobResult:
    """What a job did: each quantum's outcome, what it read and wrote (as subsets), and the quanta it recorded."""

    outcomes: tuple[QuantumOutcome, ...]
    read: RegistrySubset
    """The subset the job was seeded with (the datasets its quanta read)."""
    written: RegistrySubset
    """The outputs it stored: their DataUnit records, dataset types, refs and artifacts."""
    quanta: tuple[Quantum, ...]
    """Every quantum it recorded (succeeded and failed)."""


def worker_config(central: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration of a worker's repository: the central datastore, a limited registry in scratch space."""
    config = {k: v for k, v in central.items() if k != "registry"}
    config["registry"] = {"adapter": "limited", "root": "{root}/" + REGISTRY_DIR}
    return config


@contextlib.contextmanager
def scratch_butler(config: Mapping[str, Any], prefix: str) -> Iterator[Butler]:
    """A Butler over ``config`` whose limited registry lives in memory, in a scratch directory removed after.

    Nothing of a job's scratch registry needs to outlive the job (its work travels back as
    subsets), so its journals are kept in memory: no files, no fsync.
    """
    scratch = tempfile.mkdtemp(prefix=prefix)
    journals = f"memory://{os.path.basename(scratch)}"
    config = {**config, "registry": {"adapter": "limited", "root": journals}}
    try:
        with Butler.create(scratch, config=config) as butler:
            yield butler
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        fs, path = fsspec.core.url_to_fs(journals)
        if fs.exists(path):
            fs.rm(path, recursive=True)


def _registry_of(butler: Butler) -> WorkerRegistry:
    registry = butler.registry
    if not isinstance(registry, WorkerRegistry):
        raise ConfigError(f"a worker needs a registry that loads subsets and merges back (the limited one), "
                          f"not {type(registry).__name__}")
    return registry


def run_job(job: QuantumJob) -> JobResult:
    """Run the job's quanta in a scratch limited registry; return their outcomes, outputs and quanta."""
    with scratch_butler(job.config, "databutler-job-") as butler:
        registry = _registry_of(butler)
        registry.load_subset(job.subset)
        for dataset_type in job.dataset_types:
            butler.registry.register_dataset_type(dataset_type)
        butler.registry.register_collection(job.output_run, CollectionKind.RUN)
        tasks = {label: node.make_task() for label, node in job.tasks.items()}
        # The job's outputs and quanta are stored in one transaction of the scratch registry.
        failed: list[QuantumOutcome] = []
        computed: list[ComputedQuantum] = []
        for quantum in job.quanta:
            result = compute_quantum(butler, job.tasks[quantum.label], tasks[quantum.label], quantum, job.output_run)
            if isinstance(result, QuantumOutcome):
                failed.append(result)
            else:
                computed.append(result)
        outcomes = (*failed, *store_quanta(butler, computed))
        planned = {quantum.id: quantum for quantum in job.quanta}
        stored = [ref for outcome in outcomes if outcome.status is QuantumStatus.SUCCEEDED
                  for ref in planned[outcome.id].output_refs()]
        written = butler.registry.export_subset(stored)
        return JobResult(tuple(outcomes), job.subset, written, tuple(registry.all_quanta()))


def merge_results(central: Registry, config: Mapping[str, Any], results: Sequence[JobResult]) -> dict[str, int]:
    """Load what ``results`` read and wrote into one limited registry and merge it into ``central`` (one transaction).

    Loading subsets is idempotent, so jobs seeded with overlapping subsets (a flat read by many
    quanta) combine; replaying their journals into one registry would insert the shared artifacts twice.
    """
    with scratch_butler(config, "databutler-merge-") as combined:
        registry = _registry_of(combined)
        # What the jobs read is in the central registry already; what they wrote is loaded at once.
        registry.load_subset(combine_subsets([result.written for result in results]))
        combined.registry.insert_quanta([quantum for result in results for quantum in result.quanta])
        return registry.merge_into(central)
