"""Batch jobs for executors outside this process: quanta run in a limited registry, whose journals come back.

A worker never opens the central database. It gets the DataUnit records, dataset types,
datasets and artifacts its quanta read (``Registry.export_subset``), writes outputs to the
repository's shared datastore, records its quanta in a limited registry in a scratch directory,
and returns what it wrote (``export_subset`` of its outputs) and the quanta it recorded. The
coordinator loads the results of many jobs into one limited registry and merges that into the
central one: one central transaction per batch of jobs.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ...domain.collection import CollectionKind
from ...domain.dataset_type import DatasetType
from ...domain.errors import ConfigError
from ...domain.pipeline import PlannedQuantum, TaskNode
from ...domain.quantum import Quantum, QuantumStatus
from ...ports.registry import Registry
from ...ports.subset import RegistrySubset, WorkerRegistry
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


def _registry_of(butler: Butler) -> WorkerRegistry:
    registry = butler.registry
    if not isinstance(registry, WorkerRegistry):
        raise ConfigError(f"a worker needs a registry that loads subsets and merges back (the limited one), "
                          f"not {type(registry).__name__}")
    return registry


def run_job(job: QuantumJob) -> JobResult:
    """Run the job's quanta in a scratch limited registry; return their outcomes, outputs and quanta."""
    scratch = tempfile.mkdtemp(prefix="databutler-job-")
    try:
        with Butler.create(scratch, config=dict(job.config)) as butler:
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
                result = compute_quantum(butler, job.tasks[quantum.label], tasks[quantum.label], quantum,
                                         job.output_run)
                (failed if isinstance(result, QuantumOutcome) else computed).append(result)  # type: ignore[arg-type]
            outcomes = (*failed, *store_quanta(butler, computed))
            planned = {quantum.id: quantum for quantum in job.quanta}
            stored = [ref for outcome in outcomes if outcome.status is QuantumStatus.SUCCEEDED
                      for ref in planned[outcome.id].output_refs()]
            written = butler.registry.export_subset(stored)
            return JobResult(tuple(outcomes), job.subset, written, tuple(registry.all_quanta()))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def merge_results(central: Registry, config: Mapping[str, Any], results: Sequence[JobResult]) -> dict[str, int]:
    """Load what ``results`` read and wrote into one limited registry and merge it into ``central`` (one transaction).

    Loading subsets is idempotent, so jobs seeded with overlapping subsets (a flat read by many
    quanta) combine; replaying their journals into one registry would insert the shared artifacts twice.
    """
    scratch = tempfile.mkdtemp(prefix="databutler-merge-")
    try:
        with Butler.create(scratch, config=dict(config)) as combined:
            registry = _registry_of(combined)
            for result in results:
                registry.load_subset(result.read)
                registry.load_subset(result.written)
                combined.registry.insert_quanta(list(result.quanta))
            return registry.merge_into(central)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
