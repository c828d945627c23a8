"""The POSIX datastore: Datasets as files under a local directory."""

from .datastore import PosixDatastore
from .factory import make_datastore

__all__ = ["PosixDatastore", "make_datastore"]
