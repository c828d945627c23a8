"""Schema version 3: an index on ``dataset_artifact.uri``, so a removal finds every dataset recording a file."""

from alembic import op

from databutler.adapters.sql.migrations.steps import namespace, record_schema_version

revision = "3"
down_revision = "2"


def upgrade() -> None:
    """Create the index (a hash index on PostgreSQL, whose B-tree keys are limited to about 2.7 kB)."""
    op.create_index("ix_dataset_artifact_uri", "dataset_artifact", ["uri"], schema=namespace(),
                    postgresql_using="hash")
    record_schema_version(revision)


def downgrade() -> None:
    """Drop the index (version 2 works without it, only removals are slower)."""
    op.drop_index("ix_dataset_artifact_uri", table_name="dataset_artifact", schema=namespace())
    record_schema_version(down_revision)
