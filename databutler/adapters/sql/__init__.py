"""The SQL registry adapter (SQLAlchemy Core: SQLite now, PostgreSQL-portable)."""

from .factory import make_registry, migrate_registry
from .migrations import migrate_database
from .registry import SqlRegistry
from .release import Release

__all__ = ["Release", "SqlRegistry", "make_registry", "migrate_database", "migrate_registry"]
