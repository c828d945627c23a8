"""Schema version 6: the ``meta`` counter ``chain_version``, incremented by every change of a chain."""

from alembic import op

from databutler.adapters.sql.collections import CHAIN_VERSION_KEY
from databutler.adapters.sql.migrations.steps import namespace, record_schema_version
from databutler.adapters.sql.schema import meta_table

revision = "6"
down_revision = "5"


def upgrade() -> None:
    """Start the counter (a registry of version 5 rereads its chains on every search instead)."""
    op.execute(meta_table(namespace()).insert().values(key=CHAIN_VERSION_KEY, value="0"))
    record_schema_version(revision)


def downgrade() -> None:
    """Drop the counter (older versions do not keep it up to date, so it must not outlive them)."""
    meta = meta_table(namespace())
    op.execute(meta.delete().where(meta.c.key == CHAIN_VERSION_KEY))
    record_schema_version(down_revision)
