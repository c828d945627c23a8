"""Hypothesis strategies for hostile input to a registry or a Butler, and the example budget.

Shared by the unit tests (a modest run) and the fault suite (``DATABUTLER_HYPOTHESIS_EXAMPLES``
set to 10^4 or more): DataIds, DataUnit records, where expressions, bind values, limits and
offsets, SQL text, and dataset type and collection names, each usually almost valid with one
adversarial value (out-of-range integers, NaN, lone surrogates, NUL, control characters, huge
text, datetimes at the ends of their range, objects of the wrong type).
"""

from __future__ import annotations

import datetime
import decimal
import os
import sqlite3
from typing import Any

from hypothesis import strategies as st

from ..domain.errors import DataButlerError
from ..domain.universe import Universe
from ..domain.values import FieldType, Timespan

EXAMPLES_ENV = "DATABUTLER_HYPOTHESIS_EXAMPLES"
"""The environment variable that sets how many examples each hostile-input test runs."""


def example_count(default: int = 200) -> int:
    """Examples per hostile-input test: ``$DATABUTLER_HYPOTHESIS_EXAMPLES``, else ``default``."""
    value = os.environ.get(EXAMPLES_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


INT64 = 2**63
_UTC = datetime.UTC
_FAR_EAST = datetime.timezone(datetime.timedelta(hours=23, minutes=59))
_FAR_WEST = datetime.timezone(-datetime.timedelta(hours=23, minutes=59))

HOSTILE_STRINGS = ["'", "''", "';--", "'; DROP TABLE dataset; --", "\" OR 1=1 --", "/* */", "\\", "%", "_",
                   "é", "\u202e", "\ud800", "\udcff\x00", "x" * 300, "Cam1", "SCIENCE", "r", "NULL", ":v"]
"""Strings that have broken SQL, encodings or paths somewhere (kept for the query tests that use them)."""

MORE_HOSTILE_STRINGS = ["", " ", "\x00", "a\x00b", "\udfff", "Cam1\ud800", "../x", "..", ".", "a/b", "\u2028",
                        "\ufeff", "\u0000\u0001", "\U0010ffff", "x" * 5000, "x" * 70_000, "{run}", "%s", "$(id)",
                        "\t", "\r\n", "Cam1 ", "ЖЖЖ", "\u00a0"]

INTEGERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([INT64, INT64 - 1, -INT64, -INT64 - 1, 10**30, -(10**30), 2**64, 10**4000, -1, 0, 1]),
)
FLOATS = st.one_of(st.floats(), st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 5e-324]))
STRINGS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(HOSTILE_STRINGS + MORE_HOSTILE_STRINGS),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp", "Co"]), min_size=1, max_size=4),
    st.text(st.characters(codec="utf-8"), max_size=8).map(lambda s: "Cam1" + s),
)
DATETIMES = st.one_of(
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([_UTC, _FAR_EAST, _FAR_WEST])),
    st.sampled_from([datetime.datetime.min, datetime.datetime.max, datetime.datetime.min.replace(tzinfo=_FAR_EAST),
                     datetime.datetime.max.replace(tzinfo=_FAR_WEST), datetime.datetime(1970, 1, 1)]),
)


def _timespan(begin: Any, end: Any) -> Any:
    try:
        return Timespan(begin, end)
    except DataButlerError:  # refused at construction, as it should be: pass the bounds instead
        return (begin, end)


TIMESPAN_VALUES = st.builds(_timespan, st.one_of(st.none(), DATETIMES), st.one_of(st.none(), DATETIMES))
"""Timespans with bounds anywhere (and, where Timespan refuses them, the (begin, end) pair)."""

SCALARS = st.one_of(
    st.none(), st.booleans(), INTEGERS, FLOATS, STRINGS, st.binary(max_size=8), DATETIMES, st.dates(),
    st.decimals(allow_nan=True), st.just(object()), st.just(decimal.Decimal("1e400")), TIMESPAN_VALUES,
)
"""Any one value a caller might pass where a DataId value, record field or bind value goes."""

VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                                                        st.dictionaries(STRINGS, inner, max_size=2)), max_leaves=5)
"""Scalars, and lists, tuples and dicts of them."""

NAMES = st.one_of(STRINGS, st.text(st.characters(codec="ascii"), max_size=80),
                  st.sampled_from(["calexp", "run1", "u/alice/run1", "a" * 64, "a" * 65, "a" * 1000]))
"""Dataset type and collection names."""

ANY_NAMES = st.one_of(NAMES, INTEGERS, st.none(), st.lists(STRINGS, max_size=2), st.just(object()))
"""Names, and what a caller might pass instead of one."""

LIMITS = st.one_of(st.none(), INTEGERS, st.booleans(), FLOATS, st.just("10"))
"""What a caller might pass to ``limit(n, offset)``."""


def data_ids(units: tuple[str, ...], valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """DataIds for ``units``: ``valid`` with one value made hostile, unknown keys, or no mapping at all."""
    names = [*units, "bogus", "visit.id", ""]
    return st.one_of(
        st.builds(lambda name, value: {**valid, name: value}, st.sampled_from(list(units)), SCALARS),
        st.dictionaries(st.sampled_from(names), SCALARS, max_size=len(units) + 1),
        st.dictionaries(st.one_of(STRINGS, INTEGERS, st.none()), SCALARS, max_size=2),
        st.one_of(st.none(), st.just([("instrument", "Cam1")]), STRINGS, INTEGERS),
    )


def _plausible(field_type: FieldType) -> st.SearchStrategy[Any]:
    if field_type is FieldType.INT:
        return st.integers(0, 10_000)
    if field_type is FieldType.STRING:
        return st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=8)
    if field_type is FieldType.FLOAT:
        return st.floats(-1e6, 1e6)
    if field_type is FieldType.BOOL:
        return st.booleans()
    if field_type is FieldType.DATETIME:
        return st.datetimes(min_value=datetime.datetime(1990, 1, 1), max_value=datetime.datetime(2100, 1, 1))
    return st.none()


def records(universe: Universe, element: str, valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Records of ``element``: ``valid``, plausible values for the other fields, and one to three hostile ones."""
    specs = universe.record_fields(element)

    @st.composite
    def record(draw: st.DrawFn) -> dict[Any, Any]:
        result: dict[Any, Any] = dict(valid)
        for spec in specs:
            if spec.name not in result and (not spec.nullable or draw(st.booleans())):
                result[spec.name] = draw(_plausible(spec.type))
        for name in draw(st.lists(st.sampled_from([s.name for s in specs] + ["bogus"]), min_size=1, max_size=3)):
            result[name] = draw(VALUES)
        return result

    return st.one_of(record(), st.dictionaries(st.one_of(STRINGS, INTEGERS), SCALARS, max_size=3),
                     st.one_of(st.none(), STRINGS, st.just([1, 2])))


# -- the where language --------------------------------------------------------------------------

WHERE_FIELDS = ["visit", "detector", "instrument", "exposure", "tract", "patch", "band", "physical_filter",
                "visit.exposure_time", "visit.name", "detector.purpose", "visit.timespan", "visit.region",
                "day_obs", "visit_detector_region.region", "skymap", "vist", "visit.nope", "visit.id",
                "patch.cell_x"]
WHERE_OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "OVERLAPS", "IS NULL", "IS NOT NULL"]
SCALAR_LITERALS = st.one_of(
    st.integers(-INT64, INT64 - 1).map(str),
    st.sampled_from(["9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e308", "1e999",
                     "-0.0", "1.5", "TRUE", "FALSE", "T'2024-01-01T22:01:00'", "T'9999-12-31'", "T'0001-01-01'",
                     ":v", "1", "2", "'Cam1'"]),
    st.sampled_from(HOSTILE_STRINGS).map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.text(max_size=12).map(lambda s: "'" + s.replace("'", "''") + "'"),
)
RANGES = st.tuples(st.integers(-INT64, INT64 - 1), st.integers(-INT64, INT64 - 1), st.integers(1, INT64 - 1)).map(
    lambda t: f"{t[0]}..{t[1]}:{t[2]}")
IN_ITEMS = st.lists(st.one_of(SCALAR_LITERALS, RANGES, st.just(":list")), min_size=1, max_size=4).map(
    lambda items: "(" + ", ".join(items) + ")")
TIMESPANS = st.sampled_from(["(T'2024-01-01', NULL)", "(NULL, NULL)", "(NULL, T'2024-01-02T00:00:00')", ":v",
                             "T'2024-01-01T22:01:10'", "visit.timespan", "(T'2024-01-02', T'2024-01-01')"])


@st.composite
def predicates(draw: st.DrawFn) -> str:
    """One predicate, usually well-formed, with an adversarial value."""
    field, operator = draw(st.sampled_from(WHERE_FIELDS)), draw(st.sampled_from(WHERE_OPERATORS))
    if operator.startswith("IS"):
        return f"{field} {operator}"
    if "IN" in operator:
        return f"{field} {operator} {draw(IN_ITEMS)}"
    if operator == "OVERLAPS":
        return f"{field} OVERLAPS {draw(TIMESPANS)}"
    return f"{field} {operator} {draw(SCALAR_LITERALS)}"


@st.composite
def expressions(draw: st.DrawFn) -> str:
    """Predicates combined with AND/OR/NOT, sometimes nested very deep, sometimes mangled."""
    parts = draw(st.lists(predicates(), min_size=1, max_size=4))
    text = draw(st.sampled_from([" AND ", " OR ", " AND NOT "])).join(parts)
    depth = draw(st.sampled_from([0, 0, 0, 1, 3, 60, 70, 500]))
    text = "(" * depth + text + ")" * depth
    mangle = draw(st.sampled_from([""] * 8 + [";", "; DELETE FROM dataset", " -- ", "/*", "\x00", "'", "))"]))
    return text + mangle


WHERE = st.one_of(expressions(), st.text(max_size=40))
"""Where expressions: mostly well-formed with hostile values, sometimes arbitrary text."""

BIND_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=20), st.binary(max_size=8),
    st.datetimes(), st.sampled_from(HOSTILE_STRINGS), st.just(object()),
    st.just(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
)
MORE_BIND_SCALARS = st.one_of(BIND_SCALARS, SCALARS)
"""Bind values including the wider hostile scalars (huge ints, timespans at the ends of time, ...)."""
BINDS = st.dictionaries(st.sampled_from(["v", "list"]), st.one_of(BIND_SCALARS, st.lists(BIND_SCALARS, max_size=4)),
                        max_size=2)
"""Bind values for the names ``:v`` and ``:list`` the expressions use."""

ORDERS = st.lists(st.sampled_from(["visit", "-visit", "detector", "-visit.exposure_time", "visit; --", "-", "'x'"]),
                  max_size=2)
MORE_ORDERS = st.lists(st.one_of(st.sampled_from(["visit", "-visit", "detector", "--visit", "visit.", ".", "-name"]),
                                 STRINGS), max_size=2)
"""Sort fields including hostile strings."""

SQL = st.one_of(
    st.sampled_from([
        "DELETE FROM dataset", "DROP TABLE dataset", "SELECT 1; DROP TABLE dataset", "UPDATE meta SET value = 'x'",
        "WITH x AS (SELECT 1) DELETE FROM dataset", "WITH x AS (SELECT 1) UPDATE meta SET value = 'x'",
        "SELECT * FROM v_dataset; ", "SELECT * FROM v_dataset -- ; DROP TABLE dataset",
        "SELECT * FROM v_dataset /* ; DROP TABLE dataset */", "ATTACH DATABASE 'x.db' AS x",
        "PRAGMA query_only = OFF", "SELECT load_extension('x')", "VACUUM", "SELECT * FROM sqlite_master",
        "SELECT writefile('x', 'y')", "select \x00 from v_dataset", "SELECT :v, :list FROM v_collection",
        "CREATE TABLE x (a)", "REPLACE INTO meta VALUES ('a', 'b')", "INSERT INTO meta VALUES ('a', 'b')",
    ]),
    st.text(max_size=40),
    st.text(max_size=20).map(lambda s: f"SELECT * FROM v_collection WHERE name = '{s}'"),
)
"""SQL text for select_sql: writes in disguise, several statements, arbitrary text."""


def sqlite_state(path: str | os.PathLike[str]) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """The schema and every table's row count of the SQLite file ``path``, read with a plain sqlite3 connection.

    Equal before and after a refused call: the call changed nothing.
    """
    connection = sqlite3.connect(path)
    try:
        schema = sorted(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
        counts = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                  for (kind, name, _, _) in schema if kind == "table"}
    finally:
        connection.close()
    return schema, counts
