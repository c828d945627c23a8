"""What migration scripts share: where the registry's tables are, and recording the new schema version."""

from __future__ import annotations

from alembic import op

from ..schema import meta_table


def namespace() -> str | None:
    """The PostgreSQL schema of the registry being migrated (None: the default schema, or SQLite)."""
    schema: str | None = op.get_context().version_table_schema
    return schema


def dialect_name() -> str:
    """The database being migrated: ``sqlite`` or ``postgresql``."""
    return op.get_context().dialect.name


def record_schema_version(version: str) -> None:
    """Write ``version`` as the registry's schema version in ``meta`` (in the migration's transaction)."""
    meta = meta_table(namespace())
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))
