"""The SQL registry adapter (SQLAlchemy Core: SQLite now, PostgreSQL-portable)."""

from .factory import make_registry
from .registry import SqlRegistry

__all__ = ["SqlRegistry", "make_registry"]
