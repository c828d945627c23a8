"""Batch jobs for executors outside this process: quanta run in a limited registry, whose journals come back.

A worker never opens the central database. It gets the DataUnit records, dataset types,
datasets and artifacts its quanta read (``Registry.export_subset``), writes outputs to the
repository's shared datastore, records its quanta in a limited registry in a scratch directory,
and returns that registry's journals. The coordinator merges the registries of many jobs into one
limited registry and that into the central one: one central transaction per batch of jobs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
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
    """Merge the limited registries of ``results`` into one, then that one into ``central`` (one transaction).

    Each job's journals are replayed into a registry of their own and merged (idempotently) into
    the combined one: jobs seeded with overlapping subsets (a flat read by many quanta) hold the
    same input artifacts, which replaying every journal into one registry would insert twice.
    """
    scratch = tempfile.mkdtemp(prefix="databutler-merge-")
    try:
        roots = [_replayable(os.path.join(scratch, f"job-{number}"), config, result)
                 for number, result in enumerate(results)]
        if len(roots) == 1:
            with Butler(roots[0], writeable=False) as only:
                return _registry_of(only).merge_into(central)
        with Butler.create(os.path.join(scratch, "combined"), config=dict(config)) as combined:
            for root in roots:
                with Butler(root, writeable=False) as job:
                    _registry_of(job).merge_into(combined.registry)
            return _registry_of(combined).merge_into(central)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _replayable(root: str, config: Mapping[str, Any], result: JobResult) -> str:
    """A worker repository at ``root`` whose limited registry holds ``result``'s journals; ``root``."""
    Butler.create(root, config=dict(config)).close()
    journals = os.path.join(root, REGISTRY_DIR, JOURNALS_DIR)
    for name, data in result.files.items():
        with open(os.path.join(journals, name), "wb") as stream:
            stream.write(data)
    return root
