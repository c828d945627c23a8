"""What every part of the DBB registry shares: the tables, the ID sequences, and who is writing."""

from __future__ import annotations

import datetime
import getpass
from collections.abc import Mapping

import attrs
import sqlalchemy as sa

from .mapping import MetadataTable
from .tables import Desdm, SideTables, upper

MODULE = "databutler"
"""DESFILE.MODULE_CREATED_BY and TASK names of what databutler writes."""


@attrs.define
class Catalog:
    """The DESDM tables, the side tables, the site's metadata tables, and the writer's identity."""

    desdm: Desdm
    side: SideTables
    metadata_tables: dict[str, MetadataTable]
    namespace: str | None
    reqnum: int
    """PFW_ATTEMPT.REQNUM of the RUNs databutler registers."""
    delivered_run: str
    """The RUN holding files registered outside any processing attempt (DESFILE.PFW_ATTEMPT_ID null)."""
    archive: str | None
    """The archive (OPS_ARCHIVE.NAME) relative artifact URIs are in, for FILE_ARCHIVE_INFO; None: not recorded."""
    user: str = attrs.field(factory=getpass.getuser)

    def next_id(self, connection: sa.Connection, sequence: str, table: sa.Table) -> int:
        """The next ID of ``table`` from DESDM's ``sequence`` (PostgreSQL), or max(ID) + 1 in a SQLite write."""
        if connection.dialect.name == "postgresql":
            qualified = f"{self.namespace}.{sequence}" if self.namespace else sequence
            next_value = sa.func.nextval(sa.literal(qualified, sa.Text))
            return int(connection.execute(sa.select(next_value)).scalar_one())
        highest = connection.execute(sa.select(sa.func.max(table.c.ID))).scalar()
        return int(highest or 0) + 1

    def next_ids(self, connection: sa.Connection, sequence: str, table: sa.Table, count: int) -> list[int]:
        """``count`` new IDs of ``table`` (one round trip on PostgreSQL)."""
        if count == 0:
            return []
        if connection.dialect.name == "postgresql":
            qualified = f"{self.namespace}.{sequence}" if self.namespace else sequence
            query = sa.select(sa.func.nextval(sa.literal(qualified, sa.Text))).select_from(
                sa.func.generate_series(1, count))
            return [int(v) for v in connection.execute(query).scalars()]
        first = self.next_id(connection, sequence, table)
        return list(range(first, first + count))

    def new_task(self, connection: sa.Connection, name: str, *, parent: int | None, root: int | None,
                 label: str | None = None, start: datetime.datetime | None = None,
                 end: datetime.datetime | None = None, status: int | None = 0, host: str | None = None,
                 stamp: bool = True) -> int:
        """Insert a TASK row (its own root when ``root`` is None; started now if ``stamp`` and no ``start``)."""
        task = self.desdm.task
        task_id = self.next_id(connection, "TASK_SEQ", task)
        connection.execute(task.insert().values(
            ID=task_id, NAME=name, LABEL=label, START_TIME=start if start is not None or not stamp else _now(),
            END_TIME=end, STATUS=status,
            EXEC_HOST=host, PARENT_TASK_ID=parent, ROOT_TASK_ID=task_id if root is None else root))
        return task_id

    def metadata_table(self, name: str) -> MetadataTable:
        """The metadata table ``name`` (any case)."""
        return self.metadata_tables[name.upper()]

    def table_names(self) -> Mapping[str, str]:
        """Upper-case metadata table name -> the name as known."""
        return {name: name for name in self.metadata_tables}


def attempt_name(unitname: str, reqnum: int, attnum: int) -> str:
    """The collection name of a processing attempt production made: DESDM's ``<unit>_r<req>p<att>``."""
    return f"{unitname}_r{reqnum}p{attnum:02d}"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


now = _now
__all__ = ["MODULE", "Catalog", "attempt_name", "now", "upper"]
