"""Schema version 4: CALIBRATION collections (``dataset_type.is_calibration`` and the ``dataset_calib`` table)."""

import sqlalchemy as sa
from alembic import op

from databutler.adapters.sql.calibration_schema import EXCLUSION_NAME, add_exclusion
from databutler.adapters.sql.migrations.steps import dialect_name, namespace, personal, record_schema_version

revision = "4"
down_revision = "3"


def upgrade() -> None:
    """Add the flag (False for every existing type) and the certifications table, with PostgreSQL's exclusion."""
    schema = namespace()
    op.add_column("dataset_type", sa.Column("is_calibration", sa.Boolean(), nullable=False,
                                            server_default=sa.false()), schema=schema)
    key = sa.String().with_variant(sa.String(collation="C"), "postgresql")
    dataset_link = () if personal() else (
        sa.ForeignKeyConstraint(["dataset_id"], [f"{schema}.dataset.id" if schema else "dataset.id"],
                                ondelete="CASCADE"),)
    op.create_table(
        "dataset_calib",
        sa.Column("collection_id", sa.Integer(), primary_key=True),
        sa.Column("dataset_type_id", sa.Integer(), primary_key=True),
        sa.Column("data_id_key", key, primary_key=True),
        sa.Column("validity_begin", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("validity_end", sa.BigInteger(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], [f"{schema}.collection.id" if schema else "collection.id"],
                                ondelete="CASCADE"),
        *dataset_link,
        sa.CheckConstraint("validity_begin < validity_end", name="ck_dataset_calib_range"),
        schema=schema)
    op.create_index("ix_dataset_calib_dataset_id", "dataset_calib", ["dataset_id"], schema=schema)
    if dialect_name() == "postgresql":
        preparer = op.get_bind().dialect.identifier_preparer
        qualified = (f"{preparer.quote_schema(schema)}." if schema else "") + preparer.quote("dataset_calib")
        add_exclusion(op.get_bind(), qualified)
    record_schema_version(revision)


def downgrade() -> None:
    """Drop the certifications and the flag (version 3 has no CALIBRATION collections: remove those first)."""
    schema = namespace()
    if dialect_name() == "postgresql":
        preparer = op.get_bind().dialect.identifier_preparer
        qualified = (f"{preparer.quote_schema(schema)}." if schema else "") + preparer.quote("dataset_calib")
        op.execute(f"ALTER TABLE {qualified} DROP CONSTRAINT IF EXISTS {EXCLUSION_NAME}")
    op.drop_index("ix_dataset_calib_dataset_id", table_name="dataset_calib", schema=schema)
    op.drop_table("dataset_calib", schema=schema)
    with op.batch_alter_table("dataset_type", schema=schema) as batch:
        batch.drop_column("is_calibration")
    record_schema_version(down_revision)
