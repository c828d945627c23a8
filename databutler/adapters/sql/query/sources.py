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
from ..id_lists import one_of, position_in
from ..schema import Schema
from ..search_path import SearchPath
from .plan import Relation
from .temporal import RANK, VALIDITY_BEGIN, VALIDITY_END, CalibrationSearch, temporal_element

FIRST_DATASET = "dataset_0"
_ALIASES: dict[tuple[int, str], sa.FromClause] = {}


def dataset_relation(universe: Universe, schema: Schema, type_id: int, units: Sequence[str],
                     search: SearchPath, *, find_first: bool, name: str = "dataset",
                     query_units: Sequence[str] = ()) -> Relation:
    """The relation of the datasets of type ``type_id`` in ``search``, carrying their DataUnit values.

    ``query_units`` are the other DataUnits the query names (a temporal one makes a calibration search
    choose by its time).
    """
    implied = universe.implied(tuple(units))
    if search.calibration_ids and (
            find_first or temporal_element(universe, [*units, *query_units]) is not None):
        found = calibration_source(schema, type_id, search).subquery(name)
        calibration = CalibrationSearch(tuple(r.name for r in search), found.c[RANK],
                                        (found.c[VALIDITY_BEGIN], found.c[VALIDITY_END]), find_first)
        return Relation(name, found, {u: found.c[u] for u in units}, {u: found.c[u] for u in implied},
                        multiplies=True, cacheable=False, calibration=calibration)
    if search.only_runs and (len(search) == 1 or not find_first):
        # The common case reads the dataset table itself: no subquery for the database to flatten.
        table = _dataset_alias(schema, name)
        run_ids = search.run_ids
        if len(run_ids) == 1:
            runs = table.c.run_id == sa.bindparam(f"{name}_run", type_=sa.Integer())
            parameters: dict[str, Any] = {f"{name}_run": run_ids[0]}
        elif search.chain_id is not None:  # a long chain: its rows in chain_search, probed by primary key
            runs = in_chain(schema, table.c.run_id, f"{name}_chain")
            parameters = {f"{name}_chain": search.chain_id}
        else:
            runs = one_of(table.c.run_id, f"{name}_runs")
            parameters = {f"{name}_runs": run_ids}
        parameters[f"{name}_type"] = type_id
        conditions = (table.c.dataset_type_id == sa.bindparam(f"{name}_type", type_=sa.Integer()), runs)
        return Relation(name, table, {u: table.c[u] for u in units}, {u: table.c[u] for u in implied},
                        conditions=conditions, parameters=parameters)
    statement, parameters = dataset_source(schema, type_id, search, find_first=find_first, name=name)
    source = statement.subquery(name)
    return Relation(name, source, {u: source.c[u] for u in units}, {u: source.c[u] for u in implied},
                    parameters=parameters)


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


def dataset_source(schema: Schema, type_id: int, search: SearchPath, *, find_first: bool,
                   name: str = "dataset") -> tuple[sa.Select[Any], dict[str, Any]]:
    """The SELECT of ``dataset`` rows of one type in ``search`` (see the module docstring), and its parameters.

    Every value is a named parameter (``<name>_type``, ``<name>_runs``, ``<name>_tags``,
    ``<name>_calibs``, and ``<name>_search`` for the rank), and which ones are present says the
    statement's shape: a statement built for one search serves any other of the same kinds.
    """
    d, t, c = schema.dataset, schema.dataset_tag, schema.dataset_calib
    runs, tags, calibs = search.run_ids, search.tagged_ids, search.calibration_ids
    ranked = find_first and len(runs) + len(tags) + len(calibs) > 1
    type_id_is = sa.bindparam(f"{name}_type", type_=sa.Integer())
    parameters: dict[str, Any] = {f"{name}_type": type_id}
    chain = search.chain_id
    if chain is not None:  # a long chain: membership and rank from chain_search, probed by primary key
        parameters[f"{name}_chain"] = chain
    elif ranked:
        parameters[f"{name}_search"] = search.ids

    def member(column: sa.ColumnElement[int], kind: str, ids: list[int]) -> tuple[sa.ColumnElement[bool], list[Any]]:
        """The condition that ``column`` is a collection of the search, and the rank column (if ranked)."""
        if chain is not None:
            return (in_chain(schema, column, f"{name}_chain"),
                    [rank_in_chain(schema, column, f"{name}_chain").label(RANK)] if ranked else [])
        parameters[f"{name}_{kind}"] = ids
        return (one_of(column, f"{name}_{kind}"),
                [position_in(column, f"{name}_search").label(RANK)] if ranked else [])

    parts: list[sa.Select[Any]] = []
    if runs or not (tags or calibs):
        condition, rank = member(d.c.run_id, "runs", runs)
        parts.append(sa.select(*d.c, *rank).where(d.c.dataset_type_id == type_id_is, condition))
    if tags:
        condition, rank = member(t.c.collection_id, "tags", tags)
        parts.append(sa.select(*d.c, *rank).join_from(t, d, t.c.dataset_id == d.c.id)
                     .where(t.c.dataset_type_id == type_id_is, d.c.dataset_type_id == type_id_is, condition))
    if calibs:  # one row per certified range: several rows of one dataset when it has several ranges
        condition, rank = member(c.c.collection_id, "calibs", calibs)
        parts.append(sa.select(*d.c, *rank).join_from(c, d, c.c.dataset_id == d.c.id)
                     .where(c.c.dataset_type_id == type_id_is, d.c.dataset_type_id == type_id_is, condition)
                     .distinct())
    if len(parts) == 1 and not ranked:
        return parts[0], parameters
    if not ranked:
        union = sa.union(*parts).subquery("found")
        return sa.select(*union.c), parameters
    combined = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("found")
    row_number = sa.func.row_number().over(partition_by=combined.c.data_id_key,
                                           order_by=combined.c[RANK]).label("position")
    numbered = sa.select(*(c for c in combined.c if c.name != RANK), row_number).subquery("numbered")
    return sa.select(*(c for c in numbered.c if c.name != "position")).where(numbered.c.position == 1), parameters


def in_chain(schema: Schema, column: sa.ColumnElement[int], parameter: str) -> sa.ColumnElement[bool]:
    """``column`` names a collection the search of the chain bound to ``parameter`` reaches.

    A probe of the chain's row by primary key for each dataset the query's other conditions find:
    ``OFFSET 0`` keeps both planners from turning it into a join that starts from the chain. A plan
    PostgreSQL kept for every chain did so for ``query_data_ids`` with datasets at 10^6: each of a
    chain's 400 runs looked up with each visit of a patch, 30 ms instead of 0.4.
    """
    s = schema.chain_search
    return (sa.select(sa.literal(1)).select_from(s)
            .where(s.c.chain_id == sa.bindparam(parameter, type_=sa.Integer()), s.c.member_id == column)
            .offset(sa.literal_column("0")).exists())


def rank_in_chain(schema: Schema, column: sa.ColumnElement[int], parameter: str) -> sa.ColumnElement[int]:
    """The rank of collection ``column`` in the search of the chain bound to ``parameter``."""
    s = schema.chain_search.c
    return (sa.select(s.position).where(s.chain_id == sa.bindparam(parameter, type_=sa.Integer()),
                                         s.member_id == column).scalar_subquery())


def calibration_source(schema: Schema, type_id: int, search: SearchPath) -> sa.SelectBase:
    """Every row of ``dataset`` of one type in ``search`` with its collection's rank and validity range.

    A dataset certified for several ranges has a row per range; RUN and TAGGED rows have no range (NULL).
    """
    d, t, c = schema.dataset, schema.dataset_tag, schema.dataset_calib
    ranks = [r.id for r in search]
    no_range = [sa.cast(sa.null(), sa.BigInteger()).label(VALIDITY_BEGIN),
                sa.cast(sa.null(), sa.BigInteger()).label(VALIDITY_END)]
    parts: list[sa.Select[Any]] = []
    runs = [r.id for r in search if r.kind is CollectionKind.RUN]
    if runs:
        parts.append(sa.select(*d.c, position_in(d.c.run_id, "runs_rank", ranks).label(RANK), *no_range)
                     .where(d.c.dataset_type_id == type_id, one_of(d.c.run_id, "runs", runs)))
    tags = [r.id for r in search if r.kind is CollectionKind.TAGGED]
    if tags:
        parts.append(sa.select(*d.c, position_in(t.c.collection_id, "tags_rank", ranks).label(RANK), *no_range)
                     .join_from(t, d, t.c.dataset_id == d.c.id)
                     .where(t.c.dataset_type_id == type_id, d.c.dataset_type_id == type_id,
                            one_of(t.c.collection_id, "tags", tags)))
    calibs = [r.id for r in search if r.kind is CollectionKind.CALIBRATION]
    parts.append(sa.select(*d.c, position_in(c.c.collection_id, "calibs_rank", ranks).label(RANK),
                           c.c.validity_begin.label(VALIDITY_BEGIN), c.c.validity_end.label(VALIDITY_END))
                 .join_from(c, d, c.c.dataset_id == d.c.id)
                 .where(c.c.dataset_type_id == type_id, d.c.dataset_type_id == type_id,
                        one_of(c.c.collection_id, "calibs", calibs)))
    return sa.union_all(*parts) if len(parts) > 1 else parts[0]
