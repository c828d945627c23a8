"""Fill a DESDM database the way the production system does: DTS ingests raw exposures, processing
attempts run tasks that write files into the archive and record their provenance, operators tag
attempts.

Everything is deterministic from a seed and a size (exposures x CCDs). Per exposure: one raw file
(``raw``, metadata in ``EXPOSURE``), and one finalcut attempt whose per-CCD tasks write a background
map (``red_bkg``) and a PSF model (``psfex_model``), both described in ``MISCFILE``; about one
exposure in five has a failed first attempt (``DATA_STATE`` ``JUNK``, no files) and a second that
succeeded. Every four exposures make a tile, processed by one multi-epoch attempt that writes one
``coadd_head_scamp`` file per band (``MISCFILE.TILENAME``). DESFILE rows: ``exposures * (1 + 2 * ccds)``
plus one per (tile, band). The bytes of every file are written under its archive's root at
``FILE_ARCHIVE_INFO.PATH``, named FILENAME + COMPRESSION, with the MD5 and size in DESFILE.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from .schema import SEQUENCES, desdm_metadata, table

HOME_ARCHIVE = "desar2home"
"""The archive every file is written to."""

BACKUP_ARCHIVE = "desar2backup"
"""A second archive, with its own root, that holds no file yet."""

FILETYPES: Mapping[str, tuple[str, str]] = {
    "raw": ("EXPOSURE", "Raw DECam exposure delivered by DTS"),
    "red_bkg": ("MISCFILE", "Background map of a reduced CCD image"),
    "psfex_model": ("MISCFILE", "PSFEx model of a reduced CCD image"),
    "coadd_head_scamp": ("MISCFILE", "SCAMP astrometric header for a coadd tile"),
}
"""File types: name -> (metadata table, description)."""

TAGS = ("Y2A1_FINALCUT", "Y2A1_FINALCUT_TEST", "Y2A1_COADD")
"""PROCTAG tags: every good finalcut attempt; the first half of them; every coadd attempt."""

BATCH = 5000
"""Rows buffered before they are sent, one executemany per table."""

_BANDS = "grizY"
_FIELDS = ("WIDE", "SN-X3", "SN-C3", "SN-E2")
_START = datetime.datetime(2013, 11, 15, 23, 0, 0)
_FINALCUT_REQNUM = 1001
_COADD_REQNUM = 2001


@attrs.frozen
class DesdmCatalog:
    """What ``fill_desdm`` wrote: the archives' roots and the names and counts tests need."""

    roots: Mapping[str, str]
    exposures: int
    ccds: int
    files: int
    attempts: int
    tasks: int
    tiles: tuple[str, ...]
    archive: str = HOME_ARCHIVE
    tags: tuple[str, ...] = TAGS
    filetypes: Mapping[str, str] = attrs.field(factory=lambda: {k: v[0] for k, v in FILETYPES.items()})


class _Writer:
    """Buffers rows per table and sends them in batches, parents before children."""

    def __init__(self, connection: sa.Connection, metadata: sa.MetaData) -> None:
        self.connection = connection
        self.metadata = metadata
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.buffered = 0
        self.ids: dict[str, int] = defaultdict(int)

    def next_id(self, sequence: str) -> int:
        """The next value of ``sequence``, counted here (the database sequences are set at the end)."""
        self.ids[sequence] += 1
        return self.ids[sequence]

    def add(self, name: str, **row: Any) -> None:
        """Queue ``row`` for table ``name``."""
        self.rows[name].append(row)
        self.buffered += 1
        if self.buffered >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Send every queued row, tables in foreign-key order."""
        for desdm_table in self.metadata.sorted_tables:
            rows = self.rows.pop(str(desdm_table.name).upper(), None)
            if rows:  # every row gets every column (None where not given), as one executemany needs
                keys = [column.key for column in desdm_table.columns]
                self.connection.execute(desdm_table.insert(), [{key: row.get(key) for key in keys} for row in rows])
        self.buffered = 0


@attrs.define
class _Filler:
    writer: _Writer
    roots: Mapping[str, str]
    rng: random.Random
    files: int = 0
    last_size: int = 0
    attempts: int = 0
    tasks: int = 0

    def task(self, name: str, start: datetime.datetime, *, parent: int | None = None, root: int | None = None,
             status: int = 0, label: str | None = None, info_table: str | None = None,
             host: str = "desgrid.ncsa.illinois.edu") -> int:
        task_id = self.writer.next_id("TASK_SEQ")
        self.tasks += 1
        self.writer.add("TASK", ID=task_id, NAME=name, LABEL=label, START_TIME=start,
                        END_TIME=start + datetime.timedelta(seconds=self.rng.randint(5, 600)), STATUS=status,
                        EXEC_HOST=host, PARENT_TASK_ID=parent, ROOT_TASK_ID=task_id if root is None else root,
                        INFO_TABLE=info_table)
        return task_id

    def attempt(self, reqnum: int, unitname: str, attnum: int, start: datetime.datetime, *, archive_path: str,
                pipeline: str, failed: bool = False) -> tuple[int, int]:
        task_id = self.task("attempt", start, status=1 if failed else 0, info_table="pfw_attempt")
        attempt_id = self.writer.next_id("PFW_ATTEMPT_SEQ")
        self.attempts += 1
        self.writer.add("PFW_ATTEMPT", REQNUM=reqnum, UNITNAME=unitname, ATTNUM=attnum, TASK_ID=task_id,
                        ID=attempt_id, DATA_STATE="JUNK" if failed else "ACTIVE", ARCHIVE_PATH=archive_path,
                        OPERATOR="desdm_operator", SUBMITTIME=start,
                        ENDTIME=start + datetime.timedelta(hours=1), STATUS=1 if failed else 0, PIPELINE=pipeline)
        return attempt_id, task_id

    def file(self, filetype: str, filename: str, compression: str | None, path: str, *, task: int,
             attempt: int | None, created: datetime.datetime, user: str, module: str,
             labels: Mapping[str, Any]) -> int:
        """Write the file's bytes into the home archive and its DESFILE, archive-info and metadata rows."""
        content = f"{filename}{compression or ''}\n".encode() + self.rng.randbytes(self.rng.randint(32, 256))
        directory = os.path.join(self.roots[HOME_ARCHIVE], path)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, filename + (compression or "")), "wb") as stream:
            stream.write(content)
        file_id = self.writer.next_id("DESFILE_SEQ")
        self.files += 1
        self.last_size = len(content)
        self.writer.add("DESFILE", ID=file_id, PFW_ATTEMPT_ID=attempt, WGB_TASK_ID=task, FILETYPE=filetype,
                        FILENAME=filename, COMPRESSION=compression, FILESIZE=len(content),
                        MD5SUM=hashlib.md5(content).hexdigest(), USER_CREATED_BY=user, MODULE_CREATED_BY=module,
                        CREATED_DATE=created)
        self.writer.add("FILE_ARCHIVE_INFO", FILENAME=filename, ARCHIVE_NAME=HOME_ARCHIVE, PATH=path,
                        COMPRESSION=compression, DESFILE_ID=file_id)
        self.writer.add(FILETYPES[filetype][0], FILENAME=filename, FILETYPE=filetype, PFW_ATTEMPT_ID=attempt,
                        **labels)
        return file_id


def create_desdm(engine: sa.Engine, schema: str | None = None) -> sa.MetaData:
    """Create the DESDM tables and sequences (in ``schema`` on PostgreSQL) and return their metadata."""
    metadata = desdm_metadata(schema)
    metadata.create_all(engine)
    return metadata


def desdm_engine(url: str) -> sa.Engine:
    """An engine on ``url`` that enforces foreign keys, as DESDM's database does (SQLite needs a pragma)."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    return engine


def fill_desdm(engine: sa.Engine, metadata: sa.MetaData, base: str, *, exposures: int = 4, ccds: int = 4,
               seed: int = 0) -> DesdmCatalog:
    """Fill the empty DESDM tables of ``metadata`` with ``exposures`` x ``ccds`` of processing; archives in ``base``."""
    roots = {name: os.path.join(base, name) for name in (HOME_ARCHIVE, BACKUP_ARCHIVE)}
    for root in roots.values():
        os.makedirs(root, exist_ok=True)
    with engine.begin() as connection:
        writer = _Writer(connection, metadata)
        filler = _Filler(writer, roots, random.Random(seed))
        _catalog_rows(writer, roots)
        tiles = _process(filler, exposures, ccds)
        writer.flush()
        _set_sequences(connection, metadata, writer.ids)
    return DesdmCatalog(roots=roots, exposures=exposures, ccds=ccds, files=filler.files, attempts=filler.attempts,
                        tasks=filler.tasks, tiles=tiles)


def _catalog_rows(writer: _Writer, roots: Mapping[str, str]) -> None:
    for name, root in roots.items():
        writer.add("OPS_ARCHIVE", NAME=name, SITE="descampuscluster", ROOT=root,
                   FILEMGMT="filemgmt.filemgmt_db.FileMgmtDB", FILEUTILS="filemgmt.disk_utils_local.DiskUtilsLocal")
    for filetype, (metadata_table, description) in FILETYPES.items():
        writer.add("OPS_FILETYPE", FILETYPE=filetype, METADATA_TABLE=metadata_table, DESCRIPTION=description,
                   FILETYPE_MGMT="filemgmt.ftmgmt_genfits.FtMgmtGenFits")
        columns = table(writer.metadata, metadata_table).columns
        for column in columns:
            if column.key not in ("FILENAME", "FILETYPE", "PFW_ATTEMPT_ID"):
                derived = "c" if column.key in ("NITE", "CAMSYM", "TILENAME") else "h"
                writer.add("OPS_FILETYPE_METADATA", FILETYPE=filetype, FILE_HEADER_NAME=column.key.lower(),
                           STATUS="ACTIVE", FILE_HDU="primary", DERIVED=derived)


def _process(filler: _Filler, exposures: int, ccds: int) -> tuple[str, ...]:
    rng = filler.rng
    dts = filler.task("dts", _START, host="desdts.ncsa.illinois.edu")
    good_attempts: list[int] = []
    psf_models: list[list[tuple[str, int]]] = []  # per exposure: (band, desfile id)
    expnum = 229000
    for index in range(exposures):
        expnum += rng.randint(1, 3)
        observed = _START + datetime.timedelta(minutes=2 * index)
        nite = (observed - datetime.timedelta(hours=12)).strftime("%Y%m%d")
        band, field = rng.choice(_BANDS), rng.choice(_FIELDS)
        raw = filler.file("raw", f"DECam_{expnum:08d}.fits", ".fz", f"RAW/{nite}", task=dts, attempt=None,
                          created=observed, user="desdts", module="dts_file_handler",
                          labels=dict(CAMSYM="D", BAND=band, EXPNUM=expnum, NITE=nite, FIELD=field, OBSTYPE="object",
                                      EXPTIME=90.0, DATE_OBS=observed.isoformat(),
                                      MJD_OBS=round(56611.0 + index / 720.0, 6)))
        if index == 0:  # the same raw file delivered again: DTS refuses it as a duplicate
            filler.writer.add("DTS_BAD_FILE", UNIQ_FULLNAME=f"2013/11/DECam_{expnum:08d}.fits.fz.20131116010203123",
                              ORIG_FILENAME=f"DECam_{expnum:08d}.fits.fz", TASK_ID=dts, FILETYPE="raw",
                              FILESIZE=filler.last_size, DELIVERY_DATE=observed, REJECTED_DATE=observed,
                              REJECTED_MSG="Duplicate file",
                              CAMSYM="D", BAND=band, EXPNUM=expnum, NITE=nite)
        unitname = f"D{expnum:08d}"
        attnum = 1
        started = observed + datetime.timedelta(hours=6)
        if rng.random() < 0.2:
            path = f"OPS/finalcut/Y2A1/{nite}-r{_FINALCUT_REQNUM}/{unitname}/p01"
            _, root = filler.attempt(_FINALCUT_REQNUM, unitname, 1, started, archive_path=path,
                                     pipeline="finalcut", failed=True)
            filler.task("job", started, parent=root, root=root, status=1, label="j0001")
            attnum = 2
        path = f"OPS/finalcut/Y2A1/{nite}-r{_FINALCUT_REQNUM}/{unitname}/p{attnum:02d}"
        attempt, root = filler.attempt(_FINALCUT_REQNUM, unitname, attnum, started, archive_path=path,
                                       pipeline="finalcut")
        good_attempts.append(attempt)
        job = filler.task("job", started, parent=root, root=root, label="j0001")
        models = []
        for ccd in range(1, ccds + 1):
            execution = filler.task("exec", started, parent=job, root=root, label=f"ccd{ccd:02d}")
            filler.writer.add("OPM_USED", TASK_ID=execution, DESFILE_ID=raw)
            labels = dict(CAMSYM="D", BAND=band, EXPNUM=expnum, CCDNUM=ccd, NITE=nite, FIELD=field)
            stem = f"{unitname}_{band}_c{ccd:02d}_r{_FINALCUT_REQNUM}p{attnum:02d}"
            for filetype, name, compression, folder in (("red_bkg", f"{stem}_bkg.fits", ".fz", "red/bkg"),
                                                        ("psfex_model", f"{stem}_psfexcat.psf", None, "psf")):
                made = filler.file(filetype, name, compression, f"{path}/{folder}", task=execution, attempt=attempt,
                                   created=started, user="desdm_operator", module="finalcut", labels=labels)
                filler.writer.add("OPM_WAS_DERIVED_FROM", CHILD_DESFILE_ID=made, PARENT_DESFILE_ID=raw)
                if filetype == "psfex_model":
                    models.append((band, made))
        psf_models.append(models)
    coadd_attempts, tiles = _coadd(filler, psf_models)
    _tag(filler.writer, {"Y2A1_FINALCUT": good_attempts, "Y2A1_FINALCUT_TEST": good_attempts[:len(good_attempts) // 2],
                         "Y2A1_COADD": coadd_attempts})
    return tiles


def _coadd(filler: _Filler, psf_models: list[list[tuple[str, int]]]) -> tuple[list[int], tuple[str, ...]]:
    attempts, tiles = [], []
    for number, first in enumerate(range(0, len(psf_models), 4)):
        tilename = f"DES{(number * 37) % 2400:04d}-{4000 + number:04d}"
        tiles.append(tilename)
        started = _START + datetime.timedelta(days=30, minutes=number)
        path = f"OPS/multiepoch/Y2A1/r{_COADD_REQNUM}/{tilename}/p01"
        attempt, root = filler.attempt(_COADD_REQNUM, tilename, 1, started, archive_path=path, pipeline="multiepoch")
        attempts.append(attempt)
        execution = filler.task("exec", started, parent=root, root=root, label="scamp")
        by_band: dict[str, list[int]] = defaultdict(list)
        for band, model in (pair for models in psf_models[first:first + 4] for pair in models):
            filler.writer.add("OPM_USED", TASK_ID=execution, DESFILE_ID=model)
            by_band[band].append(model)
        for band in sorted(by_band):
            made = filler.file("coadd_head_scamp", f"{tilename}_r{_COADD_REQNUM}p01_{band}_scamp.ohead", None,
                               f"{path}/coadd", task=execution, attempt=attempt, created=started,
                               user="desdm_operator", module="multiepoch",
                               labels=dict(CAMSYM="D", BAND=band, TILENAME=tilename))
            for parent in by_band[band]:
                filler.writer.add("OPM_WAS_DERIVED_FROM", CHILD_DESFILE_ID=made, PARENT_DESFILE_ID=parent)
    return attempts, tuple(tiles)


def _tag(writer: _Writer, tags: Mapping[str, Iterable[int]]) -> None:
    for tag, attempts in tags.items():
        for attempt in attempts:
            writer.add("PROCTAG", TAG=tag, PFW_ATTEMPT_ID=attempt, CREATED_DATE=_START + datetime.timedelta(days=60),
                       CREATED_BY="desdm_operator")


def _set_sequences(connection: sa.Connection, metadata: sa.MetaData, used: Mapping[str, int]) -> None:
    """Move the ID sequences past the IDs used (PostgreSQL; SQLite has none: writers take max(ID) + 1)."""
    if connection.dialect.name != "postgresql":
        return
    prefix = f"{metadata.schema}." if metadata.schema else ""
    for sequence in SEQUENCES:
        if used.get(sequence):
            connection.execute(sa.text("SELECT setval(CAST(:name AS regclass), :value)"),
                               {"name": f"{prefix}{sequence}", "value": used[sequence]})
