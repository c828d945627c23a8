"""``databutler verify --orphans``: list, and on request delete, files no dataset points at."""

from __future__ import annotations

import datetime
from typing import Any

import click
from rich.console import Console

from ..ports.datastore import ListedArtifact
from ..service.orphans import age_s
from .common import EXIT_ERROR, open_butler
from .output import emit

COLUMNS = ["uri", "size", "modified", "age_s"]


def check_orphans(repo: str, *, older_than: float, remove: bool, yes: bool, output_format: str) -> None:
    """Print the orphan files of ``repo`` older than ``older_than`` seconds; delete them if ``remove``.

    Exits 1 when orphans are found and left in place; 0 when there are none or they were deleted.
    """
    with open_butler(repo, writeable=remove) as butler:
        now = datetime.datetime.now(datetime.UTC)
        with Console(stderr=True).status("looking for orphan files"):
            found = butler.find_orphans(older_than_s=older_than)
        if not found:
            click.echo(f"no orphan files older than {older_than:g} s in {butler.datastore.root}")
            return
        emit(_rows(found, now), COLUMNS, output_format, exit_when_empty=False)
        total = sum(entry.size or 0 for entry in found)
        click.echo(f"{len(found)} orphan files ({total} bytes) that no dataset points at", err=True)
        if not remove:
            click.echo("delete them with --remove-orphans", err=True)
            raise SystemExit(EXIT_ERROR)
        if not yes:
            click.confirm(f"delete {len(found)} orphan files?", abort=True, err=True)
        removed = butler.remove_orphans(found)
    click.echo(f"removed {len(removed)} orphan files")
    kept = len(found) - len(removed)
    if kept:
        click.echo(f"kept {kept}: recorded by the registry or rewritten since the scan", err=True)


def _rows(found: list[ListedArtifact], now: datetime.datetime) -> list[dict[str, Any]]:
    rows = []
    for entry in found:
        age = age_s(entry, now)
        rows.append({"uri": entry.uri, "size": entry.size, "modified": entry.modified,
                     "age_s": None if age is None else round(age)})
    return rows
