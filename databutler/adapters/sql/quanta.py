"""Provenance: quanta and the datasets they read and wrote (kept when those datasets are removed)."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from ...domain.data_id import DataId
from ...domain.errors import ConflictingDefinitionError, RegistryError
from ...domain.quantum import Quantum, QuantumStatus
from .dialect import chunks
from .layout import Layout
from .schema import to_db_datetime


def stored_form(quantum: Quantum) -> Quantum:
    """``quantum`` as it reads back from the database: naive UTC times, JSON-normalised metadata."""
    if not isinstance(quantum, Quantum):
        raise RegistryError(f"expected a Quantum, got {type(quantum).__name__}")
    try:
        metadata = json.loads(json.dumps(dict(quantum.metadata)))
    except (TypeError, ValueError) as err:
        raise RegistryError(f"metadata of quantum {quantum.id} cannot be stored as JSON: {err}") from None
    return attrs.evolve(quantum, started=to_db_datetime(quantum.started), ended=to_db_datetime(quantum.ended),
                        metadata=metadata)


class QuantumManager:
    """Reads and writes ``quantum``, ``quantum_input`` and ``quantum_output``."""

    def __init__(self, layout: Layout) -> None:
        self._schema = layout.reads
        self._writes = layout.writes

    def insert(self, connection: sa.Connection, quanta: Sequence[Quantum]) -> None:
        """Record quanta; a quantum already recorded identically is skipped, a different one refused."""
        batch: dict[uuid.UUID, Quantum] = {}
        for quantum in map(stored_form, quanta):
            earlier = batch.setdefault(quantum.id, quantum)
            if earlier != quantum:
                raise ConflictingDefinitionError(f"quantum {quantum.id} is given twice with different content")
        existing = {q.id: q for q in self.get(connection, list(batch)) if q is not None}
        new = []
        for quantum_id, quantum in batch.items():
            old = existing.get(quantum_id)
            if old is None:
                new.append(quantum)
            elif old != quantum:
                raise ConflictingDefinitionError(f"quantum {quantum_id} is already recorded with different content "
                                                 f"(task {old.task!r}, run {old.run!r}); quanta are immutable")
        if not new:
            return
        s = self._writes
        connection.execute(s.quantum.insert(), [_row(q) for q in new])
        for table, attribute in ((s.quantum_input, "inputs"), (s.quantum_output, "outputs")):
            rows = [{"quantum_id": q.id, "position": i, "dataset_id": d}
                    for q in new for i, d in enumerate(getattr(q, attribute))]
            if rows:
                connection.execute(table.insert(), rows)

    def get(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> list[Quantum | None]:
        """The quanta with these ids (None for unknown ids), in order."""
        s = self._schema
        found: dict[uuid.UUID, dict[str, Any]] = {}
        io: dict[tuple[uuid.UUID, str], list[uuid.UUID]] = {}
        for part in chunks(list(dict.fromkeys(ids))):
            for row in connection.execute(sa.select(s.quantum).where(s.quantum.c.id.in_(part))).mappings():
                found[row["id"]] = dict(row)
            for table, attribute in ((s.quantum_input, "inputs"), (s.quantum_output, "outputs")):
                query = (sa.select(table.c.quantum_id, table.c.dataset_id).where(table.c.quantum_id.in_(part))
                         .order_by(table.c.quantum_id, table.c.position))
                for quantum_id, dataset_id in connection.execute(query):
                    io.setdefault((quantum_id, attribute), []).append(dataset_id)
        result: list[Quantum | None] = []
        for quantum_id in ids:
            stored = found.get(quantum_id)
            result.append(None if stored is None else _quantum(stored, io.get((quantum_id, "inputs"), []),
                                                                io.get((quantum_id, "outputs"), [])))
        return result

    def find(self, connection: sa.Connection, *, run: str | None, task: str | None, input: uuid.UUID | None,
             output: uuid.UUID | None) -> list[Quantum]:
        """Quanta matching all given filters, ordered by start time."""
        s = self._schema
        q = s.quantum.c
        query = sa.select(q.id)
        if run is not None:
            query = query.where(q.run == run)
        if task is not None:
            query = query.where(q.task == task)
        for table, dataset_id in ((s.quantum_input, input), (s.quantum_output, output)):
            if dataset_id is not None:
                query = query.where(q.id.in_(sa.select(table.c.quantum_id).where(table.c.dataset_id == dataset_id)))
        quanta = [x for x in self.get(connection, list(connection.execute(query).scalars())) if x is not None]
        return sorted(quanta, key=lambda x: (x.started or datetime.datetime.min, str(x.id)))


def _row(quantum: Quantum) -> dict[str, Any]:
    data_id = None if quantum.data_id is None else json.dumps(
        {"values": dict(quantum.data_id), "implied": dict(getattr(quantum.data_id, "implied", {}))})
    return {"id": quantum.id, "task": quantum.task, "run": quantum.run, "data_id": data_id,
            "status": quantum.status.value, "started": quantum.started, "ended": quantum.ended,
            "host": quantum.host, "metadata": json.dumps(quantum.metadata)}


def _quantum(row: dict[str, Any], inputs: list[uuid.UUID], outputs: list[uuid.UUID]) -> Quantum:
    data_id = None
    if row["data_id"] is not None:
        stored = json.loads(row["data_id"])
        data_id = DataId(stored["values"], stored["implied"])
    return Quantum(row["task"], row["run"], data_id, tuple(inputs), tuple(outputs), QuantumStatus(row["status"]),
                   row["started"], row["ended"], row["host"], json.loads(row["metadata"]), row["id"])
