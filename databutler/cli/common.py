"""What every command shares: exit codes, error handling, opening a repo, parsing KEY=VALUE."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from .. import Butler, DataButlerError
from ..domain.universe import Universe
from ..domain.values import FieldType
from .remedies import cli_message

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
"""click's own code for bad options and arguments."""
EXIT_NO_RESULTS = 3
"""A query ran and found nothing (scripts can tell that apart from a failure)."""


def handle_errors(func: F) -> F:
    """Report databutler errors as one line on stderr and exit 1, never with a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataButlerError as err:
            context = click.get_current_context(silent=True)
            repo = context.params.get("repo") if context is not None else None
            click.secho(f"error: {type(err).__name__}: {cli_message(err, repo if isinstance(repo, str) else None)}",
                        fg="red", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def open_butler(repo: str, *, writeable: bool = False, run: str | None = None,
                collections: Iterable[str] = ()) -> Butler:
    """Open the repository at ``repo`` (read-only unless the command writes)."""
    return Butler(repo, writeable=writeable, run=run, collections=list(collections) or None)


def parse_value(text: str) -> Any:
    """A command-line value: an int or float when it reads as one, else the string itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def parse_pairs(items: Iterable[str], what: str) -> dict[str, Any]:
    """``["a=1,b=x", "c=2"]`` -> ``{"a": 1, "b": "x", "c": 2}``; a malformed item is a usage error."""
    pairs: dict[str, Any] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                raise click.BadParameter(f"expected NAME=VALUE, got {part!r}", param_hint=what)
            pairs[name.strip()] = parse_value(value.strip())
    return pairs


def parse_binds(items: Iterable[str]) -> dict[str, Any]:
    """Bind values; ``name=1|2|3`` is a list (for ``IN (:name)``)."""
    binds: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--bind")
        binds[name.strip()] = ([parse_value(v) for v in value.split("|")] if "|" in value
                               else parse_value(value))
    return binds


def where_options(func: F) -> F:
    """The options every query command takes: --where, --bind, --data-id, --order-by, --limit."""
    options = [
        click.option("--where", "-w", default="",
                     help="A where expression, e.g. \"visit > 2 AND detector IN (1..4)\"."),
        click.option("--bind", "-b", "binds", multiple=True, metavar="NAME=VALUE",
                     help="Value of :NAME in --where (repeatable; a|b|c is a list)."),
        click.option("--data-id", "-d", "data_id", multiple=True, metavar="UNIT=VALUE[,...]",
                     help="Constrain DataUnit values, e.g. instrument=Cam1,visit=3."),
        click.option("--order-by", "-o", "order_by", multiple=True, metavar="FIELD",
                     help="Sort by a field; prefix - for descending (repeatable)."),
        click.option("--limit", "-n", type=click.IntRange(min=0), default=None, help="At most this many rows."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def regions_from_text(universe: Universe, element: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Region fields given as text in a table: the hex of the encoding (as export files carry it) becomes bytes.

    Text that is not hex is passed on as it is, for the registry to refuse naming the field.
    """
    if element not in universe:
        return records
    names = [f.name for f in universe.record_fields(element) if f.type is FieldType.REGION]
    if not names:
        return records
    converted = []
    for given in records:
        record = dict(given)
        for name in names:
            value = record.get(name)
            if isinstance(value, int):  # all-digit hex reads as a number from CSV
                value = str(value)
            if isinstance(value, str):
                with contextlib.suppress(ValueError):  # not hex: the registry refuses it by name
                    record[name] = bytes.fromhex(value) if value else None
        converted.append(record)
    return converted
