"""Preflight: plan every quantum of a pipeline from registry queries (the quantum graph)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ...domain.collection import CollectionKind
from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef
from ...domain.dataset_type import DatasetType
from ...domain.errors import MissingCollectionError, MissingDatasetTypeError, PipelineError
from ...domain.pipeline import ConnectionKind, DroppedQuantum, Pipeline, PlannedQuantum, QuantumGraph, TaskNode
from ...domain.pipeline.connections import Connection
from ...domain.universe import Universe
from ...domain.values import Timespan
from ...ports.capabilities import RegistryCapability, require
from ...ports.registry import Registry
from ..butler import Butler
from ..calibration_lookup import UNBOUNDED, lookup_times

Key = tuple[Any, ...]


def build_quantum_graph(butler: Butler, pipeline: Pipeline, input_collections: Sequence[str] | str,
                        output_run: str, *, where: str = "", bind: Mapping[str, Any] | None = None,
                        data_id: Mapping[str, Any] | None = None, skip_existing_in: Sequence[str] = (),
                        clobber: bool = False, extend_run: bool = False) -> QuantumGraph:
    """Plan ``pipeline`` over the datasets in ``input_collections``, writing to ``output_run``.

    One query over every DataUnit of the pipeline, constrained by the existence of its overall
    inputs and by ``where``/``bind``/``data_id``, gives the DataIds; each task's quanta and their
    inputs and outputs are projections of them. Prerequisite inputs are then looked up per quantum
    (in batches); a quantum missing one is dropped with the reason, as are the quanta downstream of
    it. With ``skip_existing_in``, quanta whose outputs all exist there are left out (their outputs
    are read instead); with ``extend_run`` the output run may exist, and ``clobber`` plans the
    removal of the outputs a failed quantum left in it.
    """
    registry = butler.registry
    require(registry.capabilities, RegistryCapability.QUERIES, type(registry).__name__,
            "plan a pipeline (preflight needs a full registry's queries)")
    inputs = (input_collections,) if isinstance(input_collections, str) else tuple(input_collections)
    if not inputs:
        raise PipelineError("preflight needs at least one input collection")
    universe = registry.universe
    pipeline.check_units(universe)
    types = _check_dataset_types(registry, pipeline)
    _check_collections(registry, inputs, output_run, extend_run)
    planner = _Planner(registry, universe, pipeline, types, inputs=inputs, output_run=output_run,
                       skip_existing_in=tuple(skip_existing_in), clobber=clobber, extend_run=extend_run)
    rows = planner.query_rows(where, bind, data_id)
    for node in pipeline.tasks:
        planner.plan_task(node, rows)
    options = {"where": where, "bind": dict(bind or {}), "data_id": dict(data_id or {}),
               "skip_existing_in": list(skip_existing_in), "clobber": clobber, "extend_run": extend_run}
    return QuantumGraph(pipeline, planner.quanta, inputs, output_run, planner.dropped, planner.skipped,
                        options=options, universe=(universe.namespace, universe.version))


def _check_dataset_types(registry: Registry, pipeline: Pipeline) -> dict[str, DatasetType]:
    """The pipeline's dataset types as the registry has them (or will); a disagreement names both sides."""
    universe = registry.universe
    found: dict[str, DatasetType] = {}
    overall = set(pipeline.overall_inputs())
    for name, as_declared in pipeline.dataset_types().items():
        declared = as_declared.normalized(universe)
        try:
            registered = registry.get_dataset_type(name)
        except MissingDatasetTypeError:
            if name in overall:
                raise PipelineError(f"the pipeline reads {name!r}, which no task writes and the repository does "
                                    "not know (register it, or ingest its datasets)") from None
            found[name] = declared
            continue
        if registered.normalized(universe).units != declared.units:
            raise PipelineError(f"dataset type {name!r} has DataUnits {list(declared.units)} in the pipeline but "
                                f"{list(registered.units)} in the repository")
        if registered.storage_class != declared.storage_class:
            raise PipelineError(f"dataset type {name!r} has StorageClass {declared.storage_class!r} in the pipeline "
                                f"but {registered.storage_class!r} in the repository")
        found[name] = registered
    return found


def _check_collections(registry: Registry, inputs: tuple[str, ...], output_run: str, extend_run: bool) -> None:
    for name in inputs:
        registry.get_collection(name)  # MissingCollectionError names it
    try:
        existing = registry.get_collection(output_run)
    except MissingCollectionError:
        return
    if existing.kind is not CollectionKind.RUN:
        raise PipelineError(f"output run {output_run!r} exists as a {existing.kind.value} collection")
    if not extend_run:
        raise PipelineError(f"output run {output_run!r} already exists; pass extend_run to add to it "
                            "(with skip_existing_in or clobber for outputs already there), or choose a new run")


@attrs.define
class _Draft:
    """A quantum being planned: its DataId, what it reads, and the DataIds of its outputs."""

    data_id: DataId
    inputs: dict[str, list[DatasetRef]]
    wanted: dict[str, list[tuple[Key, DataId]]]
    prerequisites: dict[str, list[DatasetRef]] = attrs.field(factory=dict)


class _Planner:
    """Builds the quanta of one graph, task by task in run order."""

    def __init__(self, registry: Registry, universe: Universe, pipeline: Pipeline, types: dict[str, DatasetType], *,
                 inputs: tuple[str, ...], output_run: str, skip_existing_in: tuple[str, ...],
                 clobber: bool, extend_run: bool) -> None:
        self.registry, self.universe, self.pipeline, self.types = registry, universe, pipeline, types
        self.inputs, self.output_run = inputs, output_run
        self.skip_existing_in, self.clobber, self.extend_run = skip_existing_in, clobber, extend_run
        self.quanta: list[PlannedQuantum] = []
        self.dropped: list[DroppedQuantum] = []
        self.skipped: dict[str, int] = {}
        # dataset type -> DataId key -> ref, for everything readable by a later task
        self.available: dict[str, dict[Key, DatasetRef]] = {}
        # dataset type -> DataId key -> why it will not exist (its producer was dropped)
        self.missing: dict[str, dict[Key, str]] = {}

    def units(self, names: Sequence[str]) -> tuple[str, ...]:
        return self.universe.closure(names) if names else ()

    def query_rows(self, where: str, bind: Mapping[str, Any] | None,
                   data_id: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """Every combination of the pipeline's DataUnits for which the overall inputs exist."""
        names: set[str] = set()
        for node in self.pipeline.tasks:
            names.update(node.units)
            for conn in node.connections().values():
                if conn.kind is not ConnectionKind.PREREQUISITE:
                    names.update(conn.units)
        overall = list(self.pipeline.overall_inputs())
        if not names:
            return [{}]
        found = self.registry.query_data_ids(self.universe.closure(names), where=where, bind=bind,
                                             datasets=overall or None, collections=self.inputs if overall else None,
                                             data_id=data_id)
        rows = [dataset_id.full for dataset_id in found]
        for name in overall:
            self._load_existing(name, rows)
        return rows

    def _load_existing(self, name: str, rows: list[dict[str, Any]]) -> None:
        units = self.units(self.types[name].units)
        keys = list(dict.fromkeys(tuple(row[u] for u in units) for row in rows))
        refs = self.registry.find_datasets(name, [dict(zip(units, k, strict=True)) for k in keys], self.inputs)
        self.available[name] = {k: r for k, r in zip(keys, refs, strict=True) if r is not None}

    def data_id(self, units: tuple[str, ...], row: Mapping[str, Any]) -> DataId:
        implied = {u: row[u] for u in self.universe.implied(units) if u in row}
        return DataId.adopt({u: row[u] for u in units}, implied)

    def plan_task(self, node: TaskNode, rows: list[dict[str, Any]]) -> None:
        """Plan the quanta of one task from the rows, then record its outputs for later tasks."""
        q_units = self.units(node.units)
        connections = node.connections()
        conn_units = {name: self.units(c.units) for name, c in connections.items()}
        grouped: dict[Key, tuple[dict[str, Any], dict[str, dict[Key, dict[str, Any]]]]] = {}
        for row in rows:
            key = tuple(row[u] for u in q_units)
            entry = grouped.get(key)
            if entry is None:
                entry = grouped[key] = (row, {name: {} for name, c in connections.items()
                                              if c.kind is not ConnectionKind.PREREQUISITE})
            for name, seen in entry[1].items():
                seen.setdefault(tuple(row[u] for u in conn_units[name]), row)
        outputs = node.connections(ConnectionKind.OUTPUT)
        planned: list[_Draft] = []
        for row, per_conn in grouped.values():
            data_id = self.data_id(q_units, row)
            read, reason = self._inputs(node, per_conn)
            if reason is not None:
                self.dropped.append(DroppedQuantum(node.label, data_id, reason))
                self._mark_missing(node, per_conn, f"its producer {node.label} {dict(data_id)} was dropped: {reason}")
                continue
            wanted = {name: [(k, self.data_id(conn_units[name], r)) for k, r in per_conn[name].items()]
                      for name in outputs}
            planned.append(_Draft(data_id, read, wanted))
        planned = self._prerequisites(node, planned, conn_units)
        self._outputs(node, planned)

    def _inputs(self, node: TaskNode, per_conn: dict[str, dict[Key, dict[str, Any]]]
                ) -> tuple[dict[str, list[DatasetRef]], str | None]:
        read: dict[str, list[DatasetRef]] = {}
        for name, conn in node.connections(ConnectionKind.INPUT).items():
            available = self.available.get(conn.dataset_type, {})
            missing = self.missing.get(conn.dataset_type, {})
            refs, why = [], None
            for key in per_conn[name]:
                ref = available.get(key)
                if ref is not None:
                    refs.append(ref)
                elif why is None:
                    labelled = dict(zip(self.units(conn.units), key, strict=True))
                    why = missing.get(key, f"no {conn.dataset_type!r} {labelled} in {list(self.inputs)}")
            if not refs:
                return read, f"input {name!r} ({conn.dataset_type}): {why or 'none found'}"
            if not conn.multiple and len(refs) > 1:
                raise PipelineError(f"task {node.label!r} input {name!r} is single, but {len(refs)} "
                                    f"{conn.dataset_type!r} datasets match one quantum; declare it multiple=True")
            if not conn.multiple and why is not None:
                return read, f"input {name!r}: {why}"
            read[name] = refs
        return read, None

    def _mark_missing(self, node: TaskNode, per_conn: dict[str, dict[Key, dict[str, Any]]], why: str) -> None:
        for name, conn in node.connections(ConnectionKind.OUTPUT).items():
            target = self.missing.setdefault(conn.dataset_type, {})
            for key in per_conn.get(name, {}):
                target.setdefault(key, why)

    def _calibrations(self, name: str, units: tuple[str, ...], planned: list[_Draft]) -> list[list[DatasetRef]]:
        """The calibration of each quantum valid at the time of its exposure or visit (any time if it has none)."""
        times = lookup_times(self.registry, self.types[name], [draft.data_id.full for draft in planned])
        by_time: dict[Timespan, list[int]] = {}
        for index, when in enumerate(times):
            by_time.setdefault(when or UNBOUNDED, []).append(index)
        found: list[list[DatasetRef]] = [[] for _ in planned]
        for when, members in by_time.items():
            ids = [{u: planned[i].data_id[u] for u in units} for i in members]
            for i, ref in zip(members, self.registry.find_datasets(name, ids, self.inputs, timespan=when), strict=True):
                found[i] = [] if ref is None else [ref]
        return found

    def _prerequisites(self, node: TaskNode, planned: list[_Draft], conn_units: dict[str, tuple[str, ...]]
                       ) -> list[_Draft]:
        """Look prerequisites up for every planned quantum (batched); drop those that lack one."""
        prereqs = node.connections(ConnectionKind.PREREQUISITE)
        for name, conn in prereqs.items():
            units = conn_units[name]
            q_units = self.units(node.units)
            found: list[list[DatasetRef]]
            if set(units) <= set(q_units) and self.types[conn.dataset_type].is_calibration:
                found = self._calibrations(conn.dataset_type, units, planned)
            elif set(units) <= set(q_units):
                ids = [{u: draft.data_id[u] for u in units} for draft in planned]
                found = [[r] if r is not None else []
                         for r in self.registry.find_datasets(conn.dataset_type, ids, self.inputs)]
            else:
                found = [list(self.registry.query_datasets(conn.dataset_type, self.inputs, find_first=True,
                                                           data_id=dict(draft.data_id)))
                         for draft in planned]
            kept = []
            for draft, refs in zip(planned, found, strict=True):
                if not refs or (not conn.multiple and len(refs) > 1):
                    why = (f"prerequisite {name!r} ({conn.dataset_type}) not found in {list(self.inputs)}" if not refs
                           else f"prerequisite {name!r} ({conn.dataset_type}) is single but {len(refs)} match")
                    self.dropped.append(DroppedQuantum(node.label, draft.data_id, why))
                    self._mark_missing(node, {o: {k: {} for k, _ in w} for o, w in draft.wanted.items()},
                                       f"its producer {node.label} {dict(draft.data_id)} was dropped: {why}")
                    continue
                draft.prerequisites[name] = refs
                kept.append(draft)
            planned = kept
        return planned

    def _outputs(self, node: TaskNode, planned: list[_Draft]) -> None:
        """Predict each planned quantum's output refs, skipping or clobbering what already exists."""
        outputs = node.connections(ConnectionKind.OUTPUT)
        existing = {name: self._existing(conn, [k for draft in planned for k, _ in draft.wanted[name]])
                    for name, conn in outputs.items()}
        for draft in planned:
            wanted = draft.wanted
            done: dict[str, list[DatasetRef]] = {}
            in_run: list[DatasetRef] = []
            for name in outputs:
                skip_refs, run_refs = existing[name]
                done[name] = [skip_refs[k] for k, _ in wanted[name] if k in skip_refs]
                in_run.extend(run_refs[k] for k, _ in wanted[name] if k in run_refs)
            if outputs and all(len(done[n]) == len(wanted[n]) for n in outputs):
                self.skipped[node.label] = self.skipped.get(node.label, 0) + 1
                for name, conn in outputs.items():
                    self.available.setdefault(conn.dataset_type, {}).update(
                        (k, r) for (k, _), r in zip(wanted[name], done[name], strict=True))
                continue
            if in_run and not self.clobber:
                raise PipelineError(f"outputs of {node.label} {dict(draft.data_id)} already exist in "
                                    f"{self.output_run!r} ("
                                    f"{', '.join(sorted({r.dataset_type.name for r in in_run}))}); "
                                    "pass clobber to replace them or skip_existing_in to keep them")
            refs = {name: tuple(DatasetRef(self.types[conn.dataset_type], out_id, self.output_run, uuid.uuid4())
                                for _, out_id in wanted[name]) for name, conn in outputs.items()}
            self.quanta.append(PlannedQuantum(node.label, draft.data_id, draft.inputs, draft.prerequisites, refs,
                                              clobber=in_run))
            for name, conn in outputs.items():
                self.available.setdefault(conn.dataset_type, {}).update(
                    (k, r) for (k, _), r in zip(wanted[name], refs[name], strict=True))

    def _existing(self, conn: Connection, keys: list[Key]) -> tuple[dict[Key, DatasetRef], dict[Key, DatasetRef]]:
        """Outputs already in ``skip_existing_in`` (to skip) and in the output run (to clobber or refuse)."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}, {}
        units = self.units(conn.units)
        ids = [dict(zip(units, k, strict=True)) for k in keys]
        known = self._type_known(conn.dataset_type)
        skip: dict[Key, DatasetRef] = {}
        run: dict[Key, DatasetRef] = {}
        if known and self.skip_existing_in:
            found = self.registry.find_datasets(conn.dataset_type, ids, self.skip_existing_in)
            skip = {k: r for k, r in zip(keys, found, strict=True) if r is not None}
        if known and self.extend_run:
            try:
                found = self.registry.find_datasets(conn.dataset_type, ids, [self.output_run])
            except MissingCollectionError:
                found = [None] * len(keys)
            run = {k: r for k, r in zip(keys, found, strict=True) if r is not None and k not in skip}
        return skip, run

    def _type_known(self, name: str) -> bool:
        try:
            self.registry.get_dataset_type(name)
        except MissingDatasetTypeError:
            return False
        return True
