"""Data Backbone (DBB) adapters: a Registry over DESDM's file catalog and a Datastore over its archives.

``DbbRegistry`` stores databutler's concepts in the DESDM tables (a dataset is a DESFILE row plus a
metadata row, a RUN a PFW_ATTEMPT, a TAGGED collection a PROCTAG tag, a Quantum a TASK with
OPM_USED rows) and what DESDM has no place for in ``DBB_`` side tables (see ``tables``).
``DbbDatastore`` keeps artifacts in an archive named in OPS_ARCHIVE and ingests through the DESDM
gateway's rules (see ``gateway``).
"""

from .datastore import DbbDatastore
from .datastore_factory import make_dbb_datastore as make_datastore
from .factory import make_registry, settings_of
from .registry import DbbRegistry

__all__ = ["DbbDatastore", "DbbRegistry", "make_datastore", "make_registry", "settings_of"]
