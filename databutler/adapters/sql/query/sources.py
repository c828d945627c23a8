"""The dataset relation of a query: datasets of one type in a collection search path.

RUN collections contribute their datasets, TAGGED ones their associated datasets, CALIBRATION ones
their certified datasets at any time (a dataset reached twice, or certified for several ranges, is
listed once). With ``find_first`` only the dataset found first in the search
path is kept for each data ID (``row_number()`` over the search-path rank: SQLite 3.25+ and
PostgreSQL both have window functions).

A search through CALIBRATION collections that must choose by time (``find_first``, or a query naming
a temporal DataUnit such as an exposure) is deferred: the relation lists every row with its
collection's rank and its validity range, the plan joins it to the DataUnit's timespan (see
``temporal``), and the dataset query keeps the first found after that join.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ....domain.collection import CollectionKind
from ....domain.universe import Universe
from ..collections import CollectionRecord
from ..schema import Schema
from .plan import Relation
from .temporal import RANK, VALIDITY_BEGIN, VALIDITY_END, CalibrationSearch, temporal_element

FIRST_DATASET = "dataset_0"
_ALIASES: dict[tuple[int, str], sa.FromClause] = {}


def dataset_relation(universe: Universe, schema: Schema, type_id: int, units: Sequence[str],
                     search: Sequence[CollectionRecord], *, find_first: bool, name: str = "dataset",
                     query_units: Sequence[str] = ()) -> Relation:
    """The relation of the datasets of type ``type_id`` in ``search``, carrying their DataUnit values.

    ``query_units`` are the other DataUnits the query names (a temporal one makes a calibration search
    choose by its time).
    """
    implied = universe.implied(tuple(units))
    if any(r.kind is CollectionKind.CALIBRATION for r in search) and (
            find_first or temporal_element(universe, [*units, *query_units]) is not None):
        found = calibration_source(schema, type_id, search).subquery(name)
        calibration = CalibrationSearch(tuple(r.name for r in search), found.c[RANK],
                                        (found.c[VALIDITY_BEGIN], found.c[VALIDITY_END]), find_first)
        return Relation(name, found, {u: found.c[u] for u in units}, {u: found.c[u] for u in implied},
                        multiplies=True, cacheable=False, calibration=calibration)
    if all(r.kind is CollectionKind.RUN for r in search) and (len(search) == 1 or not find_first):
        # The common case reads the dataset table itself: no subquery for the database to flatten.
        table = _dataset_alias(schema, name)
        run_ids = [r.id for r in search]
        if len(run_ids) == 1:
            runs = table.c.run_id == sa.bindparam(f"{name}_run", type_=sa.Integer())
            parameters: dict[str, Any] = {f"{name}_run": run_ids[0]}
        else:
            runs = table.c.run_id.in_(sa.bindparam(f"{name}_runs", expanding=True, type_=sa.Integer()))
            parameters = {f"{name}_runs": run_ids}
        parameters[f"{name}_type"] = type_id
        conditions = (table.c.dataset_type_id == sa.bindparam(f"{name}_type", type_=sa.Integer()), runs)
        return Relation(name, table, {u: table.c[u] for u in units}, {u: table.c[u] for u in implied},
                        conditions=conditions, parameters=parameters)
    source = dataset_source(schema, type_id, search, find_first=find_first).subquery(name)
    return Relation(name, source, {u: source.c[u] for u in units}, {u: source.c[u] for u in implied},
                    cacheable=False)


def _dataset_alias(schema: Schema, name: str) -> sa.FromClause:
    """The dataset table itself for the first dataset relation of a query, an alias for the others.

    Aliases are immutable and building one costs more than the rest of a small query, so each is
    made once per table and name.
    """
    if name == FIRST_DATASET:
        return schema.dataset
    key = (id(schema.dataset), name)
    alias = _ALIASES.get(key)
    if alias is None:
        alias = _ALIASES[key] = schema.dataset.alias(name)
    return alias


def dataset_source(schema: Schema, type_id: int, search: Sequence[CollectionRecord], *,
                   find_first: bool) -> sa.Select[Any]:
    """The SELECT of ``dataset`` rows of one type in ``search`` (see the module docstring)."""
    d, t, c = schema.dataset, schema.dataset_tag, schema.dataset_calib
    runs = [r for r in search if r.kind is CollectionKind.RUN]
    tags = [r for r in search if r.kind is CollectionKind.TAGGED]
    calibs = [r for r in search if r.kind is CollectionKind.CALIBRATION]
    rank = {r.id: i for i, r in enumerate(search)}
    ranked = find_first and len(runs) + len(tags) + len(calibs) > 1
    parts: list[sa.Select[Any]] = []
    if runs or not (tags or calibs):
        columns: list[Any] = list(d.c)
        if ranked:
            columns.append(_rank(d.c.run_id, rank).label(RANK))
        parts.append(sa.select(*columns).where(d.c.dataset_type_id == type_id,
                                               d.c.run_id.in_([r.id for r in runs])))
    if tags:
        columns = list(d.c)
        if ranked:
            columns.append(_rank(t.c.collection_id, rank).label(RANK))
        parts.append(sa.select(*columns).join_from(t, d, t.c.dataset_id == d.c.id)
                     .where(t.c.dataset_type_id == type_id, d.c.dataset_type_id == type_id,
                            t.c.collection_id.in_([r.id for r in tags])))
    if calibs:  # one row per certified range: several rows of one dataset when it has several ranges
        columns = list(d.c)
        if ranked:
            columns.append(_rank(c.c.collection_id, rank).label(RANK))
        parts.append(sa.select(*columns).join_from(c, d, c.c.dataset_id == d.c.id)
                     .where(c.c.dataset_type_id == type_id, d.c.dataset_type_id == type_id,
                            c.c.collection_id.in_([r.id for r in calibs])).distinct())
    if len(parts) == 1 and not ranked:
        return parts[0]
    if not ranked:
        union = sa.union(*parts).subquery("found")
        return sa.select(*union.c)
    combined = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("found")
    row_number = sa.func.row_number().over(partition_by=combined.c.data_id_key,
                                           order_by=combined.c[RANK]).label("position")
    numbered = sa.select(*(c for c in combined.c if c.name != RANK), row_number).subquery("numbered")
    return sa.select(*(c for c in numbered.c if c.name != "position")).where(numbered.c.position == 1)


def calibration_source(schema: Schema, type_id: int, search: Sequence[CollectionRecord]) -> sa.SelectBase:
    """Every row of ``dataset`` of one type in ``search`` with its collection's rank and validity range.

    A dataset certified for several ranges has a row per range; RUN and TAGGED rows have no range (NULL).
    """
    d, t, c = schema.dataset, schema.dataset_tag, schema.dataset_calib
    rank = {r.id: i for i, r in enumerate(search)}
    no_range = [sa.cast(sa.null(), sa.BigInteger()).label(VALIDITY_BEGIN),
                sa.cast(sa.null(), sa.BigInteger()).label(VALIDITY_END)]
    parts: list[sa.Select[Any]] = []
    runs = [r.id for r in search if r.kind is CollectionKind.RUN]
    if runs:
        parts.append(sa.select(*d.c, _rank(d.c.run_id, rank).label(RANK), *no_range)
                     .where(d.c.dataset_type_id == type_id, d.c.run_id.in_(runs)))
    tags = [r.id for r in search if r.kind is CollectionKind.TAGGED]
    if tags:
        parts.append(sa.select(*d.c, _rank(t.c.collection_id, rank).label(RANK), *no_range)
                     .join_from(t, d, t.c.dataset_id == d.c.id)
                     .where(t.c.dataset_type_id == type_id, d.c.dataset_type_id == type_id,
                            t.c.collection_id.in_(tags)))
    calibs = [r.id for r in search if r.kind is CollectionKind.CALIBRATION]
    parts.append(sa.select(*d.c, _rank(c.c.collection_id, rank).label(RANK),
                           c.c.validity_begin.label(VALIDITY_BEGIN), c.c.validity_end.label(VALIDITY_END))
                 .join_from(c, d, c.c.dataset_id == d.c.id)
                 .where(c.c.dataset_type_id == type_id, d.c.dataset_type_id == type_id,
                        c.c.collection_id.in_(calibs)))
    return sa.union_all(*parts) if len(parts) > 1 else parts[0]


def _rank(column: sa.ColumnElement[Any], rank: dict[int, int]) -> sa.ColumnElement[Any]:
    return sa.case({key: sa.literal(value, sa.Integer()) for key, value in rank.items()}, value=column,
                   else_=sa.literal(len(rank), sa.Integer()))
