"""The object-store datastore: Datasets as objects on any fsspec filesystem (S3, GCS, memory, ...)."""

from .datastore import ObjectStoreDatastore
from .factory import make_datastore

__all__ = ["ObjectStoreDatastore", "make_datastore"]
