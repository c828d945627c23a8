"""The layered (chained) datastore: writes to the first accepting child, reads dispatched by URI prefix."""

from .datastore import ChainedDatastore, Child
from .factory import child_sections, make_datastore

__all__ = ["ChainedDatastore", "Child", "child_sections", "make_datastore"]
