"""A DESDM-style file catalog for testing the Data Backbone adapters: schema, filler, fixtures."""

from .fill import BACKUP_ARCHIVE, HOME_ARCHIVE, DesdmCatalog, create_desdm, desdm_engine, fill_desdm
from .fixtures import DesdmDatabase, build_desdm_sqlite, desdm_postgres, desdm_sqlite, grant_pipeline_writer
from .schema import ISSUE_COLUMNS, OPEN_ENDED, SEQUENCES, WRITER_TABLES, desdm_metadata, table

__all__ = [
           "BACKUP_ARCHIVE",
           "HOME_ARCHIVE",
           "ISSUE_COLUMNS",
           "OPEN_ENDED",
           "SEQUENCES",
           "WRITER_TABLES",
           "DesdmCatalog",
           "DesdmDatabase",
           "build_desdm_sqlite",
           "create_desdm",
           "desdm_engine",
           "desdm_metadata",
           "desdm_postgres",
           "desdm_sqlite",
           "fill_desdm",
           "grant_pipeline_writer",
           "table",
]
