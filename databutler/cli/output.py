"""Printing rows: rich tables for people, JSON and CSV for scripts."""

from __future__ import annotations

import csv
import datetime
import json
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..domain.region import Region, encode_region
from ..domain.values import Timespan
from .common import EXIT_NO_RESULTS

FORMATS = ("table", "json", "csv")


def format_option(func: Any) -> Any:
    """The --format option of every command that prints rows."""
    return click.option("--format", "-f", "output_format", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="table for people; json (one array) or csv for scripts.")(func)


def plain(value: Any) -> Any:
    """A JSON-friendly form of a cell value."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Timespan):
        return [plain(value.begin), plain(value.end)]
    if isinstance(value, Region):  # the hex of its encoding, as the reference's export files carry it
        return encode_region(value).hex()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, Timespan):  # half-open, as the where language writes it
        return f"[{_text(value.begin)}, {_text(value.end)})"
    if isinstance(value, Region):
        return f"{type(value).__name__} {encode_region(value).hex()[:16]}..."
    value = plain(value)
    return "" if value is None else str(value)


def emit(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], output_format: str, *,
         title: str | None = None, exit_when_empty: bool = True) -> int:
    """Print ``rows``; return how many; exit with EXIT_NO_RESULTS when there were none."""
    count = 0
    if output_format == "json":
        out = sys.stdout
        out.write("[")
        for row in rows:
            out.write(("," if count else "") + "\n  " + json.dumps({c: plain(row.get(c)) for c in columns}))
            count += 1
        out.write("\n]\n" if count else "]\n")
    elif output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in columns])
            count += 1
    else:
        table = Table(*columns, title=title, show_lines=False)
        for row in rows:
            table.add_row(*(_text(row.get(c)) for c in columns))
            count += 1
        # Piped output is not cut to 80 columns: the table is as wide as its content.
        console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 100_000)
        if count:
            console.print(table)
        else:
            click.echo("no results", err=True)
    sys.stdout.flush()
    if count == 0 and exit_when_empty:
        sys.exit(EXIT_NO_RESULTS)
    return count
