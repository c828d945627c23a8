"""Quanta in the Data Backbone: a TASK row, OPM_USED rows for its inputs, DESFILE.WGB_TASK_ID on its outputs.

A Quantum databutler records becomes a TASK under its RUN's attempt task (what production's
framework writes for a job), ``OPM_USED`` rows for the inputs that are files (idempotent, as
DESDM's provenance inserts are) and WGB_TASK_ID on the outputs. Its UUID, DataId, metadata and
the exact input/output lists, which outlive the datasets, are in ``DBB_QUANTUM``/``DBB_QUANTUM_IO``.
A TASK production wrote reads as a Quantum too: a derived UUID, its OPM_USED files as inputs and
the files it generated as outputs.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.data_id import DataId
from ...domain.errors import ConflictingDefinitionError
from ...domain.quantum import Quantum, QuantumStatus
from ..sql.dialect import chunks, uuid_from_db
from ..sql.quanta import stored_form
from .catalog import MODULE, Catalog
from .collections import Collections
from .datasets import Datasets
from .ids import file_uuid, task_id_of, task_uuid

# DESDM's TASK.STATUS: 0 succeeded, non-zero failed, NULL still running; a quantum skipped because an
# upstream one failed never ran, which production records as a failure of its own (2).
_STATUS = {QuantumStatus.SUCCEEDED: 0, QuantumStatus.FAILED: 1, QuantumStatus.RUNNING: None,
           QuantumStatus.SKIPPED: 2}


class Provenance:
    """Records and reads quanta."""

    def __init__(self, catalog: Catalog, datasets: Datasets, collections: Collections) -> None:
        self._catalog = catalog
        self._datasets = datasets
        self._collections = collections

    def insert(self, connection: sa.Connection, quanta: Sequence[Quantum]) -> None:
        """Record quanta; one recorded identically is skipped, a different one refused."""
        batch: dict[uuid.UUID, Quantum] = {}
        for quantum in map(stored_form, quanta):
            if batch.setdefault(quantum.id, quantum) != quantum:
                raise ConflictingDefinitionError(f"quantum {quantum.id} is given twice with different content")
        existing = {q.id: q for q in self.get(connection, list(batch)) if q is not None}
        for quantum_id, old in existing.items():
            if old != batch[quantum_id]:
                raise ConflictingDefinitionError(f"quantum {quantum_id} is already recorded with different content "
                                                 f"(task {old.task!r}, run {old.run!r}); quanta are immutable")
        new = [q for i, q in batch.items() if i not in existing]
        if not new:
            return
        catalog, side, desdm = self._catalog, self._catalog.side, self._catalog.desdm
        runs = self._collections.find(connection, list({q.run for q in new}))
        rows: list[dict[str, Any]] = []
        io: list[dict[str, Any]] = []
        for quantum in new:
            run = runs.get(quantum.run)
            parent = run.task_id if run is not None else None
            task = catalog.new_task(connection, quantum.task, parent=parent, root=parent, label=quantum.run,
                                    start=quantum.started, end=quantum.ended, status=_STATUS[quantum.status],
                                    host=quantum.host, stamp=False)
            rows.append({"id": quantum.id, "task_id": task, "run": quantum.run, "data_id": _data_id(quantum),
                         "status": quantum.status.value, "metadata": json.dumps(quantum.metadata)})
            io.extend({"quantum_id": quantum.id, "output": output, "position": i, "dataset_id": d}
                      for output, ids in ((False, quantum.inputs), (True, quantum.outputs)) for i, d in enumerate(ids))
            files = self._datasets.desfile_ids(connection, [*quantum.inputs, *quantum.outputs])
            used = sorted({files[d] for d in quantum.inputs if d in files})
            if used:
                o = desdm.opm_used.c
                present = set(connection.execute(sa.select(o.DESFILE_ID).where(
                    o.TASK_ID == task, o.DESFILE_ID.in_(used))).scalars())
                fresh = [{"TASK_ID": task, "DESFILE_ID": f} for f in used if f not in present]
                if fresh:
                    connection.execute(desdm.opm_used.insert(), fresh)
            made = sorted({files[d] for d in quantum.outputs if d in files})
            if made:
                f = desdm.desfile
                connection.execute(f.update().where(f.c.ID.in_(made)).values(WGB_TASK_ID=task))
        connection.execute(side.quantum.insert(), rows)
        if io:
            connection.execute(side.quantum_io.insert(), io)

    def get(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> list[Quantum | None]:
        """The quanta with these ids (None for unknown ids), in order."""
        side, t = self._catalog.side, self._catalog.desdm.task.c
        q, o = side.quantum.c, side.quantum_io.c
        found: dict[uuid.UUID, Quantum] = {}
        wanted = list(dict.fromkeys(ids))
        for part in chunks(wanted):
            rows = connection.execute(sa.select(q.id, q.run, q.data_id, q.status, q.metadata, t.NAME, t.START_TIME,
                                                t.END_TIME, t.EXEC_HOST).select_from(
                side.quantum.join(self._catalog.desdm.task, t.ID == q.task_id)).where(q.id.in_(part))).all()
            lists: dict[tuple[uuid.UUID, bool], list[uuid.UUID]] = {}
            for quantum_id, output, dataset_id in connection.execute(
                    sa.select(o.quantum_id, o.output, o.dataset_id).where(o.quantum_id.in_(part))
                    .order_by(o.quantum_id, o.output, o.position)):
                lists.setdefault((uuid_from_db(quantum_id), bool(output)), []).append(uuid_from_db(dataset_id))
            for stored_id, run, data_id, status, metadata, name, start, end, host in rows:
                quantum_id = uuid_from_db(stored_id)
                found[quantum_id] = Quantum(name, run, _read_data_id(data_id),
                                            tuple(lists.get((quantum_id, False), ())),
                                            tuple(lists.get((quantum_id, True), ())), QuantumStatus(status), start,
                                            end, host, json.loads(metadata), quantum_id)
        tasks = {i: n for i in wanted if i not in found and (n := task_id_of(i)) is not None}
        if tasks:
            found.update(self._production(connection, tasks))
        return [found.get(i) for i in ids]

    def _production(self, connection: sa.Connection, tasks: dict[uuid.UUID, int]) -> dict[uuid.UUID, Quantum]:
        """TASK rows production wrote, as quanta (those databutler recorded are not read this way)."""
        desdm, side = self._catalog.desdm, self._catalog.side
        t, a, u, f = desdm.task.c, desdm.pfw_attempt.c, desdm.opm_used.c, desdm.desfile.c
        ours = sa.select(side.quantum.c.task_id)
        query = sa.select(t.ID, t.NAME, t.START_TIME, t.END_TIME, t.STATUS, t.EXEC_HOST, a.ID).select_from(
            desdm.task.outerjoin(desdm.pfw_attempt, a.TASK_ID == t.ROOT_TASK_ID)).where(
            t.ID.in_(list(tasks.values())), t.ID.not_in(ours))
        rows = connection.execute(query).all()
        if not rows:
            return {}
        task_ids = [r[0] for r in rows]
        inputs: dict[int, list[int]] = {}
        for task, file_id in connection.execute(sa.select(u.TASK_ID, u.DESFILE_ID).where(u.TASK_ID.in_(task_ids))
                                                .order_by(u.TASK_ID, u.DESFILE_ID)):
            inputs.setdefault(task, []).append(file_id)
        outputs: dict[int, list[int]] = {}
        for task, file_id in connection.execute(sa.select(f.WGB_TASK_ID, f.ID).where(f.WGB_TASK_ID.in_(task_ids))
                                                .order_by(f.WGB_TASK_ID, f.ID)):
            outputs.setdefault(task, []).append(file_id)
        names = self._collections.run_names(connection, {r[6] for r in rows if r[6] is not None})
        by_id = {n: i for i, n in tasks.items()}
        own = self._own_uuids(connection, {x for v in (*inputs.values(), *outputs.values()) for x in v})
        result = {}
        for task, name, start, end, status, host, attempt in rows:
            result[by_id[task]] = Quantum(
                name, names.get(attempt, self._catalog.delivered_run) if attempt is not None
                else self._catalog.delivered_run, None,
                tuple(own.get(x, file_uuid(x)) for x in inputs.get(task, ())),
                tuple(own.get(x, file_uuid(x)) for x in outputs.get(task, ())),
                QuantumStatus.SUCCEEDED if status == 0 else QuantumStatus.RUNNING if status is None
                else QuantumStatus.FAILED, start, end, host, {}, by_id[task])
        return result

    def _own_uuids(self, connection: sa.Connection, file_ids: set[int]) -> dict[int, uuid.UUID]:
        x = self._catalog.side.dataset.c
        found: dict[int, uuid.UUID] = {}
        for part in chunks(sorted(file_ids)):
            found.update({n: uuid_from_db(d) for n, d in connection.execute(
                sa.select(x.desfile_id, x.dataset_id).where(x.desfile_id.in_(part)))})
        return found

    def find(self, connection: sa.Connection, *, run: str | None, task: str | None, input: uuid.UUID | None,
             output: uuid.UUID | None) -> list[Quantum]:
        """Quanta (recorded through databutler or production's tasks) matching all filters, by start time."""
        side, desdm = self._catalog.side, self._catalog.desdm
        q, o, t = side.quantum.c, side.quantum_io.c, desdm.task.c
        query = sa.select(q.id).select_from(side.quantum.join(desdm.task, t.ID == q.task_id))
        if run is not None:
            query = query.where(q.run == run)
        if task is not None:
            query = query.where(t.NAME == task)
        for is_output, dataset_id in ((False, input), (True, output)):
            if dataset_id is not None:
                query = query.where(q.id.in_(sa.select(o.quantum_id).where(o.output == is_output,
                                                                          o.dataset_id == dataset_id)))
        ids = [uuid_from_db(i) for i in connection.execute(query).scalars()]
        ids.extend(task_uuid(n) for n in self._production_tasks(connection, run=run, task=task, input=input,
                                                                  output=output))
        quanta = [x for x in self.get(connection, ids) if x is not None]
        return sorted(quanta, key=lambda x: (x.started or datetime.datetime.min, str(x.id)))

    def _production_tasks(self, connection: sa.Connection, *, run: str | None, task: str | None,
                          input: uuid.UUID | None, output: uuid.UUID | None) -> list[int]:
        """Production's tasks that read or wrote files, matching the filters (none without a filter on them)."""
        desdm, side = self._catalog.desdm, self._catalog.side
        t, u, f = desdm.task.c, desdm.opm_used.c, desdm.desfile.c
        attempts = sa.select(desdm.pfw_attempt.c.TASK_ID).where(desdm.pfw_attempt.c.TASK_ID.is_not(None))
        conditions: list[sa.ColumnElement[bool]] = [  # jobs only: not recorded quanta, attempts, our deliveries
            t.ID.not_in(sa.select(side.quantum.c.task_id)), t.ID.not_in(attempts),
            sa.or_(t.LABEL.is_(None), t.LABEL != MODULE)]
        if input is None and output is None and run is None and task is None:
            return []
        if run is not None:
            record = self._collections.find(connection, [run]).get(run)
            if record is None or record.task_id is None:
                return []
            conditions.append(t.ROOT_TASK_ID == record.task_id)
        if task is not None:
            conditions.append(t.NAME == task)
        files = self._datasets.desfile_ids(connection, [i for i in (input, output) if i is not None])
        if input is not None:
            if input not in files:
                return []
            conditions.append(t.ID.in_(sa.select(u.TASK_ID).where(u.DESFILE_ID == files[input])))
        if output is not None:
            if output not in files:
                return []
            conditions.append(t.ID.in_(sa.select(f.WGB_TASK_ID).where(f.ID == files[output])))
        active = sa.or_(t.ID.in_(sa.select(u.TASK_ID)), t.ID.in_(sa.select(f.WGB_TASK_ID)))
        return list(connection.execute(sa.select(t.ID).where(*conditions, active)).scalars())


def _data_id(quantum: Quantum) -> str | None:
    if quantum.data_id is None:
        return None
    return json.dumps({"values": dict(quantum.data_id), "implied": dict(getattr(quantum.data_id, "implied", {}))})


def _read_data_id(value: Any) -> DataId | None:
    if value is None:
        return None
    stored = json.loads(value)
    return DataId(stored["values"], stored["implied"])
