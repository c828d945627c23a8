"""The time of a calibration lookup: given, or taken from the exposure, visit (any unit with a timespan) in the DataId.

As the reference's ``Butler.get``: a DataId for a calibration DatasetType may name more units than the type
has (``exposure=`` next to ``instrument`` and ``detector`` for a bias); the timespans of the records of
those extra units, intersected, are the time the validity range must contain. The extra units are then
dropped from the DataId the registry searches with.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    universe = registry.universe
    own = set(definition.units) | set(universe.implied(definition.units))
    kept = {k: v for k, v in data_id.items() if k in own}
    extra = [k for k in data_id if k not in own]
    if timespan is not None or not extra:
        return kept, timespan if timespan is not None else default
    found: Timespan | None = None
    for unit in extra:
        spans = [f.name for f in universe.record_fields(unit) if f.type is FieldType.TIMESPAN]
        if not spans:
            continue
        key = {k: data_id[k] for k in universe.required(unit) if k in data_id}
        key[unit] = data_id[unit]
        records = registry.fetch_data_unit_records(unit, [key])
        if not records:
            raise DataIdError(f"no {unit} record {key} to take the time of a {definition.name!r} lookup from")
        span = records[0].get(spans[0])
        if isinstance(span, Timespan):
            found = span if found is None else _intersection(found, span, unit)
    return kept, found if found is not None else default


def _intersection(a: Timespan, b: Timespan, unit: str) -> Timespan:
    begin = a.begin if b.begin is None or (a.begin is not None and a.begin > b.begin) else b.begin
    end = a.end if b.end is None or (a.end is not None and a.end < b.end) else b.end
    if begin is not None and end is not None and end < begin:
        raise DataIdError(f"the timespans of the DataId's units do not meet (at {unit}); give timespan= instead")
    return Timespan(begin, end)
