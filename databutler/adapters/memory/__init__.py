"""The in-memory datastore: ephemeral, for tests and single-process pipelines."""

from .datastore import MemoryDatastore
from .factory import make_datastore

__all__ = ["MemoryDatastore", "make_datastore"]
