"""Progress of long operations: a callback told how many items of how many are done.

``Butler.ingest``, ``verify``, ``remove``, ``remove_runs`` and ``uris`` take ``progress=``: any
callable ``progress(done, total)``. It is called once with ``done=0`` before work starts, then
after each batch, and last with ``done == total``. The command line passes a terminal bar only
when it writes to a terminal; Python callers pass what they like (a log line, a tqdm bar).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

Progress = Callable[[int, int], None]
"""``progress(done, total)``: ``done`` of ``total`` items are finished."""

BATCH = 500
"""Items handled per step of a long operation (one registry or datastore round trip each)."""


def counter(progress: Progress | None, total: int) -> Callable[[int], None]:
    """A function ``advance(n)`` that counts ``n`` more items done and tells ``progress`` (told 0 at once)."""
    done = 0
    if progress is not None:
        progress(0, total)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    return advance


def in_batches(items: Sequence[T], progress: Progress | None = None, size: int | None = None) -> Iterator[Sequence[T]]:
    """Yield ``items`` in slices of ``size`` (default BATCH), telling ``progress`` after each slice is done."""
    size = size or BATCH
    advance = counter(progress, len(items))
    for start in range(0, len(items), size):
        part = items[start:start + size]
        yield part
        advance(len(part))
