"""Schema version 7: an index on ``dataset`` for each combination of DataUnits a dataset type uses.

See ``databutler.adapters.sql.unit_indexes``: a query naming a visit and a few detectors reads those
datasets, not every dataset of the visit. Each registered dataset type's combination is indexed here
(the index of its first unit alone is dropped: the combination's serves it); types registered later
get theirs when they are registered.
"""

from alembic import op

from databutler.adapters.sql.migrations.steps import namespace, personal, record_schema_version, universe
from databutler.adapters.sql.schema import build_schema
from databutler.adapters.sql.unit_indexes import create_unit_indexes, drop_combination_indexes

revision = "7"
down_revision = "6"


def upgrade() -> None:
    """Index the unit combination of every registered dataset type."""
    stored = universe()
    create_unit_indexes(op.get_bind(), stored, build_schema(stored, namespace(), personal=personal()))
    record_schema_version(revision)


def downgrade() -> None:
    """Drop the combination indexes, making again the single-unit ones they replaced (version 6 has only those)."""
    stored = universe()
    drop_combination_indexes(op.get_bind(), stored, build_schema(stored, namespace(), personal=personal()))
    record_schema_version(down_revision)
