"""The caching proxy datastore: local copies of a remote datastore's artifacts, keyed by URI."""

from .datastore import CachingDatastore
from .factory import make_datastore
from .store import LocalCache

__all__ = ["CachingDatastore", "LocalCache", "make_datastore"]
