"""A batch of DataIds as one bound parameter of a statement that is compiled once.

Finding 1,000 DataIds joins the metadata table to the list of wanted keys (an index probe per key).
Written as ``VALUES (?, ?, ?), ...`` the list is thousands of bound parameters, and compiling them
costs more than running the query; so the keys travel as one JSON array on SQLite (``json_each``)
and as one array per DataUnit on PostgreSQL (``unnest``), and the statement is built once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

KEYS = "keys"


def wanted_keys(dialect: str, units: Sequence[str], types: Sequence[sa.types.TypeEngine[Any]]) -> sa.CTE | None:
    """The relation ``wanted`` with one column per unit, its rows bound later by ``key_parameters``.

    None on a database with neither form: the caller lists the keys in the statement itself.
    """
    if dialect == "postgresql":
        arrays = [sa.cast(sa.bindparam(f"{KEYS}_{i}"), postgresql.ARRAY(kind)) for i, kind in enumerate(types)]
        unnested = sa.func.unnest(*arrays).table_valued(*units).render_derived(name="listed")
        return sa.select(*(unnested.c[u] for u in units)).cte("wanted")
    if dialect == "sqlite":
        each = sa.func.json_each(sa.bindparam(KEYS, type_=sa.Text())).table_valued("value", name="listed")
        columns = [sa.type_coerce(sa.func.json_extract(each.c.value, f"$[{i}]"), kind).label(u)
                   for i, (u, kind) in enumerate(zip(units, types, strict=True))]
        return sa.select(*columns).cte("wanted")
    return None


def listed_keys(units: Sequence[str], types: Sequence[sa.types.TypeEngine[Any]],
                keys: Sequence[tuple[Any, ...]]) -> sa.CTE:
    """The relation ``wanted`` listing ``keys`` in the statement (any database; compiled per call)."""
    columns = [sa.column(u, kind) for u, kind in zip(units, types, strict=True)]
    return sa.values(*columns, name="listed").data(list(keys)).cte("wanted")


def key_parameters(dialect: str, keys: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """The bound values of ``wanted_keys`` for these keys."""
    if dialect == "postgresql":
        width = len(keys[0]) if keys else 0
        return {f"{KEYS}_{i}": [key[i] for key in keys] for i in range(width)}
    return {KEYS: json.dumps([list(key) for key in keys])}
