"""Executors: in this process, on a local process pool, on a Dask cluster."""

from .pool import ProcessPoolExecutorAdapter
from .serial import SerialExecutor

__all__ = ["ProcessPoolExecutorAdapter", "SerialExecutor"]
