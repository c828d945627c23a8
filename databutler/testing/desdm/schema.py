"""The DESDM file catalog and provenance tables, written by databutler from the issue #10 column lists.

This is test support for the Data Backbone (DBB) adapters: a database shaped like the one the
Dark Energy Survey data-management system (DESDM) keeps, so the adapters are tested against
tables databutler did not design. Names, keys and constraints follow DESDM's published code
(FileMgmt, ProcessingFW, despydmdb, dtsfilereceiver); nothing here is copied from it.

Identifiers are upper case as in DESDM's Oracle database and *unquoted* (``quoted_name(..., False)``):
on Oracle an unquoted name folds to upper case, on PostgreSQL to lower case, on SQLite case does not
matter, so SQL written the DESDM way (``select filename from desfile``) works everywhere, and the
PostgreSQL catalog shows the names in lower case (``desfile``). Compare names case-insensitively.

Keys beyond the column lists, and why:

- ``DESFILE``: ``(FILENAME, COMPRESSION)`` is declared unique, and a unique index on
  ``(FILENAME, COALESCE(COMPRESSION, ''))`` enforces it the way Oracle does, where two rows with the
  same FILENAME and a null COMPRESSION are duplicates (SQL's NULLs would otherwise be distinct).
  IDs come from the sequence ``DESFILE_SEQ`` (``TASK_SEQ``, ``PFW_ATTEMPT_SEQ`` likewise), which the
  writer calls itself, as DESDM does: no server-side default. SQLite has no sequences: a writer
  there takes ``max(ID) + 1`` (the filler sets the PostgreSQL sequences past the IDs it used).
- ``PROCTAG``: the key is ``(TAG, PFW_ATTEMPT_ID)``; DESDM tags one attempt into several tags
  (e.g. a campaign tag and a test subset), so PFW_ATTEMPT_ID alone cannot be the key.
- ``OPS_FILETYPE_METADATA``: key ``(FILETYPE, FILE_HEADER_NAME)``; ``OPM_USED`` and
  ``OPM_WAS_DERIVED_FROM``: the pair is the key, so provenance inserts can be made idempotent.
- ``DTS_BAD_FILE`` is the ingest gateway's bad-file table (DESDM's data-transfer receiver): the
  rejected file's original name, a unique name in the bad-file area (the key), the reason and
  dates, and the metadata columns known at rejection.
- Foreign keys: DESFILE -> TASK (WGB_TASK_ID), PFW_ATTEMPT, OPS_FILETYPE; FILE_ARCHIVE_INFO ->
  DESFILE, OPS_ARCHIVE; PFW_ATTEMPT, OPM_USED, DTS_BAD_FILE -> TASK; TASK -> TASK (parent, root);
  PROCTAG -> PFW_ATTEMPT (ID); metadata tables -> OPS_FILETYPE, PFW_ATTEMPT; OPM_* -> DESFILE.
  SQLite enforces them only with ``PRAGMA foreign_keys=ON`` (the filler turns it on).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import quoted_name

ISSUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "DESFILE": ("ID", "PFW_ATTEMPT_ID", "WGB_TASK_ID", "FILETYPE", "FILENAME", "COMPRESSION", "FILESIZE", "MD5SUM",
                "USER_CREATED_BY", "MODULE_CREATED_BY", "CREATED_DATE"),
    "FILE_ARCHIVE_INFO": ("FILENAME", "ARCHIVE_NAME", "PATH", "COMPRESSION", "DESFILE_ID"),
    "OPS_ARCHIVE": ("NAME", "SITE", "ROOT", "FILEMGMT", "FILEUTILS"),
    "OPS_FILETYPE": ("FILETYPE", "METADATA_TABLE", "DESCRIPTION", "FILETYPE_MGMT"),
    "OPS_FILETYPE_METADATA": ("FILETYPE", "FILE_HEADER_NAME", "STATUS", "FILE_HDU", "DERIVED"),
    "MISCFILE": ("FILENAME", "FILETYPE", "PFW_ATTEMPT_ID", "CAMSYM", "BAND", "EXPNUM", "CCDNUM", "NITE", "FIELD",
                 "TILENAME"),
    "PFW_ATTEMPT": ("REQNUM", "UNITNAME", "ATTNUM", "TASK_ID", "ID", "DATA_STATE", "ARCHIVE_PATH"),
    "PROCTAG": ("TAG", "PFW_ATTEMPT_ID", "CREATED_DATE", "CREATED_BY"),
    "TASK": ("ID", "NAME", "LABEL", "START_TIME", "END_TIME", "STATUS", "EXEC_HOST", "PARENT_TASK_ID",
             "ROOT_TASK_ID"),
    "OPM_USED": ("TASK_ID", "DESFILE_ID"),
    "OPM_WAS_DERIVED_FROM": ("CHILD_DESFILE_ID", "PARENT_DESFILE_ID"),
}
"""The column lists quoted in issue #10, in its order."""

OPEN_ENDED = frozenset({"PFW_ATTEMPT", "TASK"})
"""Tables whose list in the issue ends with '...': they have more columns (those DESDM's code writes)."""

WRITER_TABLES = ("DESFILE", "FILE_ARCHIVE_INFO", "MISCFILE", "EXPOSURE", "OPM_USED", "OPM_WAS_DERIVED_FROM", "TASK",
                 "PFW_ATTEMPT", "PROCTAG", "DTS_BAD_FILE")
"""The tables a pipeline writer inserts into (everything else it only reads)."""

UPDATED_TABLES = ("TASK", "PFW_ATTEMPT")
"""Tables a pipeline writer also updates: a task's start/end/status/host, an attempt's archive path and end."""

SEQUENCES = ("DESFILE_SEQ", "TASK_SEQ", "PFW_ATTEMPT_SEQ")
"""The ID sequences, named as DESDM names them (``<table>_seq``)."""


def upper(name: str) -> quoted_name:
    """``name`` as an unquoted identifier: case-insensitive on every database, like DESDM's Oracle names."""
    return quoted_name(name, False)


def _column(name: str, kind: sa.types.TypeEngine[Any] | type[sa.types.TypeEngine[Any]], *args: Any,
            **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(upper(name), kind, *args, key=name, **kwargs)


def _fk(table: str, column: str, schema: str | None) -> sa.ForeignKey:
    prefix = f"{schema}." if schema else ""
    return sa.ForeignKey(f"{prefix}{table}.{column}")


def _metadata_table(metadata: sa.MetaData, name: str, schema: str | None, *extra: sa.Column[Any]) -> sa.Table:
    return sa.Table(upper(name), metadata,
                    _column("FILENAME", sa.Text, primary_key=True),
                    _column("FILETYPE", sa.Text, _fk("OPS_FILETYPE", "FILETYPE", schema), nullable=False),
                    _column("PFW_ATTEMPT_ID", sa.Integer, _fk("PFW_ATTEMPT", "ID", schema)),
                    *extra)


def desdm_metadata(schema: str | None = None) -> sa.MetaData:
    """The DESDM tables and sequences, in ``schema`` (PostgreSQL) or the default schema."""
    metadata = sa.MetaData(schema=schema)
    sequences = {name: sa.Sequence(upper(name), metadata=metadata) for name in SEQUENCES}

    def fk(table: str, column: str) -> sa.ForeignKey:
        return _fk(table, column, schema)

    sa.Table(upper("OPS_ARCHIVE"), metadata,
             _column("NAME", sa.Text, primary_key=True), _column("SITE", sa.Text), _column("ROOT", sa.Text),
             _column("FILEMGMT", sa.Text), _column("FILEUTILS", sa.Text))
    sa.Table(upper("OPS_FILETYPE"), metadata,
             _column("FILETYPE", sa.Text, primary_key=True), _column("METADATA_TABLE", sa.Text),
             _column("DESCRIPTION", sa.Text), _column("FILETYPE_MGMT", sa.Text))
    sa.Table(upper("OPS_FILETYPE_METADATA"), metadata,
             _column("FILETYPE", sa.Text, fk("OPS_FILETYPE", "FILETYPE"), primary_key=True),
             _column("FILE_HEADER_NAME", sa.Text, primary_key=True), _column("STATUS", sa.Text),
             _column("FILE_HDU", sa.Text), _column("DERIVED", sa.Text))
    sa.Table(upper("TASK"), metadata,
             _column("ID", sa.Integer, sequences["TASK_SEQ"], primary_key=True, autoincrement=False),
             _column("NAME", sa.Text), _column("LABEL", sa.Text), _column("START_TIME", sa.DateTime),
             _column("END_TIME", sa.DateTime), _column("STATUS", sa.Integer), _column("EXEC_HOST", sa.Text),
             _column("PARENT_TASK_ID", sa.Integer, fk("TASK", "ID")),
             _column("ROOT_TASK_ID", sa.Integer, fk("TASK", "ID")), _column("INFO_TABLE", sa.Text))
    sa.Table(upper("PFW_ATTEMPT"), metadata,
             _column("REQNUM", sa.Integer, primary_key=True), _column("UNITNAME", sa.Text, primary_key=True),
             _column("ATTNUM", sa.Integer, primary_key=True),
             _column("TASK_ID", sa.Integer, fk("TASK", "ID")),
             _column("ID", sa.Integer, sequences["PFW_ATTEMPT_SEQ"], nullable=False, unique=True),
             _column("DATA_STATE", sa.Text), _column("ARCHIVE_PATH", sa.Text), _column("OPERATOR", sa.Text),
             _column("SUBMITTIME", sa.DateTime), _column("ENDTIME", sa.DateTime), _column("STATUS", sa.Integer),
             _column("PIPELINE", sa.Text))
    sa.Table(upper("PROCTAG"), metadata,
             _column("TAG", sa.Text, primary_key=True),
             _column("PFW_ATTEMPT_ID", sa.Integer, fk("PFW_ATTEMPT", "ID"), primary_key=True),
             _column("CREATED_DATE", sa.DateTime, server_default=sa.func.current_timestamp()),
             _column("CREATED_BY", sa.Text))
    desfile = sa.Table(
        upper("DESFILE"), metadata,
        _column("ID", sa.Integer, sequences["DESFILE_SEQ"], primary_key=True, autoincrement=False),
        _column("PFW_ATTEMPT_ID", sa.Integer, fk("PFW_ATTEMPT", "ID")),
        _column("WGB_TASK_ID", sa.Integer, fk("TASK", "ID"), nullable=False),
        _column("FILETYPE", sa.Text, fk("OPS_FILETYPE", "FILETYPE"), nullable=False),
        _column("FILENAME", sa.Text, nullable=False), _column("COMPRESSION", sa.Text),
        _column("FILESIZE", sa.BigInteger), _column("MD5SUM", sa.Text), _column("USER_CREATED_BY", sa.Text),
        _column("MODULE_CREATED_BY", sa.Text),
        _column("CREATED_DATE", sa.DateTime, server_default=sa.func.current_timestamp()),
        sa.UniqueConstraint("FILENAME", "COMPRESSION", name=upper("DESFILE_FILENAME_COMPRESSION_UK")))
    sa.Index(upper("DESFILE_FILENAME_COMPRESSION_NN"), desfile.c.FILENAME,
             sa.func.coalesce(desfile.c.COMPRESSION, ""), unique=True)
    sa.Table(upper("FILE_ARCHIVE_INFO"), metadata,
             _column("FILENAME", sa.Text, nullable=False),
             _column("ARCHIVE_NAME", sa.Text, fk("OPS_ARCHIVE", "NAME"), nullable=False),
             _column("PATH", sa.Text, nullable=False), _column("COMPRESSION", sa.Text),
             _column("DESFILE_ID", sa.Integer, fk("DESFILE", "ID"), primary_key=True, autoincrement=False))
    _metadata_table(metadata, "MISCFILE", schema,
                    _column("CAMSYM", sa.Text), _column("BAND", sa.Text), _column("EXPNUM", sa.Integer),
                    _column("CCDNUM", sa.Integer), _column("NITE", sa.Text), _column("FIELD", sa.Text),
                    _column("TILENAME", sa.Text))
    _metadata_table(metadata, "EXPOSURE", schema,
                    _column("CAMSYM", sa.Text), _column("BAND", sa.Text), _column("EXPNUM", sa.Integer),
                    _column("NITE", sa.Text), _column("FIELD", sa.Text), _column("OBSTYPE", sa.Text),
                    _column("EXPTIME", sa.Float), _column("DATE_OBS", sa.Text), _column("MJD_OBS", sa.Float))
    sa.Table(upper("OPM_USED"), metadata,
             _column("TASK_ID", sa.Integer, fk("TASK", "ID"), primary_key=True, autoincrement=False),
             _column("DESFILE_ID", sa.Integer, fk("DESFILE", "ID"), primary_key=True, autoincrement=False))
    sa.Table(upper("OPM_WAS_DERIVED_FROM"), metadata,
             _column("CHILD_DESFILE_ID", sa.Integer, fk("DESFILE", "ID"), primary_key=True, autoincrement=False),
             _column("PARENT_DESFILE_ID", sa.Integer, fk("DESFILE", "ID"), primary_key=True, autoincrement=False))
    sa.Table(upper("DTS_BAD_FILE"), metadata,
             _column("UNIQ_FULLNAME", sa.Text, primary_key=True),
             _column("ORIG_FILENAME", sa.Text, nullable=False),
             _column("TASK_ID", sa.Integer, fk("TASK", "ID")), _column("FILETYPE", sa.Text),
             _column("FILESIZE", sa.BigInteger), _column("DELIVERY_DATE", sa.DateTime),
             _column("REJECTED_DATE", sa.DateTime), _column("REJECTED_MSG", sa.Text),
             _column("CAMSYM", sa.Text), _column("BAND", sa.Text), _column("EXPNUM", sa.Integer),
             _column("NITE", sa.Text))
    return metadata


def table(metadata: sa.MetaData, name: str) -> sa.Table:
    """The table ``name`` (as DESDM spells it, any case) of ``metadata``."""
    prefix = f"{metadata.schema}." if metadata.schema else ""
    return metadata.tables[f"{prefix}{name.upper()}"]
