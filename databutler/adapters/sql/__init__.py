"""The SQL registry adapter (SQLAlchemy Core: SQLite now, PostgreSQL-portable)."""

from .factory import make_registry
from .registry import SqlRegistry
from .release import Release

__all__ = ["Release", "SqlRegistry", "make_registry"]
