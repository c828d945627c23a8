"""Hypothesis strategies for hostile input: values, DataIds, records, names, where expressions, bind values.

Kept small on purpose; reusable strategies belong in databutler.testing once they settle.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from hypothesis import strategies as st

INT64 = 2**63
HOSTILE_STRINGS = ["", " ", "'", "''", "\"", "';--", "'; DROP TABLE dataset; --", "\" OR 1=1 --", "/* */", "\\",
                   "%", "_", "*", "?", "[a-z]", "é", "\u202e", "\ud800", "\udcff", "\x00", "a\x00b", "\n", "x" * 300,
                   "x" * 70_000, "Cam1", "BulkCam", "NULL", ":v", "${HOME}", "{root}", "../../etc/passwd", "a/b",
                   "\U0001F600", "\ufeff", "ǅ", "İ", "ß"]
TEXT = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=16),
                 st.text(alphabet=st.characters(codec="utf-8", categories=["Cs", "Cc", "Zs", "Lo"]), max_size=6))
INTEGERS = st.one_of(st.integers(-3, 10), st.sampled_from([INT64 - 1, INT64, -INT64, -INT64 - 1, 2**64, 10**30,
                                                           -(10**30), 2**31, 2**31 - 1, 2**53 + 1]),
                     st.integers(-(2**70), 2**70))
FLOATS = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324, 1.5]), st.floats())
SCALARS = st.one_of(st.none(), st.booleans(), INTEGERS, FLOATS, TEXT, st.binary(max_size=8),
                    st.datetimes(), st.just(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
                    st.dates(), st.just(object()), st.just(b"\xff\xfe"), st.just(complex(1, 1)))
EXTREMES = [INT64, -INT64 - 1, 2**64, 10**30, "\ud800", "", "\x00", math.nan, math.inf, None, True, 1.5, b"x", "1"]
"""The values most likely to break a layer below: out of range, unencodable, of the wrong type."""
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(TEXT, SCALARS, max_size=2),
                   st.tuples(SCALARS, SCALARS), st.frozensets(st.integers(), max_size=2))


@st.composite
def hostile_values(draw: st.DrawFn) -> Any:
    """Half the time one of EXTREMES, else any value (``one_of`` would flatten and drown EXTREMES)."""
    return draw(st.sampled_from(EXTREMES)) if draw(st.booleans()) else draw(VALUES)


@st.composite
def integers(draw: st.DrawFn) -> int:
    """Half the time an integer at or past a 32- or 64-bit boundary, else any integer."""
    extremes = [INT64 - 1, INT64, -INT64, -INT64 - 1, 2**64, 10**30, -(10**30), 2**31, 2**31 - 1, -1, 0]
    return draw(st.sampled_from(extremes)) if draw(st.booleans()) else draw(INTEGERS)


@st.composite
def data_ids(draw: st.DrawFn, valid: dict[str, list[Any]]) -> Any:
    """DataIds for the units of ``valid``: mostly valid values with one hostile, sometimes not a mapping at all."""
    shape = draw(st.integers(0, 9))
    if shape == 9:
        return draw(VALUES)
    if shape >= 7:
        keys = st.sampled_from([*valid, "bogus", "visit.id", "", "\ud800"])
        return draw(st.dictionaries(keys, VALUES, max_size=len(valid) + 1))
    data_id = {unit: draw(st.sampled_from(values)) for unit, values in valid.items()}
    unit = draw(st.sampled_from([*valid, None]))
    if unit is not None:
        data_id[unit] = draw(hostile_values())
    return data_id


@st.composite
def records(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """A record like ``valid`` with (usually) one field hostile or added; sometimes not a mapping at all."""
    shape = draw(st.integers(0, 9))
    if shape == 9:
        return draw(VALUES)
    record = dict(valid)
    field = draw(st.sampled_from([*valid, "bogus", "", "\ud800", "name; DROP TABLE x", None]))
    if field is not None:
        record[field] = draw(hostile_values())
    return record


@st.composite
def names(draw: st.DrawFn) -> Any:
    """Names of dataset types, collections, DataUnits and storage classes: hostile text, or not text at all."""
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return draw(st.sampled_from(HOSTILE_STRINGS))
    return draw(hostile_values()) if shape == 1 else draw(TEXT)


FIELDS = ["visit", "detector", "instrument", "exposure", "band", "physical_filter", "visit.exposure_time",
          "visit.timespan", "visit.region", "day_obs", "skymap", "tract", "patch", "vist", "visit.nope", "id"]
OPERATORS = ["=", "!=", "<", ">=", "IN", "NOT IN", "OVERLAPS", "IS NULL", "IS NOT NULL", "LIKE", "==", "<>"]
LITERALS = st.one_of(
    INTEGERS.map(str),
    st.sampled_from(["1e999", "-0.0", "1.5", "TRUE", "T'2024-01-01T22:01:00'", "T'9999-12-31'", "T'0001-01-01'",
                     ":v", ":list", ":missing", "1..5", "1..5:0", f"0..{INT64}:1", "'Cam1'", "NULL", "(1, 2)"]),
    TEXT.map(lambda s: "'" + s.replace("'", "''") + "'"),
)


@st.composite
def where_expressions(draw: st.DrawFn, anchor: str = "") -> str:
    """Predicates joined with AND/OR/NOT, sometimes deeply nested or mangled, or any text at all.

    Half are ``anchor AND (...)``: a constraint (``instrument = 'Cam1'``) that lets a query reach
    the database rather than being refused for an ambiguous DataUnit.
    """
    if draw(st.integers(0, 9)) == 0:
        return draw(TEXT)
    if anchor and draw(st.booleans()):
        return f"{anchor} AND ({draw(where_expressions())})"
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        field, operator = draw(st.sampled_from(FIELDS)), draw(st.sampled_from(OPERATORS))
        if operator.startswith("IS"):
            parts.append(f"{field} {operator}")
        elif "IN" in operator:
            parts.append(f"{field} {operator} ({', '.join(draw(st.lists(LITERALS, min_size=1, max_size=3)))})")
        else:
            parts.append(f"{field} {operator} {draw(LITERALS)}")
    text = draw(st.sampled_from([" AND ", " OR ", " AND NOT "])).join(parts)
    depth = draw(st.sampled_from([0, 0, 0, 1, 3, 70]))
    return "(" * depth + text + ")" * depth + draw(st.sampled_from([""] * 6 + [";", "; DELETE FROM dataset", "--",
                                                                             "/*", "\x00", "'", "))"]))


BINDS = st.one_of(st.none(), st.dictionaries(st.sampled_from(["v", "list", "", "v; --", "\ud800"]),
                                             hostile_values(), max_size=2), VALUES)
"""Bind mappings (or things that are not one)."""
