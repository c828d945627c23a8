"""The limited registry (no SQL server): journals on any fsspec URL, for batch worker nodes."""

from .factory import make_registry
from .registry import LimitedRegistry

__all__ = ["LimitedRegistry", "make_registry"]
