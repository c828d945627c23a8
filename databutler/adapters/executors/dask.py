"""The Dask executor: jobs run on the workers of a ``distributed`` cluster (a scheduler address or a local one)."""

from __future__ import annotations

import concurrent.futures
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from ...domain.errors import ConfigError
from ...ports.executor import Executor

Job = TypeVar("Job")
Result = TypeVar("Result")


class DaskExecutor(Executor):
    """Jobs on a Dask cluster: ``address`` of a running scheduler, or a LocalCluster of ``workers`` processes.

    A local cluster listens on 127.0.0.1 only and is closed with the executor.
    """

    def __init__(self, address: str | None = None, *, workers: int | None = None) -> None:
        try:
            distributed: Any = importlib.import_module("distributed")  # untyped; optional extra
        except ImportError:
            raise ConfigError("the Dask executor needs the 'distributed' package: "
                              "pip install 'databutler[dask]'") from None
        self._cluster: Any = None
        self._client: Any
        try:
            if address:
                self._client = distributed.Client(address, timeout="30s")
            else:
                self._cluster = distributed.LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                                                         processes=True, host="127.0.0.1",
                                                         dashboard_address=None)
                self._client = distributed.Client(self._cluster)
        except OSError as err:
            if self._cluster is not None:
                self._cluster.close()
            raise ConfigError(f"cannot reach the Dask scheduler at {address!r}: {err}") from None
        info = self._client.scheduler_info()
        self._workers: int = max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

    @property
    def in_process(self) -> bool:
        """Never: jobs run on the cluster's workers."""
        return False

    @property
    def workers(self) -> int:
        """Worker threads of the cluster when it was joined."""
        return self._workers

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return str(self._client.scheduler.address)

    def submit(self, function: Callable[[Job], Result], job: Job) -> concurrent.futures.Future[Result]:
        """Send ``function(job)`` to the cluster; the future fails if the job raises or its worker is lost."""
        result: concurrent.futures.Future[Result] = concurrent.futures.Future()
        remote = self._client.submit(function, job, pure=False)

        def done(finished: Any) -> None:
            try:
                result.set_result(finished.result())
            except BaseException as err:
                result.set_exception(err)

        remote.add_done_callback(done)
        return result

    def close(self) -> None:
        """Leave the cluster (and stop it, if this executor started it)."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
