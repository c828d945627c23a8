"""Calibration validity ranges: certifications, their overlaps, and what is left of one after a decertify."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence

import attrs

from .data_id import DataId
from .dataset import DatasetRef
from .dataset_type import DatasetType
from .errors import CalibrationConflictError, CalibrationLookupError, DataIdError, DatasetTypeError
from .values import Timespan, shown


@attrs.frozen
class Certification:
    """One dataset certified in a CALIBRATION collection for the validity range ``timespan`` (half-open)."""

    ref: DatasetRef
    timespan: Timespan


def show_time(value: datetime.datetime | None, open_end: str) -> str:
    """A bound as ISO 8601 UTC, or ``open_end`` ("-inf"/"+inf") for an unbounded one."""
    return open_end if value is None else value.isoformat()


def show_timespan(timespan: Timespan) -> str:
    """``[begin, end)`` in UTC, unbounded ends written -inf/+inf."""
    return f"[{show_time(timespan.begin, '-inf')}, {show_time(timespan.end, '+inf')})"


def is_empty(timespan: Timespan) -> bool:
    """Whether ``timespan`` holds no instant (begin == end)."""
    return timespan.begin is not None and timespan.begin == timespan.end


def check_timespan(timespan: object, action: str) -> Timespan:
    """``timespan`` if it is a Timespan holding at least one instant; DataIdError otherwise."""
    if not isinstance(timespan, Timespan):
        raise DataIdError(f"{action}: a validity range is a Timespan(begin, end), not {shown(timespan)}")
    if is_empty(timespan):
        raise DataIdError(f"{action}: validity range {show_timespan(timespan)} is empty; give an end after its begin")
    return timespan


def as_lookup(timespan: Timespan) -> Timespan:
    """The time a lookup searches: an empty ``Timespan(t, t)`` is read as the instant t, ``[t, t + 1 us)``."""
    if is_empty(timespan):
        assert timespan.begin is not None
        return Timespan(timespan.begin, timespan.begin + datetime.timedelta(microseconds=1))
    return timespan


def check_calibration_type(dataset_type: DatasetType, action: str) -> None:
    """Refuse a DatasetType that is not a calibration type: only those are certified."""
    if not dataset_type.is_calibration:
        raise DatasetTypeError(f"cannot {action}: dataset type {dataset_type.name!r} is not a calibration type; "
                               "only a dataset type registered as a calibration type is certified")


def difference(timespan: Timespan, removed: Timespan) -> list[Timespan]:
    """What is left of ``timespan`` once ``removed`` is taken out: zero, one or two ranges, in time order."""
    if not timespan.overlaps(removed):
        return [timespan]
    left: list[Timespan] = []
    if removed.begin is not None and (timespan.begin is None or timespan.begin < removed.begin):
        left.append(Timespan(timespan.begin, removed.begin))
    if removed.end is not None and (timespan.end is None or removed.end < timespan.end):
        left.append(Timespan(removed.end, timespan.end))
    return left


def conflict(collection: str, dataset_type: str, data_id: DataId, new: Timespan,
             existing: Timespan) -> CalibrationConflictError:
    """The error for certifying ``new`` where ``existing`` is already certified for the same type and DataId."""
    return CalibrationConflictError(
        f"cannot certify {dataset_type!r} {dict(data_id.full)} into {collection!r} for {show_timespan(new)}: it "
        f"overlaps the validity range {show_timespan(existing)} already certified there for that dataset type and "
        "data ID; decertify that range first")


def check_batch(collection: str, refs: Sequence[DatasetRef], timespan: Timespan) -> None:
    """Refuse two datasets of the same type and DataId in one certify: their equal ranges would overlap."""
    seen: dict[tuple[str, str], DatasetRef] = {}
    for ref in refs:
        key = (ref.dataset_type.name, ref.data_id.key())
        if key in seen and seen[key].id != ref.id:
            raise conflict(collection, ref.dataset_type.name, ref.data_id, timespan, timespan)
        seen[key] = ref


def check_no_overlap(collection: str, certifications: Iterable[Certification], refs: Sequence[DatasetRef],
                     timespan: Timespan) -> None:
    """Refuse ``refs`` for ``timespan`` if a stored certification of the same type and DataId overlaps it."""
    wanted = {(ref.dataset_type.name, ref.data_id.key()) for ref in refs}
    for existing in certifications:
        ref = existing.ref
        if (ref.dataset_type.name, ref.data_id.key()) in wanted and existing.timespan.overlaps(timespan):
            raise conflict(collection, ref.dataset_type.name, ref.data_id, timespan, existing.timespan)


def one_per_collection(dataset_type: str, data_id: DataId, collection: str, found: Sequence[Certification],
                       timespan: Timespan | None) -> DatasetRef:
    """The single certification of ``found`` (one collection); CalibrationLookupError if there are several."""
    if len(found) == 1:
        return found[0].ref
    when = "with no time given (pass timespan=, or a DataId with an exposure or visit)" if timespan is None or (
        timespan.begin is None and timespan.end is None) else f"for {show_timespan(timespan)}"
    ranges = ", ".join(show_timespan(c.timespan) for c in found)
    raise CalibrationLookupError(
        f"ambiguous calibration lookup of {dataset_type!r} {dict(data_id.full)} in {collection!r} {when}: "
        f"{len(found)} validity ranges match ({ranges}); narrow the time")


def ambiguous_query(dataset_type: str, data_id: Mapping[str, object], collection: str, matches: int,
                    temporal: str | None) -> CalibrationLookupError:
    """The error of a find-first query whose first collection holding a DataId holds several matches for it.

    As the reference: without a temporal DataUnit in the query, several validity ranges; with one
    (``temporal``), several of its records or ranges for one DataId of the result (which carries only
    the DataId of the DatasetType, not the ``temporal`` value).
    """
    if temporal is None:
        why = (f"{matches} validity ranges match and the query names no DataUnit whose time would choose one "
               "(name an exposure or visit in where or data_id, or query with find_first=False)")
    else:
        why = (f"{matches} matches for the times of the query's {temporal} values (several {temporal}s, or several "
               f"validity ranges, for one result; query one {temporal} at a time, or with find_first=False)")
    return CalibrationLookupError(
        f"ambiguous calibration lookup of {dataset_type!r} {dict(data_id)} in {collection!r}: {why}")
