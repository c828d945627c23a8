"""UUIDs of the rows production wrote: derived from their integer DESDM ids, and back.

A DESFILE row (or TASK row) that databutler did not write has no UUID of its own. It gets a
version-8 UUID ("custom", RFC 9562) whose last 12 hex digits are the integer id and whose first
16 say what kind of row it is, so the id can be read back from the UUID without a lookup table
and is the same on every machine, for every reader, forever.
"""

from __future__ import annotations

import uuid

_FILE = "dbb0f11e00008000"
_TASK = "dbb07a5c00008000"
_MAX = 16 ** 12


def _make(prefix: str, number: int) -> uuid.UUID:
    return uuid.UUID(hex=f"{prefix}8000{number:012x}")


def _read(prefix: str, value: uuid.UUID) -> int | None:
    text = value.hex
    return int(text[20:], 16) if text.startswith(prefix + "8000") else None


def file_uuid(desfile_id: int) -> uuid.UUID:
    """The derived UUID of DESFILE row ``desfile_id``."""
    if not 0 <= desfile_id < _MAX:
        raise ValueError(f"DESFILE.ID {desfile_id} is out of the derivable range")
    return _make(_FILE, desfile_id)


def file_id_of(value: uuid.UUID) -> int | None:
    """The DESFILE.ID a derived UUID names, or None for any other UUID."""
    return _read(_FILE, value)


def task_uuid(task_id: int) -> uuid.UUID:
    """The derived UUID of the Quantum that TASK row ``task_id`` is."""
    return _make(_TASK, task_id)


def task_id_of(value: uuid.UUID) -> int | None:
    """The TASK.ID a derived quantum UUID names, or None for any other UUID."""
    return _read(_TASK, value)
