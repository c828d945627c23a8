"""The PostgreSQL privileges a pipeline writer needs to use the DBB adapters, as GRANT statements an operator runs.

On top of what production grants a pipeline writer on the DESDM tables (SELECT on the catalog,
INSERT on the tables a pipeline writes, UPDATE on TASK and PFW_ATTEMPT, USAGE on the sequences),
databutler needs:

- all of SELECT, INSERT, UPDATE, DELETE on its own ``DBB_`` side tables (and USAGE on their
  sequences);
- UPDATE of DESFILE's FILENAME, COMPRESSION, FILESIZE, MD5SUM and WGB_TASK_ID, and of the FILENAME of
  the metadata tables: databutler registers a dataset before its file is written, then names the
  row after the file and records its checksum, and a quantum's outputs are recorded after them;
- DELETE on DESFILE, FILE_ARCHIVE_INFO, the metadata tables, OPM_USED, OPM_WAS_DERIVED_FROM,
  PROCTAG, PFW_ATTEMPT and TASK, only for a role that may remove datasets and runs (``removal=True``).

Registering a new DatasetType writes OPS_FILETYPE and OPS_FILETYPE_METADATA, which production keeps
for its operators: a writer without INSERT there is refused (adopting an existing file type is not).
"""

from __future__ import annotations

from collections.abc import Sequence

_FILE_COLUMNS = ("FILENAME", "COMPRESSION", "FILESIZE", "MD5SUM", "WGB_TASK_ID")
_REMOVED_FROM = ("DESFILE", "FILE_ARCHIVE_INFO", "OPM_USED", "OPM_WAS_DERIVED_FROM", "PROCTAG", "PFW_ATTEMPT", "TASK")


def writer_grants(schema: str, role: str, side_tables: Sequence[str], metadata_tables: Sequence[str], *,
                  removal: bool = False) -> list[str]:
    """The GRANT statements that let ``role`` write through the DBB adapters in ``schema`` (see the module doc)."""
    s, r = _quote(schema), _quote(role)
    owned = ", ".join(f"{s}.{_quote(t)}" for t in side_tables)
    statements = [f"GRANT SELECT, INSERT, UPDATE, DELETE ON {owned} TO {r}",
                  f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
                  f"GRANT UPDATE ({', '.join(_FILE_COLUMNS)}) ON {s}.DESFILE TO {r}"]
    statements += [f"GRANT UPDATE (FILENAME) ON {s}.{table} TO {r}" for table in metadata_tables]
    if removal:
        tables = [*_REMOVED_FROM, *metadata_tables]
        statements.append(f"GRANT DELETE ON {', '.join(f'{s}.{t}' for t in tables)} TO {r}")
    return statements


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
