"""Connections: what a task reads and writes, each a dataset type with its DataUnits and StorageClass."""

from __future__ import annotations

import enum

import attrs

from ..dataset_type import DatasetType, _units
from ..errors import PipelineError


class ConnectionKind(enum.Enum):
    """The role a connection plays in a quantum."""

    INPUT = "input"
    """Read by the quantum; it constrains which quanta exist (no input, no quantum)."""
    PREREQUISITE = "prerequisite"
    """Read by the quantum, looked up per quantum after planning; missing drops the quantum."""
    OUTPUT = "output"
    """Written by the quantum, in the output run."""


@attrs.frozen
class Connection:
    """One dataset type a task reads or writes: its DataUnits, StorageClass, and whether it is a list."""

    dataset_type: str
    units: tuple[str, ...] = attrs.field(converter=_units)
    storage_class: str
    multiple: bool = attrs.field(default=False, kw_only=True)
    """A list of datasets (all of those matching the quantum's DataId), not exactly one."""
    doc: str = attrs.field(default="", kw_only=True)

    kind: ConnectionKind = attrs.field(init=False, default=ConnectionKind.INPUT)

    def __attrs_post_init__(self) -> None:
        try:
            DatasetType(self.dataset_type, self.units, self.storage_class)
        except Exception as err:
            raise PipelineError(f"connection to {self.dataset_type!r} is invalid: {err}") from None

    def as_dataset_type(self) -> DatasetType:
        """The DatasetType this connection reads or writes."""
        return DatasetType(self.dataset_type, self.units, self.storage_class)


@attrs.frozen
class Input(Connection):
    """A dataset the quantum reads; quanta exist only where their inputs exist (or are predicted)."""

    kind: ConnectionKind = attrs.field(init=False, default=ConnectionKind.INPUT)


@attrs.frozen
class PrerequisiteInput(Connection):
    """A dataset the quantum reads that must already exist (calibrations, reference catalogs)."""

    kind: ConnectionKind = attrs.field(init=False, default=ConnectionKind.PREREQUISITE)


@attrs.frozen
class Output(Connection):
    """A dataset the quantum writes in the output run."""

    kind: ConnectionKind = attrs.field(init=False, default=ConnectionKind.OUTPUT)
