"""The temporal join of a calibration search: a certification's validity range against a DataUnit's timespan.

As the reference's query system: when a query searches CALIBRATION collections and names a DataUnit
of a temporal family (``observation_timespans: [exposure, visit, day_obs]``), the most precise
member it names is chosen, and a certified dataset is kept only where its validity range overlaps
that unit's timespan. Validity ranges are BIGINT UTC microseconds (``calibration_schema``); record
timespans are naive UTC datetimes, converted to microseconds in SQL (``utc_micros``). A record with
no timespan overlaps nothing; a NULL bound of a record's timespan is unbounded; a record timespan
``[t, t]`` is the instant t (as a lookup by time reads it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ....domain.errors import QueryError
from ....domain.universe import Universe
from ....domain.values import FieldType
from ..schema import field_column_names

Column = sa.ColumnElement[Any]
RANK = "search_rank"
VALIDITY_BEGIN = "validity_begin"
VALIDITY_END = "validity_end"
EXTRA_COLUMNS = (RANK, VALIDITY_BEGIN, VALIDITY_END)
"""Columns a calibration search adds to the dataset rows (not part of a dataset)."""


@attrs.frozen
class CalibrationSearch:
    """What a dataset relation searching CALIBRATION collections carries for the join and find-first after it."""

    collections: tuple[str, ...]
    """The search path (a row's rank is its collection's index)."""
    rank: Column
    validity: tuple[Column, Column]
    """``validity_begin``/``validity_end`` of a certified row; NULL for a row of a RUN or TAGGED collection."""
    find_first: bool
    """Whether the query keeps, per DataId, only what the first collection holding a match holds."""


class UtcMicros(FunctionElement[int]):
    """A naive UTC datetime column as microseconds since 1970 (the representation of validity ranges)."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "utc_micros"


@compiles(UtcMicros, "sqlite")
def _sqlite_micros(element: UtcMicros, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds from the first 19 characters,
    # microseconds from the digits after the point (padded, so a shorter fraction still reads right).
    value = compiler.process(next(iter(element.clauses)), **kw)
    return (f"(CAST(strftime('%s', substr({value}, 1, 19)) AS INTEGER) * 1000000"
            f" + CAST(substr({value} || '000000', 21, 6) AS INTEGER))")


@compiles(UtcMicros, "postgresql")
def _postgresql_micros(element: UtcMicros, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(EXTRACT(EPOCH FROM {value}) * 1000000 AS BIGINT)"  # numeric (exact) since PostgreSQL 14


@compiles(UtcMicros)
def _unsupported(element: UtcMicros, compiler: SQLCompiler, **kw: Any) -> str:
    raise QueryError(f"a calibration query by time is not supported on {compiler.dialect.name}")


def temporal_element(universe: Universe, units: Iterable[str]) -> str | None:
    """The DataUnit whose timespan chooses calibrations: each family's most precise member the query names.

    None when the query names none; QueryError when it names members of two temporal families
    (which time would choose is ambiguous, as the reference says).
    """
    present = set(universe.closure(tuple(units)))
    chosen = []
    for _, members in universe.topology.temporal:
        named = [m for m in members if set(universe.required(m)) <= present and has_timespan(universe, m)]
        if named:
            chosen.append(named[0])
    if len(chosen) > 1:
        raise QueryError(f"the query names DataUnits of several temporal families ({', '.join(chosen)}): "
                         "which one's time chooses a calibration is ambiguous")
    return chosen[0] if chosen else None


def overlap_condition(search: CalibrationSearch, table: sa.FromClause, universe: Universe,
                      element: str) -> sa.ColumnElement[bool]:
    """Rows of RUN/TAGGED collections, or certified rows whose range overlaps ``element``'s timespan."""
    spec = next(f for f in universe.record_fields(element) if f.type is FieldType.TIMESPAN)
    begin_column, end_column = (table.c[n] for n in field_column_names(spec))
    begin, end = UtcMicros(begin_column), UtcMicros(end_column)
    valid_begin, valid_end = search.validity
    overlaps = sa.and_(
        sa.or_(begin_column.is_not(None), end_column.is_not(None)),
        sa.or_(begin_column.is_(None), begin < valid_end),
        sa.or_(end_column.is_(None), valid_begin < end, sa.and_(begin_column.is_not(None), valid_begin <= begin)))
    return sa.or_(valid_begin.is_(None), overlaps)


def has_timespan(universe: Universe, element: str) -> bool:
    """Whether ``element``'s records have a timespan field."""
    return any(f.type is FieldType.TIMESPAN for f in universe.record_fields(element))


def keys(universe: Universe, element: str | None) -> Sequence[str]:
    """The units identifying a record of ``element`` (none for None)."""
    return () if element is None else universe.required(element)
