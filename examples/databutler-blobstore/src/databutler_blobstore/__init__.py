"""An example third-party databutler datastore: artifacts stored as BLOBs in one SQLite file."""

from .datastore import BlobDatastore, make_datastore

__all__ = ["BlobDatastore", "make_datastore"]
