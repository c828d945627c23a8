"""Artifacts in the Data Backbone: ``DBB_ARTIFACT`` rows, and the DESFILE/FILE_ARCHIVE_INFO rows production reads.

Recording the whole-dataset artifact of a dataset databutler registered names its DESFILE row
after the file (FILENAME and COMPRESSION from the artifact's file name, when no other file has that
name), with its size and, for an ``md5:`` checksum, MD5SUM; when the registry is configured with an
archive, a FILE_ARCHIVE_INFO row says where the file is in it. A file production registered has no
``DBB_ARTIFACT`` row: its artifact is read from FILE_ARCHIVE_INFO and DESFILE. A dataset written in
parts (one artifact per component) names its DESFILE row after the parts' common stem, with their
total size and no FILE_ARCHIVE_INFO row (see ``parts_as_one``).
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from ...domain.dataset import StoredArtifact
from ...domain.errors import ConflictingDefinitionError, DatasetNotFoundError
from ..sql.dialect import chunks, uuid_from_db
from .catalog import Catalog
from .dataset_types import DatasetTypes
from .datasets import Datasets, placeholder_name

COMPRESSIONS = (".fz", ".gz", ".bz2")
"""File name endings DESDM records as COMPRESSION, apart from FILENAME."""
PRODUCTION_FORMATTER = "bytes"
"""The formatter recorded for the files production registered (their bytes as they are)."""


def split_compression(filename: str) -> tuple[str, str | None]:
    """FILENAME and COMPRESSION of a file name, the DESDM way (``x.fits.fz`` -> ``x.fits``, ``.fz``)."""
    for ending in COMPRESSIONS:
        if filename.endswith(ending) and len(filename) > len(ending):
            return filename[:-len(ending)], ending
    return filename, None


def parts_as_one(parts: Sequence[StoredArtifact]) -> StoredArtifact:
    """What the DESFILE row of a dataset stored in parts describes: the parts' common name, their total size.

    The parts of ``run/calexp/x`` are ``run/calexp/x.image.fits``, ``run/calexp/x.wcs.json``...: the row is
    named ``x`` (no COMPRESSION, no MD5SUM: no single file has them) and gets no FILE_ARCHIVE_INFO row,
    since there is no file of that name for production to open; the parts are in DBB_ARTIFACT.
    """
    first = min(parts, key=lambda a: a.component or "")
    directory, name = posixpath.split(first.uri)
    marker = f".{first.component}"
    stem = name[:name.rfind(marker)] if marker in name else name
    sizes = [a.size for a in parts]
    total = None if any(size is None for size in sizes) else sum(size or 0 for size in sizes)
    return StoredArtifact(first.dataset_id, posixpath.join(directory, stem), first.formatter, first.storage_class,
                          None, total)


class Artifacts:
    """Records, reads and forgets artifacts."""

    def __init__(self, catalog: Catalog, datasets: Datasets, types: DatasetTypes) -> None:
        self._catalog = catalog
        self._datasets = datasets
        self._types = types

    def insert(self, connection: sa.Connection, artifacts: Sequence[StoredArtifact]) -> None:
        """Record artifacts of existing datasets; a (dataset, component) recorded twice is a conflict."""
        if not artifacts:
            return
        files = self._datasets.desfile_ids(connection, [a.dataset_id for a in artifacts])
        missing = [a.dataset_id for a in artifacts if a.dataset_id not in files]
        if missing:
            raise DatasetNotFoundError(f"cannot record artifacts of dataset {missing[0]}: it is not in the registry")
        side = self._catalog.side
        a = side.artifact.c
        keys = [(x.dataset_id, x.component or "") for x in artifacts]
        if len(set(keys)) != len(keys):
            raise ConflictingDefinitionError("the same dataset and component is recorded twice in one call")
        for part in chunks(keys):
            taken = connection.execute(sa.select(a.dataset_id, a.component).where(
                sa.tuple_(a.dataset_id, a.component).in_(part))).first()
            if taken is not None:
                raise ConflictingDefinitionError(f"dataset {uuid_from_db(taken[0])} already has a recorded artifact "
                                                 f"for component {taken[1] or None!r}")
        connection.execute(side.artifact.insert(), [
            {"dataset_id": x.dataset_id, "component": x.component or "", "uri": x.uri, "formatter": x.formatter,
             "storage_class": x.storage_class, "checksum": x.checksum, "size": x.size} for x in artifacts])
        whole = {a.dataset_id for a in artifacts if a.component is None}
        parts: dict[uuid.UUID, list[StoredArtifact]] = {}
        for artifact in artifacts:
            if artifact.component is None:
                self._describe_file(connection, files[artifact.dataset_id], artifact)
            elif artifact.dataset_id not in whole:
                parts.setdefault(artifact.dataset_id, []).append(artifact)
        for dataset_id, found in parts.items():
            self._describe_file(connection, files[dataset_id], parts_as_one(found), archived=False)

    def _describe_file(self, connection: sa.Connection, file_id: int, artifact: StoredArtifact, *,
                       archived: bool = True) -> None:
        desdm = self._catalog.desdm
        f = desdm.desfile
        row = connection.execute(sa.select(f.c.FILENAME, f.c.FILETYPE).where(f.c.ID == file_id)).one()
        values: dict[str, object] = {"FILESIZE": artifact.size}
        if artifact.checksum and artifact.checksum.startswith("md5:"):
            values["MD5SUM"] = artifact.checksum.removeprefix("md5:")
        filename, compression = row[0], None
        relative = "://" not in artifact.uri and not artifact.uri.startswith("/")
        placeholder = row[0] == placeholder_name(row[1], artifact.dataset_id)
        named = not placeholder  # whether the row is named after its file (production reads ROOT/PATH/FILENAME)
        if placeholder:
            wanted, compression = split_compression(posixpath.basename(artifact.uri))
            clash = connection.execute(sa.select(f.c.ID).where(
                f.c.FILENAME == wanted, sa.func.coalesce(f.c.COMPRESSION, "") == (compression or ""))).first()
            if clash is None:  # else another row has the file (one file, several datasets): this one stays unnamed
                filename, named = wanted, True
                values.update(FILENAME=wanted, COMPRESSION=compression)
                record = self._types.find(connection, row[1])
                if record is not None:
                    meta = record.table.table
                    connection.execute(meta.update().where(meta.c.FILENAME == row[0]).values(FILENAME=wanted))
            else:
                compression = None
        connection.execute(f.update().where(f.c.ID == file_id).values(**values))
        if self._catalog.archive is not None and relative and named and archived:
            info = desdm.file_archive_info
            if connection.execute(sa.select(info.c.DESFILE_ID).where(info.c.DESFILE_ID == file_id)).first() is None:
                connection.execute(info.insert().values(
                    FILENAME=filename, ARCHIVE_NAME=self._catalog.archive, PATH=posixpath.dirname(artifact.uri),
                    COMPRESSION=compression, DESFILE_ID=file_id))

    def get(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """The recorded artifacts of each dataset id (ids without artifacts absent)."""
        a = self._catalog.side.artifact.c
        result: dict[uuid.UUID, list[StoredArtifact]] = {}
        wanted = list(dict.fromkeys(ids))
        for part in chunks(wanted):
            query = sa.select(a.dataset_id, a.uri, a.formatter, a.storage_class, a.checksum, a.size, a.component)
            for row in connection.execute(query.where(a.dataset_id.in_(part)).order_by(a.dataset_id, a.component)):
                dataset_id = uuid_from_db(row[0])
                result.setdefault(dataset_id, []).append(
                    StoredArtifact(dataset_id, row[1], row[2], row[3], row[4], row[5], row[6] or None))
        production = [i for i in wanted if i not in result]
        if production:
            result.update(self._production(connection, production))
        return result

    def _production(self, connection: sa.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """Artifacts of files production registered, from FILE_ARCHIVE_INFO and DESFILE."""
        files = self._datasets.desfile_ids(connection, ids)
        if not files:
            return {}
        desdm, side = self._catalog.desdm, self._catalog.side
        f, i = desdm.desfile.c, desdm.file_archive_info.c
        types = side.dataset_type.c
        by_file = {n: d for d, n in files.items()}
        result: dict[uuid.UUID, list[StoredArtifact]] = {}
        query = sa.select(f.ID, i.PATH, i.FILENAME, i.COMPRESSION, f.MD5SUM, f.FILESIZE,
                          types.storage_class).select_from(
            desdm.desfile.join(desdm.file_archive_info, i.DESFILE_ID == f.ID).join(
                side.dataset_type, types.filetype == f.FILETYPE))
        if self._catalog.archive is not None:
            query = query.where(i.ARCHIVE_NAME == self._catalog.archive)
        for part in chunks(list(by_file)):
            for file_id, path, name, compression, md5, size, storage_class in connection.execute(
                    query.where(f.ID.in_(part))):
                uri = posixpath.join(path or "", name + (compression or ""))
                result[by_file[file_id]] = [StoredArtifact(by_file[file_id], uri, PRODUCTION_FORMATTER, storage_class,
                                                           f"md5:{md5}" if md5 else None, size)]
        return result

    def remove(self, connection: sa.Connection, ids: Sequence[uuid.UUID]) -> None:
        """Forget the artifacts of these datasets (their DESFILE rows stay: the datasets stay)."""
        side, desdm = self._catalog.side, self._catalog.desdm
        for part in chunks(list(dict.fromkeys(ids))):
            connection.execute(side.artifact.delete().where(side.artifact.c.dataset_id.in_(part)))
        files = list(self._datasets.desfile_ids(connection, ids).values())
        info = desdm.file_archive_info
        for file_part in chunks(files):
            connection.execute(info.delete().where(info.c.DESFILE_ID.in_(file_part)))

    def users(self, connection: sa.Connection, uris: Sequence[str]) -> dict[str, set[uuid.UUID]]:
        """The datasets whose recorded artifacts have each URI."""
        a = self._catalog.side.artifact.c
        result: dict[str, set[uuid.UUID]] = {}
        for part in chunks(list(dict.fromkeys(uris))):
            for uri, dataset_id in connection.execute(sa.select(a.uri, a.dataset_id).where(a.uri.in_(part))):
                result.setdefault(uri, set()).add(uuid_from_db(dataset_id))
        return result
