"""Quanta: the provenance record of one unit of work of a pipeline task."""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .data_id import DataId


class QuantumStatus(enum.Enum):
    """How a quantum ended."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    RUNNING = "RUNNING"
    SKIPPED = "SKIPPED"
    """Not run because a quantum it depends on failed."""


def _as_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(value)


def _as_ids(value: Iterable[uuid.UUID]) -> tuple[uuid.UUID, ...]:
    return tuple(value)


@attrs.frozen
class Quantum:
    """One execution of a task on one DataId: what it read, what it wrote, when, and how it ended."""

    task: str
    run: str
    data_id: DataId | None
    inputs: tuple[uuid.UUID, ...] = attrs.field(default=(), converter=_as_ids)
    outputs: tuple[uuid.UUID, ...] = attrs.field(default=(), converter=_as_ids)
    status: QuantumStatus = QuantumStatus.SUCCEEDED
    started: datetime.datetime | None = None
    ended: datetime.datetime | None = None
    host: str | None = None
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=_as_dict)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4)

    def __hash__(self) -> int:
        return hash(self.id)
