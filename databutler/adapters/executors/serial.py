"""The serial executor: every job runs in this process, in order, when submitted."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import TypeVar

from ...ports.executor import Executor

Job = TypeVar("Job")
Result = TypeVar("Result")


class SerialExecutor(Executor):
    """Runs each job at once, here; quanta use the repository's own registry."""

    @property
    def in_process(self) -> bool:
        """Always: jobs run in this process."""
        return True

    @property
    def workers(self) -> int:
        """One."""
        return 1

    def submit(self, function: Callable[[Job], Result], job: Job) -> concurrent.futures.Future[Result]:
        """Run ``function(job)`` now; the returned future is already done."""
        future: concurrent.futures.Future[Result] = concurrent.futures.Future()
        try:
            future.set_result(function(job))
        except Exception as err:
            future.set_exception(err)
        return future
