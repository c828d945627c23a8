"""The Executor port: where quanta run (this process, a local process pool, a distributed engine)."""

from __future__ import annotations

import abc
import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


class Executor(abc.ABC):
    """Runs jobs (a picklable function and its argument) somewhere and hands back futures of their results.

    The pipeline service decides what a job is; an executor only ships it. ``in_process`` ones run
    jobs here, against the repository's own registry; the others run them in other processes or on
    other machines, which never open the central database.
    """

    @property
    @abc.abstractmethod
    def in_process(self) -> bool:
        """Jobs run in this process (so quanta may use the central registry directly)."""

    @property
    @abc.abstractmethod
    def workers(self) -> int:
        """How many jobs run at once."""

    @abc.abstractmethod
    def submit(self, function: Callable[[Job], Result], job: Job) -> concurrent.futures.Future[Result]:
        """Start ``function(job)``; its future fails if the job raises or its worker dies."""

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
