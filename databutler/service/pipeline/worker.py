"""Batch jobs for executors outside this process: quanta run in a limited registry, whose journals come back.

A worker never opens the central database. It gets the DataUnit records, dataset types,
datasets and artifacts its quanta read (``Registry.export_subset``), writes outputs to the
repository's shared datastore, records its quanta in a limited registry in a scratch directory,
and returns that registry's journals. The coordinator replays the journals of many jobs into one
limited registry and merges it into the central one: one transaction per batch of jobs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ...domain.collection import CollectionKind
from ...domain.dataset_type import DatasetType
from ...domain.errors import ConfigError
from ...domain.pipeline import PlannedQuantum, TaskNode
from ...ports.registry import Registry
from ...ports.subset import RegistrySubset, WorkerRegistry
from ..butler import Butler
from .quantum_run import ComputedQuantum, QuantumOutcome, compute_quantum, store_quanta

REGISTRY_DIR = "registry"
JOURNALS_DIR = "journal"  # the limited registry keeps its journals here (adapters/nosql)


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
    """What a job did: each quantum's outcome, and the limited registry's files (journals)."""

    outcomes: tuple[QuantumOutcome, ...]
    files: Mapping[str, bytes]


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
    """Run the job's quanta in a scratch limited registry; return their outcomes and its journals."""
    scratch = tempfile.mkdtemp(prefix="databutler-job-")
    try:
        with Butler.create(scratch, config=dict(job.config)) as butler:
            registry = _registry_of(butler)
            registry.load_subset(job.subset)
            for dataset_type in job.dataset_types:
                butler.registry.register_dataset_type(dataset_type)
            butler.registry.register_collection(job.output_run, CollectionKind.RUN)
            tasks = {label: node.make_task() for label, node in job.tasks.items()}
            # The scratch registry's work reaches the repository only when the job is done, so the
            # job's outputs are stored in one transaction (one journal record to replay, not one per quantum).
            failed: list[QuantumOutcome] = []
            computed: list[ComputedQuantum] = []
            for quantum in job.quanta:
                result = compute_quantum(butler, job.tasks[quantum.label], tasks[quantum.label], quantum,
                                         job.output_run)
                (failed if isinstance(result, QuantumOutcome) else computed).append(result)  # type: ignore[arg-type]
            outcomes = (*failed, *store_quanta(butler, computed))
        files = {}
        journals = os.path.join(scratch, REGISTRY_DIR, JOURNALS_DIR)
        for name in sorted(os.listdir(journals)):
            with open(os.path.join(journals, name), "rb") as stream:
                files[name] = stream.read()
        return JobResult(outcomes, files)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def merge_results(central: Registry, config: Mapping[str, Any], results: Sequence[JobResult]) -> dict[str, int]:
    """Replay the journals of ``results`` into one limited registry and merge it into ``central`` (one transaction)."""
    scratch = tempfile.mkdtemp(prefix="databutler-merge-")
    try:
        Butler.create(scratch, config=dict(config)).close()
        journals = os.path.join(scratch, REGISTRY_DIR, JOURNALS_DIR)
        for result in results:
            prefix = uuid.uuid4().hex
            for name, data in result.files.items():
                with open(os.path.join(journals, f"{prefix}-{name}"), "wb") as stream:
                    stream.write(data)
        with Butler(scratch, writeable=False) as merged:
            return _registry_of(merged).merge_into(central)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
