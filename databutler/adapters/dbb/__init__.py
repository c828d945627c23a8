"""Data Backbone (DBB) adapters: a Registry over DESDM's file catalog and a Datastore over its archives."""

from .factory import make_registry, settings_of
from .registry import DbbRegistry

__all__ = ["DbbRegistry", "make_registry", "settings_of"]
