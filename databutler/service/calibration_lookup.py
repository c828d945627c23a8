"""The time of a calibration lookup: given, or taken from the exposure, visit (any unit with a timespan) in the DataId.

As the reference's ``Butler.get``: a DataId for a calibration DatasetType may name more units than the type
has (``exposure=`` next to ``instrument`` and ``detector`` for a bias); the timespans of the records of
those extra units, intersected, are the time the validity range must contain. The extra units are then
dropped from the DataId the registry searches with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..domain.dataset_type import DatasetType
from ..domain.errors import DataIdError
from ..domain.values import FieldType, Timespan
from ..ports.registry import Registry

UNBOUNDED = Timespan(None, None)
"""Any time: what ``Butler.get`` searches CALIBRATION collections with when no time is known (as the reference)."""


def lookup_time(registry: Registry, definition: DatasetType, data_id: Mapping[str, Any],
                timespan: Timespan | None, *, default: Timespan | None) -> tuple[dict[str, Any], Timespan | None]:
    """The DataId to search with and the time to search calibrations at (``default`` when none is known).

    A non-calibration type is left as it is. A calibration type keeps only its own units (and the
    units they imply); a given ``timespan`` wins over the DataId's records.
    """
    if not definition.is_calibration:
        return dict(data_id), timespan
    own = _own_units(registry, definition)
    kept = {k: v for k, v in data_id.items() if k in own}
    if timespan is not None:
        return kept, timespan
    (found,) = lookup_times(registry, definition, [data_id])
    return kept, found if found is not None else default


def lookup_times(registry: Registry, definition: DatasetType,
                 data_ids: Sequence[Mapping[str, Any]]) -> list[Timespan | None]:
    """For each DataId, the intersected timespans of its units beyond ``definition``'s (None: it has none).

    One records read per temporal unit for the whole batch, however many DataIds share a record.
    """
    universe = registry.universe
    own = _own_units(registry, definition)
    result: list[Timespan | None] = [None] * len(data_ids)
    extra = dict.fromkeys(k for data_id in data_ids for k in data_id if k not in own)
    for unit in extra:
        spans = [f.name for f in universe.record_fields(unit) if f.type is FieldType.TIMESPAN]
        if not spans:
            continue
        given, stored = universe.required(unit), universe.key_fields(unit)
        wanted = {i: tuple(data_id.get(k) for k in given) for i, data_id in enumerate(data_ids) if unit in data_id}
        keys = list(dict.fromkeys(wanted.values()))
        records = registry.fetch_data_unit_records(unit, [dict(zip(stored, key, strict=True)) for key in keys])
        times = {tuple(r[f] for f in stored): r.get(spans[0]) for r in records}
        for i, key in wanted.items():
            if key not in times:
                raise DataIdError(f"no {unit} record {dict(zip(given, key, strict=True))} to take the time of a "
                                  f"{definition.name!r} lookup from")
            span = times[key]
            if isinstance(span, Timespan):
                earlier = result[i]
                result[i] = span if earlier is None else _intersection(earlier, span, unit)
    return result


def _own_units(registry: Registry, definition: DatasetType) -> set[str]:
    return set(definition.units) | set(registry.universe.implied(definition.units))


def _intersection(a: Timespan, b: Timespan, unit: str) -> Timespan:
    begin = a.begin if b.begin is None or (a.begin is not None and a.begin > b.begin) else b.begin
    end = a.end if b.end is None or (a.end is not None and a.end < b.end) else b.end
    if begin is not None and end is not None and end < begin:
        raise DataIdError(f"the timespans of the DataId's units do not meet (at {unit}): no one time says which "
                          "calibration applies; look it up at an explicit time")
    return Timespan(begin, end)
