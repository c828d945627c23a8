"""Choosing where quanta run: this process, a local process pool, or a Dask cluster."""

from __future__ import annotations

import importlib.util

from ..adapters.executors import ProcessPoolExecutorAdapter, SerialExecutor
from ..domain.errors import ConfigError
from ..ports.executor import Executor

LOCAL_DASK = "local"
"""The Dask "address" that starts a LocalCluster on 127.0.0.1 instead of joining a scheduler."""
DEFAULT_DASK_WORKERS = 2
WORKER_MODULES = ("databutler", "databutler.config.container", "databutler.service.pipeline.worker")
"""What every pipeline worker imports: loaded once in the process pool's fork server."""


def make_executor(jobs: int | None = None, dask: str | None = None) -> Executor:
    """The executor for ``jobs`` processes (None or 1: this process) or the Dask scheduler at ``dask``.

    ``dask="local"`` starts a LocalCluster of ``jobs`` workers (2 by default) listening on
    127.0.0.1 only; any other value is a scheduler address (``tcp://host:8786``), whose cluster
    has its own workers, so ``jobs`` does not go with it.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(f"the number of parallel jobs must be a positive integer, not {jobs!r}")
    if dask is None:
        if jobs is None or jobs == 1:
            return SerialExecutor()
        return ProcessPoolExecutorAdapter(jobs, preload=WORKER_MODULES)
    address = dask.strip()
    if not address:
        raise ConfigError(f"a Dask scheduler address looks like 'tcp://host:8786' (or {LOCAL_DASK!r} for a "
                          "cluster on this machine), not an empty string")
    if address != LOCAL_DASK and jobs is not None:
        raise ConfigError(f"the Dask cluster at {address!r} has its own workers; the number of jobs ({jobs}) "
                          f"sets the size of a local cluster only (Dask address {LOCAL_DASK!r})")
    if importlib.util.find_spec("distributed") is None:
        raise ConfigError("running on Dask needs the 'distributed' package: pip install 'databutler[dask]'")
    from ..adapters.executors.dask import DaskExecutor  # late: only a Dask run needs it

    if address == LOCAL_DASK:
        return DaskExecutor(workers=jobs or DEFAULT_DASK_WORKERS)
    return DaskExecutor(address)
