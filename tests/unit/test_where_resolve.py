"""Where expressions resolve against the universe: names, types, bind values and referenced elements."""

from __future__ import annotations

import datetime
import fractions
from typing import Any

import pytest

from databutler.config.universe import default_universe
from databutler.domain.errors import QueryError
from databutler.domain.query import (
    Bind,
    BindError,
    BooleanLiteral,
    ColumnRef,
    Comparison,
    ExpressionLimitError,
    ExpressionTypeError,
    FloatLiteral,
    Identifier,
    InList,
    IntegerLiteral,
    OutOfScopeError,
    Overlaps,
    RangeItem,
    ResolvedExpression,
    StringLiteral,
    TimeLiteral,
    TimespanLiteral,
    UnknownNameError,
    bind_values,
    parse_expression,
    prepare_where,
    resolve_expression,
)
from databutler.domain.query.limits import MAX_IN_ITEMS, MAX_STRING_LENGTH
from databutler.domain.universe import Universe
from databutler.domain.values import FieldType, Timespan

UTC = datetime.UTC


@pytest.fixture(scope="module")
def universe() -> Universe:
    return default_universe()


def resolve(text: str, universe: Universe, bind: dict[str, Any] | None = None, **kwargs: Any) -> ResolvedExpression:
    return prepare_where(text, universe, bind, **kwargs)


# -- what an expression refers to ------------------------------------------------------------------

def test_bare_unit_is_its_key_and_needs_no_record_join(universe: Universe) -> None:
    resolved = resolve("visit = 3 AND instrument = 'HSC'", universe)
    assert resolved.units == ("instrument", "visit")
    assert resolved.elements == ()
    assert resolved.column(Identifier("visit")) == ColumnRef("visit", "id", FieldType.INT, "visit")
    assert resolved.column(Identifier("instrument")) == ColumnRef("instrument", "name", FieldType.STRING, "instrument")


def test_key_field_by_name_and_required_unit_fields_are_unit_keys(universe: Universe) -> None:
    resolved = resolve("visit.id = 3 AND physical_filter.name = 'r' AND visit.instrument = 'HSC'", universe)
    assert resolved.column(Identifier("visit", "id")).unit_key == "visit"
    assert resolved.column(Identifier("physical_filter", "name")).unit_key == "physical_filter"
    assert resolved.column(Identifier("visit", "instrument")) == ColumnRef("visit", "instrument", FieldType.STRING,
                                                                           "instrument")
    assert resolved.units == ("instrument", "physical_filter", "visit")
    assert resolved.elements == ()


def test_metadata_and_implied_fields_need_their_element(universe: Universe) -> None:
    resolved = resolve("visit.exposure_time > 30 AND detector.purpose = 'SCIENCE' AND visit.physical_filter = 'r'",
                       universe)
    assert resolved.column(Identifier("visit", "exposure_time")) == ColumnRef("visit", "exposure_time",
                                                                              FieldType.FLOAT)
    assert resolved.column(Identifier("visit", "physical_filter")).unit_key is None
    assert resolved.units == ("detector", "visit")
    assert resolved.elements == ("detector", "visit")


def test_join_element_field_needs_the_join_and_its_units(universe: Universe) -> None:
    resolved = resolve("visit_detector_region.region IS NOT NULL", universe)
    assert resolved.elements == ("visit_detector_region",)
    assert resolved.units == ("detector", "visit")
    assert resolved.column(Identifier("visit_detector_region", "region")).type is FieldType.REGION


def test_empty_expression_resolves_to_no_constraint(universe: Universe) -> None:
    assert resolve("  ", universe) == ResolvedExpression(None)
    assert resolve_expression(None, universe).node is None


def test_unbound_binds_are_reported_and_not_type_checked(universe: Universe) -> None:
    resolved = resolve_expression(parse_expression("visit = :v AND detector.purpose IN (:p, 'x')"), universe)
    assert resolved.unbound == ("p", "v")


# -- unknown names ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "fragment", "suggestion"), [
    ("vist = 1", "unknown DataUnit 'vist'; did you mean 'visit' or 'visit_system'?", "visit"),
    ("Visit = 1", "unknown DataUnit 'Visit'; did you mean 'visit'?", "visit"),
    ("instrumnt = 'HSC'", "did you mean 'instrument'?", "instrument"),
    ("visit.exposure_tme > 1", "'visit' has no field 'exposure_tme'; did you mean 'exposure_time'?", "exposure_time"),
    ("detector.purpse = 'x'", "did you mean 'purpose'?", "purpose"),
    ("exposure_time > 30", "did you mean 'visit.exposure_time' or 'exposure.exposure_time'", "visit.exposure_time"),
    ("visit_detector_regon.region IS NULL", "unknown DataUnit or join element 'visit_detector_regon'",
     "visit_detector_region"),
    ("patch.nonsense = 1", "'patch' has no field 'nonsense'; its fields are skymap, tract, id, cell_x", None),
    ("zzz = 1", "known DataUnits are instrument, band", None),
])
def test_unknown_name_is_an_error_naming_the_closest_valid_names(universe: Universe, text: str, fragment: str,
                                                                  suggestion: str | None) -> None:
    with pytest.raises(UnknownNameError) as info:
        resolve(text, universe)
    assert fragment in str(info.value)
    assert info.value.position == 0
    if suggestion is not None:
        assert suggestion in info.value.suggestions


@pytest.mark.parametrize(("text", "position", "fragment"), [
    ("instrument = Cam1", 13, "if 'Cam1' is a value, quote it: instrument = 'Cam1'"),
    ("Cam1 < instrument", 0, "if 'Cam1' is a value, quote it: 'Cam1' < instrument"),
    ("physical_filter != HSC_r AND visit = 1", 19, "quote it: physical_filter != 'HSC_r'"),
    ("visit.name = vist", 13,
     "quote it: visit.name = 'vist'; if it is a DataUnit, did you mean 'visit' or 'visit_system'?"),
])
def test_unquoted_value_is_refused_suggesting_quotes(universe: Universe, text: str, position: int,
                                                     fragment: str) -> None:
    """A bare unknown name compared with a field is most likely a string value missing its quotes."""
    with pytest.raises(UnknownNameError) as info:
        resolve(text, universe)
    assert "unknown DataUnit" in str(info.value), "the name is still reported as not a DataUnit"
    assert fragment in str(info.value)
    assert info.value.position == position
    assert info.value.suggestions[0] == f"'{info.value.name}'"


def test_unquoted_value_in_an_in_list_suggests_quotes() -> None:
    with pytest.raises(QueryError, match=r"found Cam2; if it is a value, quote it: 'Cam2'"):
        parse_expression("instrument IN ('Cam1', Cam2)")


def test_join_element_alone_is_not_a_value(universe: Universe) -> None:
    with pytest.raises(UnknownNameError, match=r"is a join element, not a DataUnit.*visit_detector_region\.region"):
        resolve("visit_detector_region = 1", universe)


def test_unknown_name_error_points_at_the_identifier(universe: Universe) -> None:
    with pytest.raises(UnknownNameError) as info:
        resolve("visit = 1 AND detecter IN (1..3)", universe)
    assert info.value.position == 14
    assert str(info.value).splitlines()[2].index("^") == str(info.value).splitlines()[1].index("detecter")


# -- types -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "visit = 3", "visit.exposure_time > 30", "visit.exposure_time > 29.5", "visit.id = 3.0",
    "detector.purpose = 'SCIENCE'", "visit.name != \"x\"", "instrument IN ('HSC', 'LSSTCam')",
    "detector IN (1..9:2, 12)", "exposure.timespan OVERLAPS (T'2024-01-01', T'2024-01-02')",
    "exposure.timespan OVERLAPS (NULL, T'2024-01-02')", "visit.timespan OVERLAPS T'2024-01-01T12:00:00'",
    "T'2024-01-01' OVERLAPS visit.timespan", "visit.timespan OVERLAPS exposure.timespan",
    "visit.region IS NULL", "visit.seq_num = exposure.seq_num", "TRUE", "NOT FALSE OR visit = 1",
    "visit.exposure_time < visit.zenith_angle",
])
def test_well_typed_expressions_resolve(universe: Universe, text: str) -> None:
    resolved = resolve(text, universe)
    assert resolved.node == parse_expression(text)


@pytest.mark.parametrize(("text", "position", "fragment"), [
    ("visit = 'abc'", 8, "cannot compare visit (int) with 'abc' (string); visit is a number: write it without quotes"),
    ("detector.purpose = 5", 19, "cannot compare detector.purpose (string) with 5 (int); "
                                 "detector.purpose is a string: quote the value, as '5'"),
    ("'x' = visit", 0, "cannot compare 'x' (string) with visit (int)"),
    ("instrument = 3", 13, "cannot compare instrument (string) with 3 (int)"),
    ("visit = TRUE", 8, "cannot compare visit (int) with TRUE (bool)"),
    ("visit.name = visit.id", 0, "cannot compare visit.name (string) with visit.id (int)"),
    ("visit IN (1, 'two')", 13, "visit (int) cannot be IN a list holding 'two' (string)"),
    ("detector.purpose IN (1..3)", 21, "range 1..3 needs an integer"),
    ("visit.exposure_time IN (1..3)", 24, "range 1..3 needs an integer"),
    ("visit.timespan > T'2024-01-01'", 0, "visit.timespan is a timespan, which = < > cannot compare; use OVERLAPS"),
    ("visit.timespan IN (1)", 0, "is a timespan"),
    ("visit.region = 'abc'", 0, "visit.region (region) is a region, which cannot be compared"),
    ("visit_detector_region.region IN ('x')", 0, "is a region"),
    ("visit OVERLAPS (T'2024-01-01', NULL)", 0, "OVERLAPS needs timespans or times, not visit (int)"),
    ("visit.timespan OVERLAPS visit.exposure_time", 24, "not visit.exposure_time (float)"),
    ("T'2024-01-01' OVERLAPS T'2024-01-02'", 0, "OVERLAPS needs a timespan on at least one side"),
    ("TRUE < FALSE", 0, "booleans can only be compared with = or !="),
    ("visit", 0, "visit (int) is not a condition"),
    ("visit.exposure_time AND visit = 1", 0, "visit.exposure_time (float) is not a condition"),
    ("'abc'", 0, "'abc' (string) is not a condition"),
    ("3 IS NULL", 0, "IS NULL applies to fields, not to 3"),
])
def test_ill_typed_expression_is_a_clear_error(universe: Universe, text: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionTypeError) as info:
        resolve(text, universe)
    assert fragment in str(info.value)
    assert info.value.position == position


def test_type_errors_are_found_in_bound_values_at_the_bind_position(universe: Universe) -> None:
    with pytest.raises(ExpressionTypeError, match="cannot compare visit \\(int\\) with 'abc'") as info:
        resolve("visit = :v", universe, {"v": "abc"})
    assert info.value.position == 8


# -- scope -----------------------------------------------------------------------------------------

def test_units_outside_the_scope_are_refused(universe: Universe) -> None:
    scope = ("instrument", "visit", "skymap", "tract", "patch")
    assert resolve("tract = 9813 AND visit.exposure_time > 1", universe, units_in_scope=scope).units == (
        "visit", "tract")
    with pytest.raises(OutOfScopeError, match="'detector' refers to DataUnit 'detector', which this query does "
                                              "not include") as info:
        resolve("visit = 1 AND detector = 2", universe, units_in_scope=scope)
    assert info.value.position == 14
    with pytest.raises(OutOfScopeError, match="DataUnits 'visit', 'detector'"):
        resolve("visit_detector_region.region IS NULL", universe, units_in_scope=())


# -- binding ---------------------------------------------------------------------------------------

def bound(text: str, **bind: Any) -> Any:
    return bind_values(parse_expression(text), bind)


@pytest.mark.parametrize(("value", "literal"), [
    (3, IntegerLiteral(3)),
    (True, BooleanLiteral(True)),
    (2.5, FloatLiteral(2.5)),
    (fractions.Fraction(1, 4), FloatLiteral(0.25)),
    ("it's; DROP TABLE visit; --", StringLiteral("it's; DROP TABLE visit; --")),
    ("", StringLiteral("")),
    (datetime.datetime(2024, 1, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
     TimeLiteral(datetime.datetime(2024, 1, 1))),
    (datetime.datetime(2024, 1, 1), TimeLiteral(datetime.datetime(2024, 1, 1))),
    (datetime.date(2024, 1, 1), TimeLiteral(datetime.datetime(2024, 1, 1))),
])
def test_scalar_bind_becomes_a_literal_at_the_bind_position(value: Any, literal: Any) -> None:
    node = bound("x = :v", v=value)
    assert node == Comparison("=", Identifier("x"), literal)
    assert type(node.right.value) is type(literal.value)
    assert node.right.position == 4


def test_collection_bind_expands_into_in_items() -> None:
    assert bound("x IN (:v, 9)", v=[3, 1]) == InList(Identifier("x"), (IntegerLiteral(3), IntegerLiteral(1),
                                                                         IntegerLiteral(9)))
    assert bound("x IN (:v)", v=(1,)) == InList(Identifier("x"), (IntegerLiteral(1),))
    assert bound("x IN (:v)", v={"b", "a"}) == InList(Identifier("x"), (StringLiteral("a"), StringLiteral("b")))
    assert bound("x IN (:v)", v=frozenset({2, 1})).items == (IntegerLiteral(1), IntegerLiteral(2))
    assert bound("x NOT IN (:v)", v=5) == InList(Identifier("x"), (IntegerLiteral(5),), negated=True)


def test_range_bind_becomes_an_inclusive_range_item() -> None:
    assert bound("x IN (:v)", v=range(1, 10, 2)).items == (RangeItem(1, 9, 2),)
    assert bound("x IN (:v)", v=range(10, 0, -3)).items == (RangeItem(1, 10, 3),)


def test_timespan_binds() -> None:
    begin, end = datetime.datetime(2024, 1, 1), datetime.datetime(2024, 1, 2)
    expected = Overlaps(Identifier("v", "timespan"), TimespanLiteral(TimeLiteral(begin), TimeLiteral(end)))
    assert bound("v.timespan OVERLAPS :ts", ts=Timespan(begin, end)) == expected
    assert bound("v.timespan OVERLAPS :ts", ts=(begin, end)) == expected
    assert bound("v.timespan OVERLAPS :ts", ts=[begin, None]).right == TimespanLiteral(TimeLiteral(begin), None)
    assert bound("v.timespan OVERLAPS :t", t=begin).right == TimeLiteral(begin)
    assert bound("v.timespan OVERLAPS (:a, :b)", a=begin, b=end) == expected
    assert bound("v.timespan OVERLAPS (:a, :b)", a=None, b=end).right == TimespanLiteral(None, TimeLiteral(end))
    aware = Timespan(begin.replace(tzinfo=UTC), end.replace(tzinfo=UTC))
    assert bound("v.timespan OVERLAPS :ts", ts=aware) == expected


def test_unused_bind_values_are_allowed() -> None:
    assert bound("x = 1", unused=object()) == parse_expression("x = 1")
    assert bind_values(None, {"a": 1}) is None


@pytest.mark.parametrize(("text", "bind", "fragment"), [
    ("x = :v", {}, "bind parameter ':v' has no value; pass it as bind={'v': value} (at column 5)"),
    ("x = :visit", {"vist": 1}, "':visit' has no value; did you mean 'vist'? (at column 5)"),
    ("x = :v", {":v": 1}, "without the colon"),
    ("x = 1 AND y IN (:a, :b)", {"a": 1}, "':b' has no value; pass it as bind={'b': value} (at column 21)"),
    ("x = :v", {"v": None}, "':v' is None; NULL is not a value"),
    ("x = :v", {"v": b"bytes"}, "holds a value of type bytes; allowed values are int, float, str, bool"),
    ("x = :v", {"v": object()}, "holds a value of type object"),
    ("x = :v", {"v": {"a": 1}}, "holds a value of type dict"),
    ("x = :v", {"v": [1, 2]}, "holds a collection (list); collections are only allowed as IN items"),
    ("x = :v", {"v": float("nan")}, "holds nan, which is not a finite number"),
    ("x = :v", {"v": float("inf")}, "holds inf, which is not a finite number"),
    ("x = :v", {"v": 2**63}, "outside the signed 64-bit range"),
    ("x = :v", {"v": -(2**63) - 1}, "outside the signed 64-bit range"),
    ("x = :v", {"v": fractions.Fraction(10**400, 1)}, "not a finite float"),
    ("x = :v", {"v": "a\x00b"}, "strings may not contain NUL characters"),
    ("x = :v", {"v": "\ud800"}, "lone surrogate"),
    ("x = :v", {"v": "x" * (MAX_STRING_LENGTH + 1)}, f"the maximum is {MAX_STRING_LENGTH}"),
    ("x = :v", {"v": Timespan(None, None)}, "timespans are only allowed with OVERLAPS"),
    ("x IN (:v)", {"v": []}, "is an empty list; an IN list needs at least one value"),
    ("x IN (:v)", {"v": set()}, "is an empty set"),
    ("x IN (:v)", {"v": range(0)}, "is an empty range"),
    ("x IN (:v)", {"v": [[1, 2]]}, "holds a nested list; IN takes a flat list"),
    ("x IN (:v)", {"v": [(1,)]}, "holds a nested tuple"),
    ("x IN (:v)", {"v": [1, None]}, "is None"),
    ("x IN (:v)", {"v": [1, b"x"]}, "type bytes"),
    ("x IN (:v)", {"v": range(0, 2**64)}, "outside the signed 64-bit range"),
    ("x OVERLAPS :t", {"t": (1, 2)}, "holds a value of type int where a datetime is needed"),
    ("x OVERLAPS :t", {"t": (None, None, None)}, "sequence of 3 items; a timespan is a (begin, end) pair"),
    ("x OVERLAPS :t", {"t": "2024-01-01"}, "OVERLAPS takes a Timespan, a (begin, end) pair"),
    ("x OVERLAPS :t", {"t": (datetime.datetime(2024, 1, 2), datetime.datetime(2024, 1, 1))},
     "ends (2024-01-01 00:00:00) before it begins"),
    ("x OVERLAPS (:a, T'2024-01-01')", {"a": datetime.datetime(2024, 1, 2)}, "timespan ends"),
    ("x OVERLAPS :t", {"t": datetime.datetime(1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))},
     "cannot be expressed in UTC"),
])
def test_bad_bind_value_is_refused_naming_the_parameter(text: str, bind: dict[str, Any], fragment: str) -> None:
    with pytest.raises(BindError) as info:
        bind_values(parse_expression(text), bind)
    assert fragment in str(info.value)
    assert isinstance(info.value, QueryError)


def test_bind_error_names_the_parameter_and_points_at_it(universe: Universe) -> None:
    with pytest.raises(BindError) as info:
        resolve("visit = 1 AND detector = :det", universe, {})
    assert info.value.name == "det"
    assert info.value.position == 25
    assert str(info.value).splitlines()[1].strip() == "visit = 1 AND detector = :det"


def test_bind_mapping_must_be_a_mapping() -> None:
    with pytest.raises(BindError, match="must be a mapping"):
        bind_values(parse_expression("x = :v"), [("v", 1)])  # type: ignore[arg-type]


def test_bound_in_list_is_limited() -> None:
    assert len(bound("x IN (:v)", v=list(range(MAX_IN_ITEMS))).items) == MAX_IN_ITEMS
    with pytest.raises(ExpressionLimitError, match="takes at most 10000"):
        bound("x IN (:v)", v=list(range(MAX_IN_ITEMS + 1)))
    with pytest.raises(ExpressionLimitError, match="once bind values are expanded"):
        bound("x IN (:a, :b)", a=list(range(MAX_IN_ITEMS)), b=[1])


def test_bound_values_stay_data(universe: Universe) -> None:
    hostile = "x' OR '1'='1"
    resolved = resolve("visit.name = :v", universe, {"v": hostile})
    assert resolved.node == Comparison("=", Identifier("visit", "name"), StringLiteral(hostile))
    assert parse_expression(str(resolved.node)) == resolved.node


def test_resolution_leaves_bind_nodes_unchanged_when_not_bound(universe: Universe) -> None:
    node = parse_expression("visit IN (:ids)")
    assert resolve_expression(node, universe).node == InList(Identifier("visit"), (Bind("ids"),))
