"""Schema version 8: the ``chain_search`` table, each chain's search flattened (see ``chain_search``).

Filled here for every chain of a registry; a personal registry layered over a release keeps none.
"""

from alembic import op

from databutler.adapters.sql import chain_search
from databutler.adapters.sql.migrations.steps import namespace, personal, record_schema_version, universe
from databutler.adapters.sql.schema import build_schema

revision = "8"
down_revision = "7"


def upgrade() -> None:
    """Make the table and fill it from the chains."""
    schema = build_schema(universe(), namespace(), personal=personal())
    schema.chain_search.create(op.get_bind())
    if not personal():
        chain_search.refresh_all(op.get_bind(), schema)
    record_schema_version(revision)


def downgrade() -> None:
    """Drop the table (version 7 names each chain's runs in its statements)."""
    build_schema(universe(), namespace(), personal=personal()).chain_search.drop(op.get_bind())
    record_schema_version(down_revision)
