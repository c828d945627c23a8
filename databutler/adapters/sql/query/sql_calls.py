"""The functions a select_sql statement may call: an allow-list, checked on the statement's tokens.

A read-only transaction refuses writes to tables, but not every function with a side effect:
on PostgreSQL ``lo_export`` writes a server file, ``pg_advisory_lock`` takes a session lock,
``dblink_exec`` writes another database, ``pg_read_file`` reads one; on SQLite
``load_extension`` loads code. So a statement may call only the functions listed here (pure
functions of their arguments: aggregates, arithmetic, text, dates, JSON, window functions).

The statement is split into tokens the way the database would (strings, quoted identifiers,
comments, PostgreSQL's nested comments and ``E''`` strings); a name followed by ``(`` is a call,
unless it is a keyword, a type with a length, or the column list of a WITH query or an alias.
Dollar-quoted strings are refused rather than lexed.
"""

from __future__ import annotations

import re

from ....domain.errors import QueryError


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ALLOWED_FUNCTIONS = _words("""
count sum avg min max total group_concat string_agg array_agg json_agg jsonb_agg json_object_agg
bool_and bool_or every stddev stddev_pop stddev_samp variance var_pop var_samp percentile_cont
percentile_disc mode corr covar_pop covar_samp regr_slope regr_intercept
abs round ceil ceiling floor trunc sign sqrt cbrt power pow exp ln log log10 log2 mod pi degrees
radians sin cos tan asin acos atan atan2 sinh cosh tanh greatest least div width_bucket random
coalesce nullif ifnull iif if
lower upper length char_length character_length octet_length bit_length substr substring trim
ltrim rtrim btrim replace instr strpos position concat concat_ws lpad rpad left right reverse
split_part format printf quote quote_ident quote_literal hex unhex unicode char chr ascii initcap
repeat translate regexp_replace regexp_match regexp_matches regexp_like regexp_split_to_array
starts_with like glob md5 to_hex overlay
date time datetime julianday strftime unixepoch timediff now date_trunc date_part extract
to_char to_date to_timestamp to_number age make_date make_time make_timestamp make_interval
justify_days justify_hours justify_interval isfinite timezone
json json_extract json_array_length json_object json_array json_type json_valid json_quote
json_group_array json_group_object json_build_object json_build_array jsonb_build_object
jsonb_build_array to_json to_jsonb json_typeof jsonb_typeof json_array_elements
jsonb_array_elements json_array_elements_text jsonb_array_elements_text json_each jsonb_each
json_each_text jsonb_each_text json_extract_path json_extract_path_text jsonb_extract_path
jsonb_extract_path_text jsonb_array_length json_object_keys jsonb_object_keys
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
typeof pg_typeof generate_series unnest array_length array_lower array_upper cardinality
array_to_string string_to_array array_position array_remove array_append array_cat
varchar char character numeric decimal timestamp timestamptz interval bit varbit float
""")
"""Functions (and types that take a length, ``varchar(10)``) a select_sql statement may use."""

_NOT_CALLS = _words("""
select from where and or not in exists any all some cast values over filter within group as on
using join case when then else end between like ilike is union intersect except having by limit
offset row array lateral distinct with recursive materialized into window partition order
""")
"""Keywords that may stand before ``(`` without calling anything."""

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<line_comment>--[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<estring>[eE]')
  | (?P<string>')
  | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<dollar>\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)
  | (?P<name>(?:[^\W\d]|_)[\w$]*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


def _skip_string(sql: str, position: int, backslash: bool) -> int:
    """The position after the string literal whose opening quote is just before ``position``."""
    while position < len(sql):
        char = sql[position]
        if backslash and char == "\\":
            position += 2
        elif char == "'":
            if sql.startswith("''", position):
                position += 2
            else:
                return position + 1
        else:
            position += 1
    raise QueryError("the SQL text has an unterminated string literal")


def _skip_comment(sql: str, position: int, nested: bool) -> int:
    """The position after the block comment whose ``/*`` ends just before ``position``."""
    depth = 1
    while depth:
        end = sql.find("*/", position)
        start = sql.find("/*", position) if nested else -1
        if end < 0:
            raise QueryError("the SQL text has an unterminated /* comment")
        if 0 <= start < end:
            depth, position = depth + 1, start + 2
        else:
            depth, position = depth - 1, end + 2
    return position


def tokens(sql: str, *, postgresql: bool) -> list[str]:
    """The statement's names (lower case; quoted ones unquoted) and punctuation, without strings and comments."""
    result: list[str] = []
    position = 0
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        assert match is not None  # the last alternative matches any character
        kind, position = match.lastgroup, match.end()
        if kind == "block_comment":
            position = _skip_comment(sql, position, nested=postgresql)
        elif kind == "estring" and postgresql:
            position = _skip_string(sql, position, backslash=True)
            result.append("'")
        elif kind in ("string", "estring"):
            if kind == "estring":
                result.append(match.group()[0].lower())
            position = _skip_string(sql, position, backslash=False)
            result.append("'")
        elif kind == "dollar":
            if postgresql:
                raise QueryError("select_sql does not take dollar-quoted strings ($$...$$); use '...' instead")
            result.append("$")
        elif kind == "quoted":
            text = match.group()
            result.append('"' + text[1:-1].replace(text[0] * 2, text[0]).lower())
        elif kind == "name":
            result.append(match.group().lower())
        elif kind == "other":
            result.append(match.group())
    return result


def check_calls(sql: str, *, postgresql: bool) -> None:
    """Raise QueryError naming the first function ``sql`` calls that is not in ALLOWED_FUNCTIONS."""
    found = tokens(sql, postgresql=postgresql)
    for index, token in enumerate(found):
        if index + 1 >= len(found) or found[index + 1] != "(" or not token or not (token[0].isalpha()
                                                                                  or token[0] in '_"'):
            continue
        quoted = token.startswith('"')
        name = token[1:] if quoted else token
        if not quoted and name in _NOT_CALLS:
            continue
        if index > 0 and found[index - 1] == "as":  # an alias with a column list: AS q(a, b)
            continue
        if _is_with_columns(found, index + 1):  # WITH x(a, b) AS (...)
            continue
        if name not in ALLOWED_FUNCTIONS:
            raise QueryError(f"select_sql may not call {name!r}: a SELECT may call only functions without side "
                             "effects (aggregates, arithmetic, text, date and JSON functions); "
                             "see ALLOWED_FUNCTIONS in databutler.adapters.sql.query.sql_calls")


def _is_with_columns(found: list[str], open_index: int) -> bool:
    """Whether the parenthesis at ``open_index`` closes before ``AS [NOT] [MATERIALIZED] (``, as a WITH query's."""
    depth = 0
    for index in range(open_index, len(found)):
        if found[index] == "(":
            depth += 1
        elif found[index] == ")":
            depth -= 1
            if depth == 0:
                rest = [t for t in found[index + 1:index + 5] if t not in ("not", "materialized")]
                return rest[:2] == ["as", "("]
    return False
