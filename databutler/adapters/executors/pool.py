"""The local process pool: jobs run in N worker processes of this machine."""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

from ...domain.errors import ConfigError
from ...ports.executor import Executor

Job = TypeVar("Job")
Result = TypeVar("Result")


class ProcessPoolExecutorAdapter(Executor):
    """Jobs on a pool of ``workers`` processes (started with ``start_method``: forkserver, spawn or fork).

    ``preload`` names modules the fork server imports once, so that workers forked from it need not.
    """

    def __init__(self, workers: int | None = None, *, start_method: str = "forkserver",
                 preload: Sequence[str] = ()) -> None:
        count = workers if workers is not None else (os.cpu_count() or 1)
        if not isinstance(count, int) or count < 1:
            raise ConfigError(f"a process pool needs at least one worker, not {workers!r}")
        if start_method not in multiprocessing.get_all_start_methods():
            raise ConfigError(f"start method {start_method!r} is not available here; choose one of "
                              f"{multiprocessing.get_all_start_methods()}")
        self._workers = count
        self._context = multiprocessing.get_context(start_method)
        if preload and start_method == "forkserver":
            # Imported once in the fork server: each worker forked from it starts with them loaded.
            self._context.set_forkserver_preload(list(preload))
        self._pool = concurrent.futures.ProcessPoolExecutor(count, mp_context=self._context)

    @property
    def in_process(self) -> bool:
        """Never: jobs run in the worker processes."""
        return False

    @property
    def workers(self) -> int:
        """The number of worker processes."""
        return self._workers

    def submit(self, function: Callable[[Job], Result], job: Job) -> concurrent.futures.Future[Result]:
        """Queue ``function(job)`` on the pool.

        A worker that dies (killed, out of memory) fails the futures in flight with BrokenProcessPool;
        the next submission starts a new pool, so the jobs after it still run.
        """
        try:
            return self._pool.submit(function, job)
        except concurrent.futures.process.BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = concurrent.futures.ProcessPoolExecutor(self._workers, mp_context=self._context)
            return self._pool.submit(function, job)

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)
