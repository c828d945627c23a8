"""Schema version 5: ``region`` fields hold the reference's encoded region bytes (they were opaque text).

Each region column of the registry's universe becomes binary. A value that is the hex of a valid
encoded sphgeom region (what the reference's export files carry) is kept as its bytes; any other
text cannot be a region and becomes NULL, its text kept in ``legacy_region_text`` (element, the
record's key as JSON, field, text) so that nothing is lost. The skypix index and overlap
tables are not made: a universe stored before version 5 has no ``topology`` section, so its
registry has no spatial index to fill.
"""

import json
import logging

import sqlalchemy as sa
from alembic import op

from databutler.adapters.sql.migrations.steps import dialect_name, namespace, record_schema_version, universe
from databutler.domain.errors import DataIdError
from databutler.domain.region import decode_region
from databutler.domain.values import FieldType

revision = "5"
down_revision = "4"

_log = logging.getLogger(__name__)
LEGACY_TABLE = "legacy_region_text"


def _as_region_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes):
        text = value.decode("ascii", errors="replace")
    elif isinstance(value, str):
        text = value
    else:
        return None
    try:
        raw = bytes.fromhex(text)
        decode_region(raw, "stored region")
    except (ValueError, DataIdError):
        return None
    return raw


def upgrade() -> None:
    """Convert every region column: read its text, make it binary, write back the bytes of valid regions."""
    stored = universe()
    bind = op.get_bind()
    legacy: list[dict[str, str]] = []
    for element in stored.elements:
        regions = [f.name for f in element.metadata if f.type is FieldType.REGION]
        if not regions:
            continue
        keys = list(stored.key_fields(element.name))
        table = sa.table(element.name, *(sa.column(k) for k in keys), *(sa.column(r) for r in regions),
                         schema=namespace())
        rows = bind.execute(sa.select(*(table.c[k] for k in keys), *(table.c[r] for r in regions))).all()
        if dialect_name() != "sqlite":  # SQLite keeps bytes as BLOBs in a TEXT column: no rewrite of the table
            for name in regions:
                op.alter_column(element.name, name, type_=sa.LargeBinary(), existing_type=sa.Text(),
                                postgresql_using="NULL", schema=namespace())
        lost = 0
        for row in rows:
            values = {}
            for offset, name in enumerate(regions):
                old = row[len(keys) + offset]
                values[name] = _as_region_bytes(old)
                if old is not None and values[name] is None:
                    lost += 1
                    text = old.decode("utf-8", errors="replace") if isinstance(old, bytes) else str(old)
                    legacy.append({"element": element.name, "record_key": json.dumps(list(row[:len(keys)])),
                                   "field": name, "text": text})
            match = sa.and_(*(table.c[k] == row[i] for i, k in enumerate(keys)))
            bind.execute(table.update().where(match).values(
                **{n: sa.literal(v, sa.LargeBinary()) for n, v in values.items()}))
        if lost:
            _log.warning("%s: %d region values were not encoded sphgeom regions: set to NULL, their text kept in %s",
                         element.name, lost, LEGACY_TABLE)
    if legacy:
        table = op.create_table(LEGACY_TABLE, sa.Column("element", sa.Text, nullable=False),
                                sa.Column("record_key", sa.Text, nullable=False),
                                sa.Column("field", sa.Text, nullable=False), sa.Column("text", sa.Text, nullable=False),
                                schema=namespace())
        op.bulk_insert(table, legacy)
    record_schema_version(revision)


def downgrade() -> None:
    """Not supported: text columns could not hold what version 5 stores."""
    raise NotImplementedError("databutler does not downgrade a registry from schema version 5")
