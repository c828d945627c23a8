"""Progress bars of long commands: counts and rate on a terminal, nothing at all on a pipe or file."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..service.progress import Progress as ProgressCallback


class RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        """The current rate, e.g. ``1,234/s``."""
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


def on_terminal() -> bool:
    """Whether progress may be drawn: stderr is a terminal (not a pipe, a file or a CI log)."""
    return sys.stderr.isatty()


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback | None]:
    """A ``progress(done, total)`` callback drawing a bar on stderr, or None when stderr is no terminal."""
    if not on_terminal():
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report


QuantumListener = Callable[[str, str], None]
"""Called with (task label, "done" | "failed" | "skipped" | "existing") as each quantum ends."""


class OutcomesColumn(ProgressColumn):
    """The quanta of one task that succeeded, failed and were skipped (and were done before)."""

    def render(self, task: Task) -> Text:
        """e.g. ``done 12  failed 1  skipped 3``, in green, red and yellow."""
        fields = task.fields
        text = Text()
        text.append(f"done {fields.get('done', 0)}", style="green")
        text.append(f"  failed {fields.get('failed', 0)}", style="red" if fields.get("failed") else "dim")
        text.append(f"  skipped {fields.get('skipped', 0)}", style="yellow" if fields.get("skipped") else "dim")
        if fields.get("existing"):
            text.append(f"  existing {fields['existing']}", style="dim")
        return text


@contextmanager
def task_progress(totals: Mapping[str, int]) -> Iterator[QuantumListener | None]:
    """One bar per task label (quanta planned: ``totals``) on stderr, or None when stderr is no terminal."""
    if not on_terminal() or not totals:
        yield None
        return
    width = max(len(label) for label in totals)
    columns = (TextColumn(f"{{task.description:<{width}}}"), BarColumn(), MofNCompleteColumn(), OutcomesColumn(),
               RateColumn(), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        rows = {label: bar.add_task(label, total=total, done=0, failed=0, skipped=0, existing=0)
                for label, total in totals.items()}
        counts = {label: dict.fromkeys(("done", "failed", "skipped", "existing"), 0) for label in totals}

        def report(label: str, what: str) -> None:
            if label not in rows:
                return
            counts[label][what] = counts[label].get(what, 0) + 1
            seen = counts[label]
            bar.update(rows[label], advance=1, done=seen["done"], failed=seen["failed"], skipped=seen["skipped"],
                       existing=seen["existing"])

        yield report
