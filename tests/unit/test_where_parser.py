"""The where language parses every construct into the expected tree and renders it back canonically."""

from __future__ import annotations

import datetime
import pickle

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databutler.domain.errors import QueryError
from databutler.domain.query import (
    And,
    Bind,
    BooleanLiteral,
    Comparison,
    Condition,
    ExpressionLimitError,
    ExpressionSyntaxError,
    FloatLiteral,
    Identifier,
    InList,
    IntegerLiteral,
    IsNull,
    Node,
    Not,
    Or,
    Overlaps,
    RangeItem,
    StringLiteral,
    TimeLiteral,
    TimespanLiteral,
    parse_expression,
    walk,
)
from databutler.domain.query import parser as parser_module
from databutler.domain.query.limits import INT64_MAX, INT64_MIN, MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH

V = Identifier("visit")
D = Identifier("detector")
T0 = datetime.datetime(2024, 1, 1)
T1 = datetime.datetime(2024, 1, 2, 12, 30)


def parse(text: str) -> Condition:
    node = parse_expression(text)
    assert node is not None
    return node


def assert_round_trips(node: Node) -> None:
    assert parse(str(node)) == node
    assert str(parse(str(node))) == str(node)


# -- constructs ----------------------------------------------------------------------------------

CONSTRUCTS = [
    ("visit = 1", Comparison("=", V, IntegerLiteral(1)), "visit = 1"),
    ("visit.exposure_time > 30", Comparison(">", Identifier("visit", "exposure_time"), IntegerLiteral(30)), None),
    ("detector.purpose = 'SCIENCE'", Comparison("=", Identifier("detector", "purpose"), StringLiteral("SCIENCE")),
     None),
    ('detector.purpose = "SCIENCE"', Comparison("=", Identifier("detector", "purpose"), StringLiteral("SCIENCE")),
     "detector.purpose = 'SCIENCE'"),
    ("visit_detector_region.region IS NULL", IsNull(Identifier("visit_detector_region", "region")), None),
    ("visit.id IS NOT NULL", IsNull(Identifier("visit", "id"), negated=True), None),
    ("visit <> 2", Comparison("!=", V, IntegerLiteral(2)), "visit != 2"),
    ("visit != 2", Comparison("!=", V, IntegerLiteral(2)), None),
    ("visit<=2", Comparison("<=", V, IntegerLiteral(2)), "visit <= 2"),
    ("visit>=2", Comparison(">=", V, IntegerLiteral(2)), "visit >= 2"),
    ("visit<2", Comparison("<", V, IntegerLiteral(2)), "visit < 2"),
    ("visit = -7", Comparison("=", V, IntegerLiteral(-7)), None),
    ("visit = - 7", Comparison("=", V, IntegerLiteral(-7)), "visit = -7"),
    ("x = 1.5", Comparison("=", Identifier("x"), FloatLiteral(1.5)), None),
    ("x = 1e3", Comparison("=", Identifier("x"), FloatLiteral(1000.0)), "x = 1000.0"),
    ("x = 2.5E-3", Comparison("=", Identifier("x"), FloatLiteral(0.0025)), "x = 0.0025"),
    ("x = -1.5e+2", Comparison("=", Identifier("x"), FloatLiteral(-150.0)), "x = -150.0"),
    ("x = 007", Comparison("=", Identifier("x"), IntegerLiteral(7)), "x = 7"),
    ("flag = TRUE", Comparison("=", Identifier("flag"), BooleanLiteral(True)), None),
    ("flag = false", Comparison("=", Identifier("flag"), BooleanLiteral(False)), "flag = FALSE"),
    ("flag", Identifier("flag"), None),
    ("TRUE", BooleanLiteral(True), None),
    ("visit = :v", Comparison("=", V, Bind("v")), None),
    ("t = T'2024-01-01'", Comparison("=", Identifier("t"), TimeLiteral(T0)), "t = T'2024-01-01T00:00:00'"),
    ("t < t'2024-01-02T12:30:00'", Comparison("<", Identifier("t"), TimeLiteral(T1)), "t < T'2024-01-02T12:30:00'"),
    ('t > T"2024-01-02 14:30:00+02:00"', Comparison(">", Identifier("t"), TimeLiteral(T1)),
     "t > T'2024-01-02T12:30:00'"),
    ("t > T'2024-01-02T12:30:00Z'", Comparison(">", Identifier("t"), TimeLiteral(T1)), "t > T'2024-01-02T12:30:00'"),
    ("visit IN (1, 2, 3)", InList(V, (IntegerLiteral(1), IntegerLiteral(2), IntegerLiteral(3))), None),
    ("visit NOT IN (1)", InList(V, (IntegerLiteral(1),), negated=True), None),
    ("visit not in (1)", InList(V, (IntegerLiteral(1),), negated=True), "visit NOT IN (1)"),
    ("detector IN (1..10)", InList(D, (RangeItem(1, 10),)), None),
    ("detector IN (1..10:2)", InList(D, (RangeItem(1, 10, 2),)), None),
    ("detector IN (-5..-1, 0 .. 4 : 1)", InList(D, (RangeItem(-5, -1), RangeItem(0, 4))), "detector IN (-5..-1, 0..4)"),
    ("detector IN (3..3)", InList(D, (RangeItem(3, 3),)), None),
    ("detector IN (:ids, 7, 1..2)", InList(D, (Bind("ids"), IntegerLiteral(7), RangeItem(1, 2))), None),
    ("name IN ('a', \"b\")", InList(Identifier("name"), (StringLiteral("a"), StringLiteral("b"))),
     "name IN ('a', 'b')"),
    ("visit.timespan OVERLAPS (T'2024-01-01', T'2024-01-02T12:30')",
     Overlaps(Identifier("visit", "timespan"), TimespanLiteral(TimeLiteral(T0), TimeLiteral(T1))),
     "visit.timespan OVERLAPS (T'2024-01-01T00:00:00', T'2024-01-02T12:30:00')"),
    ("visit.timespan OVERLAPS (NULL, :end)",
     Overlaps(Identifier("visit", "timespan"), TimespanLiteral(None, Bind("end"))), None),
    ("visit.timespan OVERLAPS :ts", Overlaps(Identifier("visit", "timespan"), Bind("ts")), None),
    ("visit.timespan OVERLAPS T'2024-01-01'", Overlaps(Identifier("visit", "timespan"), TimeLiteral(T0)),
     "visit.timespan OVERLAPS T'2024-01-01T00:00:00'"),
    ("visit.timespan OVERLAPS exposure.timespan",
     Overlaps(Identifier("visit", "timespan"), Identifier("exposure", "timespan")), None),
    ("visit.seq_num = exposure.seq_num", Comparison("=", Identifier("visit", "seq_num"),
                                                     Identifier("exposure", "seq_num")), None),
    ("NOT visit = 1", Not(Comparison("=", V, IntegerLiteral(1))), None),
    ("NOT NOT flag", Not(Not(Identifier("flag"))), None),
    ("a = 1 AND b = 2", And((Comparison("=", Identifier("a"), IntegerLiteral(1)),
                             Comparison("=", Identifier("b"), IntegerLiteral(2)))), None),
    ("a = 1 or b = 2 OR c = 3", Or((Comparison("=", Identifier("a"), IntegerLiteral(1)),
                                    Comparison("=", Identifier("b"), IntegerLiteral(2)),
                                    Comparison("=", Identifier("c"), IntegerLiteral(3)))),
     "a = 1 OR b = 2 OR c = 3"),
]


@pytest.mark.parametrize(("text", "tree", "canonical"), CONSTRUCTS, ids=[c[0] for c in CONSTRUCTS])
def test_construct_parses_to_tree_and_renders_canonically(text: str, tree: Node, canonical: str | None) -> None:
    node = parse(text)
    assert node == tree
    assert str(node) == (canonical or text)
    assert_round_trips(node)


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    a, b, c = (Comparison("=", Identifier(n), IntegerLiteral(1)) for n in "abc")
    assert parse("a = 1 OR b = 1 AND c = 1") == Or((a, And((b, c))))
    assert parse("NOT a = 1 AND b = 1") == And((Not(a), b))
    assert parse("(a = 1 OR b = 1) AND c = 1") == And((Or((a, b)), c))
    assert str(parse("(a = 1 OR b = 1) AND c = 1")) == "(a = 1 OR b = 1) AND c = 1"
    assert str(parse("NOT (a = 1 AND b = 1)")) == "NOT (a = 1 AND b = 1)"


def test_explicit_grouping_is_kept_and_redundant_parentheses_dropped() -> None:
    assert str(parse("((a = 1))")) == "a = 1"
    assert str(parse("a = 1 AND (b = 1 AND c = 1)")) == "a = 1 AND (b = 1 AND c = 1)"
    assert str(parse("(a = 1 AND b = 1) OR c = 1")) == "a = 1 AND b = 1 OR c = 1"


def test_keywords_are_case_insensitive_and_identifiers_case_sensitive() -> None:
    assert parse("Visit iN (1) aNd NoT x iS nUlL") == parse("Visit IN (1) AND NOT x IS NULL")
    assert parse("Visit = 1") != parse("visit = 1")
    assert parse("Visit = 1").left == Identifier("Visit")  # type: ignore[union-attr]


def test_dotted_names_may_be_keywords() -> None:
    assert parse("visit.in = 1") == Comparison("=", Identifier("visit", "in"), IntegerLiteral(1))


@pytest.mark.parametrize(("text", "value"), [
    ("'it''s'", "it's"),
    ('"say ""hi"""', 'say "hi"'),
    ("'a\\'", "a\\"),
    ("'\\n'", "\\n"),
    ("'; DROP TABLE visit; --'", "; DROP TABLE visit; --"),
    ("''", ""),
    ("'line\nbreak'", "line\nbreak"),
    ("'ünïcødé ✓'", "ünïcødé ✓"),
])
def test_strings_double_their_quote_and_keep_backslashes(text: str, value: str) -> None:
    node = parse(f"x = {text}")
    assert node == Comparison("=", Identifier("x"), StringLiteral(value))
    assert_round_trips(node)


def test_integer_limits_are_signed_64_bit() -> None:
    assert parse(f"x = {INT64_MAX}").right == IntegerLiteral(INT64_MAX)  # type: ignore[union-attr]
    assert parse(f"x = {INT64_MIN}").right == IntegerLiteral(INT64_MIN)  # type: ignore[union-attr]
    assert parse(f"x IN ({INT64_MIN}..{INT64_MAX})") == InList(Identifier("x"), (RangeItem(INT64_MIN, INT64_MAX),))
    for text in (f"x = {INT64_MAX + 1}", f"x = {INT64_MIN - 1}", "x = " + "9" * 5000, f"x IN (1..{INT64_MAX + 1})"):
        with pytest.raises(ExpressionLimitError, match="64-bit"):
            parse_expression(text)


def test_booleans_and_integers_are_distinct_values() -> None:
    assert parse("x = TRUE") != parse("x = 1")
    assert parse("x = 1") != parse("x = 1.0")


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_blank_expression_is_none(text: str) -> None:
    assert parse_expression(text) is None


def test_nodes_carry_source_positions() -> None:
    text = "visit = 1 AND detector IN (2..4, :d) OR NOT x IS NULL"
    node = parse(text)
    positions = {str(n): n.position for n in walk(node) if not isinstance(n, And | Or)}
    assert positions["visit = 1"] == 0
    assert positions["1"] == text.index("1")
    assert positions["detector"] == text.index("detector")
    assert positions["2..4"] == text.index("2..4")
    assert positions[":d"] == text.index(":d")
    assert positions["NOT x IS NULL"] == text.index("NOT")
    assert positions["x"] == text.index("x IS")


def test_positions_are_not_part_of_equality_or_hash() -> None:
    assert Identifier("visit", position=5) == Identifier("visit", position=0)
    assert hash(parse("visit = 1")) == hash(parse("   visit   =   1"))


def test_nodes_are_frozen_and_hashable() -> None:
    node = parse("visit IN (1, 2) AND x.y OVERLAPS (T'2024-01-01', NULL)")
    assert len({node, parse(str(node))}) == 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        node.operands = ()  # type: ignore[misc, union-attr]


def test_nesting_up_to_the_limit_parses() -> None:
    depth = MAX_NESTING_DEPTH
    node = parse("(" * depth + "x = 1" + ")" * depth)
    assert node == Comparison("=", Identifier("x"), IntegerLiteral(1))
    nots = parse("NOT " * depth + "flag")
    assert str(nots) == "NOT " * depth + "flag"


# -- errors --------------------------------------------------------------------------------------

SYNTAX_ERRORS = [
    # text, position, an expected item, message fragment
    ("visit.id = AND 3", 11, "a value", "expected a value after '=' at column 12; found 'AND'"),
    ("visit =", 7, "a value", "found end of expression"),
    ("visit IN ()", 10, "a value", "an IN list needs at least one item"),
    ("visit IN (1, 2,)", 15, "a value", "expected a value after ','"),
    ("visit IN 1", 9, "'('", "expected '('"),
    ("visit IN (1 2)", 12, "')'", "expected ',' or ')'"),
    ("a = 'abc", 4, "a closing '", "unterminated string"),
    ('a = "abc', 4, 'a closing "', "unterminated string"),
    ("a = 12abc", 4, None, "malformed number '12abc'"),
    ("a = 1.5.3", 4, None, "malformed number '1.5.3'"),
    ("a = 1e", 4, None, "malformed number"),
    ("a = 0x1F", 4, None, "malformed number"),
    ("a = .5", 4, None, "unexpected character '.'"),
    ("a $ 1", 2, None, "unexpected character '$'"),
    ("a = 1; DROP TABLE visit", 5, None, "unexpected character ';'"),
    ("a = 1 -- comment", 6, "AND", "found '-'"),
    ("a = 1 /* c */", 6, None, "unexpected character '/'"),
    ("a ! 1", 2, None, "'!='"),
    ("a == 1", 2, None, "single '='"),
    ("(a = 1", 6, "')'", "expected AND, OR or ')'"),
    ("a = 1)", 5, "end of expression", "unmatched ')'"),
    ("a = 1 b = 2", 6, "AND", "expected AND, OR or end of expression after '1'"),
    ("visit 5", 6, "=", "expected =, !=, <, <=, >, >=, IN, NOT IN, IS, OVERLAPS, AND, OR"),
    ("a = 1..3", 5, "AND", "only allowed in IN lists"),
    ("a IN (3..1)", 6, None, "range 3..1 is reversed"),
    ("a IN (1..3:0)", 11, "a positive integer stride", "stride must be positive"),
    ("a IN (1..3:-1)", 11, "a positive integer stride", "expected a positive integer stride"),
    ("a IN (1.5..3)", 6, "an integer", "range bounds must be integers"),
    ("a IN (1..x)", 9, "an integer", "expected an integer after '..'"),
    ("a IN (b)", 6, "a value", "IN lists hold values, not fields"),
    ("a = NULL", 4, "a value", "IS NULL"),
    ("a IS 3", 5, "NULL", "expected NULL or NOT NULL"),
    ("a IS NOT 3", 9, "NULL", "expected NULL after 'NOT'"),
    ("a NOT 3", 6, "IN", "expected IN after 'NOT'"),
    ("a.b.c = 1", 0, "unit.field", "more than one '.'"),
    ("visit. = 1", 6, "a field name", "expected a field name after 'visit.'"),
    ("a = T'2024-13-01'", 4, None, "month must be in 1..12"),
    ("a = T'yesterday'", 4, None, "invalid time literal 'yesterday'"),
    ("a = T''", 4, None, "invalid time literal"),
    ("x OVERLAPS (T'2024-01-02', T'2024-01-01')", 11, None, "ends before it begins"),
    ("x OVERLAPS (T'2024-01-02' T'2024-01-03')", 26, "','", "expected ','"),
    ("x OVERLAPS (3, 4)", 12, "a time literal", "expected a time literal, a bind parameter or NULL"),
    ("x OVERLAPS 5", 11, "a time literal", "expected a timespan (begin, end)"),
    ("AND a = 1", 0, "a condition", "expected a condition, '(' or NOT at column 1"),
    ("a = 1 AND", 9, "a condition", "expected a condition, '(' or NOT after 'AND'"),
    ("NOT", 3, "a condition", "found end of expression"),
    ("a = -x", 5, "a number", "'-' only negates a number"),
    ("a = --1", 5, "a number", "expected a number after '-'"),
    ("a = :", 4, "a value", "found ':'"),
    ("a = 'x\x00y'", 4, None, "NUL"),
    ("a = 'x\ud800'", 4, None, "surrogate"),
    ("a\u00a0= 1", 1, None, "U+00A0 NO-BREAK SPACE"),
]


@pytest.mark.parametrize(("text", "position", "expected", "fragment"), SYNTAX_ERRORS,
                         ids=[repr(e[0]) for e in SYNTAX_ERRORS])
def test_syntax_error_is_located_and_says_what_was_expected(text: str, position: int, expected: str | None,
                                                            fragment: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text)
    error = info.value
    assert error.position == position
    if expected is not None:
        assert expected in error.expected
    assert fragment in str(error)
    assert error.expression == text
    assert isinstance(error, QueryError)


def test_syntax_error_message_shows_caret_under_the_position() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("visit.id = AND 3")
    lines = str(info.value).splitlines()
    assert lines[0] == "expected a value after '=' at column 12; found 'AND'"
    assert lines[1].strip() == "visit.id = AND 3"
    assert lines[2].index("^") == lines[1].index("AND")


def test_error_in_multiline_expression_names_line_and_column() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("visit = 1\n  AND detector = ")
    error = info.value
    assert "at line 2, column 18" in str(error)
    assert error.column == 18
    lines = str(error).splitlines()
    assert lines[1].strip() == "AND detector ="
    assert lines[2].index("^") == len(lines[1])


def test_error_in_long_expression_shows_a_window_around_the_position() -> None:
    text = " AND ".join(f"x{i} = {i}" for i in range(300)) + " AND y ="
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text)
    excerpt, caret = str(info.value).splitlines()[1:3]
    assert len(excerpt) < 100
    assert excerpt.startswith("    ...")
    assert caret.index("^") == len(excerpt)


def test_non_printable_characters_do_not_shift_the_caret() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("a = 'x\x00' $")
    excerpt, caret = str(info.value).splitlines()[1:3]
    assert "\x00" not in excerpt
    assert caret.index("^") == excerpt.index("'x")


def test_errors_survive_pickling() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression("visit =")
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is ExpressionSyntaxError
    assert (copy.position, copy.expected, str(copy)) == (info.value.position, info.value.expected, str(info.value))


# -- limits --------------------------------------------------------------------------------------

def test_expression_longer_than_the_limit_is_refused() -> None:
    parse("x = " + "1" * 10 + " " * (MAX_EXPRESSION_LENGTH - 14))
    with pytest.raises(ExpressionLimitError, match="maximum is 10000"):
        parse_expression("x = 1" + " " * MAX_EXPRESSION_LENGTH)


@pytest.mark.parametrize("text", [
    "(" * (MAX_NESTING_DEPTH + 1) + "x = 1" + ")" * (MAX_NESTING_DEPTH + 1),
    "NOT " * (MAX_NESTING_DEPTH + 1) + "flag",
    "(NOT " * 40 + "flag" + ")" * 40,
    "(" * 10_000,
    "NOT " * 2_500,
])
def test_nesting_deeper_than_the_limit_is_refused_without_recursion_error(text: str) -> None:
    with pytest.raises(ExpressionLimitError, match="nests more than 64") as info:
        parse_expression(text)
    assert info.value.position is not None


def test_in_list_longer_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # 10,000 items cannot fit in 10,000 characters, so check the guard with a smaller limit.
    monkeypatch.setattr(parser_module, "MAX_IN_ITEMS", 5)
    parser_module._parse_cached.cache_clear()  # a tree parsed under the real limit must not be reused
    parse("x IN (1, 2, 3, 4, 5)")
    with pytest.raises(ExpressionLimitError, match="more than 5 items") as info:
        parse_expression("x IN (1, 2, 3, 4, 5, 6)")
    assert info.value.position == 21


def test_repeated_text_is_parsed_once_into_the_same_immutable_tree() -> None:
    assert parse_expression("visit = 12345 AND detector = 6") is parse_expression("visit = 12345 AND detector = 6")


def test_non_string_expression_is_refused() -> None:
    with pytest.raises(QueryError, match="must be a string"):
        parse_expression(42)  # type: ignore[arg-type]


# -- round trip of generated trees ---------------------------------------------------------------

_NAMES = st.sampled_from(["visit", "detector", "a", "b_2", "T", "t", "_x", "Visit"])
_INTS = st.integers(INT64_MIN, INT64_MAX)
_IDENTIFIERS = st.builds(Identifier, _NAMES, st.none() | _NAMES)
_BINDS = st.builds(Bind, _NAMES)
_TIMES = st.builds(TimeLiteral, st.datetimes())
_LITERALS = st.one_of(
    st.builds(IntegerLiteral, _INTS),
    st.builds(FloatLiteral, st.floats(allow_nan=False, allow_infinity=False)),
    st.builds(StringLiteral, st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
                                     max_size=12)),
    st.builds(BooleanLiteral, st.booleans()),
    _TIMES,
)
_OPERANDS = st.one_of(_IDENTIFIERS, _BINDS, _LITERALS)
_RANGES = st.builds(lambda a, b, s: RangeItem(min(a, b), max(a, b), s), _INTS, _INTS, st.integers(1, INT64_MAX))
_BOUNDS = st.none() | _BINDS | _TIMES


def _timespan(begin: TimeLiteral | Bind | None, end: TimeLiteral | Bind | None) -> TimespanLiteral:
    if isinstance(begin, TimeLiteral) and isinstance(end, TimeLiteral) and end.value < begin.value:
        begin, end = end, begin
    return TimespanLiteral(begin, end)


_PREDICATES = st.one_of(
    st.builds(Comparison, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), _OPERANDS, _OPERANDS),
    st.builds(InList, _OPERANDS, st.lists(st.one_of(_LITERALS, _BINDS, _RANGES), min_size=1, max_size=4).map(tuple),
              st.booleans()),
    st.builds(IsNull, _OPERANDS, st.booleans()),
    st.builds(Overlaps, _OPERANDS, st.one_of(_IDENTIFIERS, _BINDS, _TIMES, st.builds(_timespan, _BOUNDS, _BOUNDS))),
    _OPERANDS,
)
CONDITIONS = st.recursive(_PREDICATES, lambda inner: st.one_of(
    st.builds(Not, inner),
    st.lists(inner, min_size=2, max_size=3).map(lambda c: And(tuple(c))),
    st.lists(inner, min_size=2, max_size=3).map(lambda c: Or(tuple(c))),
), max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(CONDITIONS)
def test_any_tree_renders_to_text_that_parses_back_to_it(node: Condition) -> None:
    assert_round_trips(node)
