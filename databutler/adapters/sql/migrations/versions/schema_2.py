"""Schema version 2: strings the domain does not bound become unbounded text (checksum was varchar(128))."""

import sqlalchemy as sa
from alembic import op

from databutler.adapters.sql.migrations.steps import dialect_name, namespace, record_schema_version

revision = "2"
down_revision = "1"

WIDENED = (
    ("dataset_type", "storage_class", 128),
    ("dataset_artifact", "component", 64),
    ("dataset_artifact", "formatter", 255),
    ("dataset_artifact", "storage_class", 128),
    ("dataset_artifact", "checksum", 128),
    ("quantum", "task", 255),
    ("quantum", "run", 255),
    ("quantum", "host", 255),
)
"""(table, column, version-1 length) of every column that version 2 makes TEXT."""


def upgrade() -> None:
    """ALTER the columns to TEXT on PostgreSQL; SQLite never enforced their lengths, so its tables stay."""
    # SQLite stores any length in a VARCHAR(n) column (the type is advisory), and rewriting its
    # tables (Alembic's batch mode copies each one) would have to drop the views and foreign keys
    # that name them: the declared type is left as it is, the data already fits.
    if dialect_name() != "sqlite":
        for table, column, length in WIDENED:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length), schema=namespace())
    record_schema_version(revision)


def downgrade() -> None:
    """Not supported: narrowing the columns could cut values written since."""
    raise NotImplementedError("databutler does not downgrade a registry from schema version 2")
