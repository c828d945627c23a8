"""What migration scripts share: where the registry's tables are, what it holds, and recording the new version.

A script that changes the DataUnit tables reads the registry's own universe with ``universe()``
(those tables are generated from it), and one that changes foreign keys asks ``personal()``
(a personal registry layered over a release has none that could cross into the release).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from ....domain.universe import Universe
from ..release import LAYERED_KEY
from ..schema import meta_table


def namespace() -> str | None:
    """The PostgreSQL schema of the registry being migrated (None: the default schema, or SQLite)."""
    schema: str | None = op.get_context().version_table_schema
    return schema


def dialect_name() -> str:
    """The database being migrated: ``sqlite`` or ``postgresql``."""
    return op.get_context().dialect.name


def _meta_value(key: str) -> str | None:
    meta = meta_table(namespace())
    value: str | None = op.get_bind().execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()
    return value


def universe() -> Universe:
    """The universe stored in the registry being migrated."""
    return Universe.from_mapping(json.loads(_meta_value("universe") or "{}"))


def personal() -> bool:
    """Whether the registry being migrated is a personal registry layered over a release."""
    return _meta_value(LAYERED_KEY) is not None


def record_schema_version(version: str) -> None:
    """Write ``version`` as the registry's schema version in ``meta`` (in the migration's transaction)."""
    meta = meta_table(namespace())
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value=version))
