"""The DBB datastore: its configuration, DESDM's checksums, and the ingest gateway's refusals.

Each bad-input test says what must still be true afterwards: nothing of a refused file in the
archive, the delivered file untouched, no catalog row but the rejection in DTS_BAD_FILE. The
datastore works in the backup archive of the filled DESDM database, which holds no file yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import databutler.adapters.posix.datastore as posix_datastore
from databutler import Butler, DatasetType
from databutler.adapters.dbb.archive import split_name
from databutler.adapters.dbb.datastore import DbbDatastore
from databutler.adapters.dbb.datastore_factory import make_dbb_datastore
from databutler.adapters.formats import default_formatter_set
from databutler.adapters.posix.directories import Target
from databutler.adapters.posix.transfer import copy_file
from databutler.config.container import build_datastore
from databutler.domain import DatasetRef, StorageClassRegistry
from databutler.domain.errors import BadFileError, ConfigError, PathTemplateError
from databutler.ports.datastore import IngestRequest, TransferMode
from databutler.service.file_dataset import FileDataset
from databutler.testing.datastore import INSTRUMENT, make_ref
from databutler.testing.desdm import BACKUP_ARCHIVE, DesdmDatabase, table

Rows = list[dict[str, Any]]


def open_store(desdm: DesdmDatabase, *, create: bool = False, writeable: bool = True,
               **options: Any) -> contextlib.closing[DbbDatastore]:
    """The DBB datastore of the backup archive (options override the section's), closed on leaving ``with``."""
    section = {"adapter": "dbb", "url": desdm.writer_url or desdm.url, "namespace": desdm.schema,
               "archive": BACKUP_ARCHIVE, **options}
    return contextlib.closing(make_dbb_datastore(section, storage_classes=StorageClassRegistry(),
                                                 formatters=default_formatter_set(), create=create,
                                                 writeable=writeable))


def rows(desdm: DesdmDatabase, name: str) -> Rows:
    """Every row of DESDM table ``name``, read as the owner."""
    engine = desdm.engine()
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(sa.select(table(desdm.metadata(), name)))]
    finally:
        engine.dispose()


def catalog_desfile(desdm: DesdmDatabase, filename: str, compression: str | None = None) -> None:
    """Record ``filename`` in DESFILE as the production system would (another attempt's file)."""
    metadata = desdm.metadata()
    desfile, task = table(metadata, "DESFILE"), table(metadata, "TASK")
    engine = desdm.engine()
    try:
        with engine.begin() as connection:
            next_id = connection.execute(sa.select(sa.func.max(desfile.c.ID))).scalar_one() + 1
            task_id = connection.execute(sa.select(sa.func.min(task.c.ID))).scalar_one()
            connection.execute(sa.insert(desfile).values(ID=next_id, WGB_TASK_ID=task_id, FILETYPE="red_bkg",
                                                         FILENAME=filename, COMPRESSION=compression, FILESIZE=1,
                                                         MD5SUM="0" * 32))
    finally:
        engine.dispose()


def archive_name(ref: DatasetRef, extension: str = ".json") -> str:
    """The file name the default pattern gives ``ref`` in the archive."""
    return f"{ref.dataset_type.name}_instrument={INSTRUMENT}_visit={ref.data_id['visit']}{extension}"


def files_under(path: Path) -> list[Path]:
    """Every file below ``path``, hidden temporary ones included."""
    return sorted(p for p in path.rglob("*") if p.is_file())


def source(directory: Path, name: str, content: Any) -> Path:
    """A JSON file to deliver."""
    path = directory / name
    path.write_text(json.dumps(content))
    return path


@pytest.fixture
def backup_root(desdm_sqlite: DesdmDatabase) -> Path:
    """The root of the (empty) backup archive."""
    return Path(desdm_sqlite.catalog.roots[BACKUP_ARCHIVE])


# -- configuration --------------------------------------------------------------------------------


def test_the_root_is_the_archive_root_in_ops_archive(desdm_sqlite: DesdmDatabase, backup_root: Path) -> None:
    with open_store(desdm_sqlite) as store:
        assert store.root == backup_root.as_uri() + "/"
        assert store.archive == BACKUP_ARCHIVE


def test_the_container_builds_a_dbb_datastore(desdm_sqlite: DesdmDatabase) -> None:
    section = {"adapter": "dbb", "url": desdm_sqlite.url, "archive": BACKUP_ARCHIVE}
    store = build_datastore(section, storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                            create=False, writeable=True)
    try:
        assert isinstance(store, DbbDatastore)
    finally:
        store.close()


def test_an_archive_not_in_ops_archive_is_a_config_error_naming_the_archives(desdm_sqlite: DesdmDatabase,
                                                                              tmp_path: Path) -> None:
    before = files_under(tmp_path)
    with pytest.raises(ConfigError) as raised:
        open_store(desdm_sqlite, archive="desar2hom", create=True)
    message = str(raised.value)
    assert "'desar2hom' is not in OPS_ARCHIVE" in message
    assert "did you mean 'desar2home'" in message
    assert message.index("'desar2home'") < message.index("'desar2backup'"), "the closest archive comes first"
    assert files_under(tmp_path) == before, "nothing may be created for an unknown archive"


def test_a_missing_root_is_a_config_error_unless_creating(desdm_sqlite: DesdmDatabase, backup_root: Path) -> None:
    backup_root.rmdir()
    with pytest.raises(ConfigError, match="is not a directory"):
        open_store(desdm_sqlite)
    assert not backup_root.exists()
    with open_store(desdm_sqlite, create=True):
        pass
    assert backup_root.is_dir()


@pytest.mark.parametrize(("option", "value", "match"), [
    ("chekcsum", "md5", "unknown options"),
    ("root", "/tmp/elsewhere", "OPS_ARCHIVE.ROOT"),
    ("template", "{run}/{data_id}", "pattern"),
    ("checksum", "blake2b", "md5"),
    ("checksum", None, "md5"),
    ("pattern", "../{run}/{data_id}", "outside the archive root"),
    ("pattern", "/abs/{run}/{data_id}", "outside the archive root"),
    ("pattern", {"default": "{run}/x/../../{data_id}"}, "outside the archive root"),
    ("pattern", "{run}", "unique"),
    ("namespace", "no such; schema", "schema name"),
    ("archive", None, "archive"),
])
def test_bad_options_are_refused(desdm_sqlite: DesdmDatabase, option: str, value: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        open_store(desdm_sqlite, **{option: value})


def test_checksum_md5_may_be_named(desdm_sqlite: DesdmDatabase) -> None:
    with open_store(desdm_sqlite, checksum="md5") as store:
        assert store.capabilities


def test_a_password_in_the_url_is_masked_when_the_database_cannot_be_reached(desdm_sqlite: DesdmDatabase) -> None:
    with pytest.raises(ConfigError) as raised:
        open_store(desdm_sqlite, url="postgresql://pipeline:s3cr3t-Pw@127.0.0.1:1/desoper")
    assert "s3cr3t-Pw" not in str(raised.value)
    assert "***" in str(raised.value)


def test_a_read_only_datastore_cannot_be_created(desdm_sqlite: DesdmDatabase) -> None:
    with pytest.raises(ConfigError, match="read-only"):
        open_store(desdm_sqlite, create=True, writeable=False)


# -- DESDM's checksums and names ------------------------------------------------------------------


def test_artifacts_record_md5_and_size_as_desdm_does(desdm_sqlite: DesdmDatabase, tmp_path: Path) -> None:
    delivered = source(tmp_path, "delivered.json", {"a": [1, 2, 3]})
    with open_store(desdm_sqlite) as store:
        (written,) = store.put([({"b": 2}, make_ref())])
        (ingested,) = store.ingest([IngestRequest(str(delivered), make_ref())], TransferMode.COPY)
        for artifact in (written, ingested):
            data = Path(store.uri(artifact).removeprefix("file://")).read_bytes()
            assert artifact.checksum == "md5:" + hashlib.md5(data).hexdigest()
            assert artifact.size == len(data)
        assert store.verify([written, ingested]) == [None, None]


def test_compression_endings_are_split_off_as_desdm_records_them() -> None:
    assert split_name("DECam_00229001.fits.fz") == ("DECam_00229001.fits", ".fz")
    assert split_name("cat.csv.gz") == ("cat.csv", ".gz")
    assert split_name("a.tar.bz2") == ("a.tar", ".bz2")
    assert split_name("head.json") == ("head.json", None)
    assert split_name(".gz") == (".gz", None)


def test_the_same_filename_with_another_compression_is_not_a_duplicate(desdm_sqlite: DesdmDatabase,
                                                                       tmp_path: Path) -> None:
    ref = make_ref()
    catalog_desfile(desdm_sqlite, archive_name(ref), ".gz")  # "<name>.gz" is in the catalog, "<name>" is not
    with open_store(desdm_sqlite) as store:
        (artifact,) = store.ingest([IngestRequest(str(source(tmp_path, "x.json", {"x": 1})), ref)],
                                   TransferMode.COPY)
    assert artifact.uri.endswith("/" + archive_name(ref))
    assert len(rows(desdm_sqlite, "DTS_BAD_FILE")) == 1, "only the filler's own rejection"


# -- the gateway's refusals -----------------------------------------------------------------------


def test_a_duplicate_filename_is_recorded_as_bad_and_nothing_else_is_written(
        desdm_sqlite: DesdmDatabase, backup_root: Path, tmp_path: Path) -> None:
    fine, duplicate = make_ref(), make_ref()
    catalog_desfile(desdm_sqlite, archive_name(duplicate))
    desfile_before, bad_before = rows(desdm_sqlite, "DESFILE"), rows(desdm_sqlite, "DTS_BAD_FILE")
    delivered = [source(tmp_path, "fine.json", {"n": 1}), source(tmp_path, "dup.json", {"n": 2})]
    with open_store(desdm_sqlite) as store, pytest.raises(BadFileError, match="Duplicate file") as raised:
        store.ingest([IngestRequest(str(delivered[0]), fine), IngestRequest(str(delivered[1]), duplicate)],
                     TransferMode.COPY)
    assert raised.value.names == (archive_name(duplicate),)
    assert files_under(backup_root) == [], "no file of a refused batch may reach the archive"
    assert [json.loads(p.read_text()) for p in delivered] == [{"n": 1}, {"n": 2}], "delivered files untouched"
    assert rows(desdm_sqlite, "DESFILE") == desfile_before
    (bad,) = [row for row in rows(desdm_sqlite, "DTS_BAD_FILE") if row not in bad_before]
    assert bad["ORIG_FILENAME"] == archive_name(duplicate)
    assert bad["REJECTED_MSG"] == "Duplicate file"
    assert bad["FILETYPE"] == duplicate.dataset_type.name
    assert bad["FILESIZE"] == delivered[1].stat().st_size
    assert bad["UNIQ_FULLNAME"].startswith(f"{duplicate.run}/{duplicate.dataset_type.name}/"
                                           f"{archive_name(duplicate)}.")
    assert bad["REJECTED_DATE"] is not None and bad["DELIVERY_DATE"] is not None


def test_a_name_twice_in_one_batch_is_a_duplicate(desdm_sqlite: DesdmDatabase, backup_root: Path,
                                                  tmp_path: Path) -> None:
    first = make_ref(run="run/a")
    second = make_ref(run="run/b", visit=int(first.data_id["visit"]))  # another directory, the same file name
    delivered = [source(tmp_path, "a.json", {"n": 1}), source(tmp_path, "b.json", {"n": 2})]
    with open_store(desdm_sqlite) as store, pytest.raises(BadFileError, match="Duplicate file"):
        store.ingest([IngestRequest(str(delivered[0]), first), IngestRequest(str(delivered[1]), second)],
                     TransferMode.COPY)
    assert files_under(backup_root) == []
    assert [row["UNIQ_FULLNAME"].rsplit(".", 1)[0] for row in rows(desdm_sqlite, "DTS_BAD_FILE")
            if row["REJECTED_MSG"] == "Duplicate file" and row["ORIG_FILENAME"] == archive_name(first)] == [
        f"run/b/{first.dataset_type.name}/{archive_name(first)}"]


def changing_source(real: Callable[..., Any]) -> Callable[..., Any]:
    """A copy function that finds its source changed since the gateway summed it (a writer still at work)."""
    def copy(source: str, target: Target, **kwargs: Any) -> Any:
        with open(source, "ab") as stream:
            stream.write(b" ")
        return real(source, target, **kwargs)
    return copy


def corrupting_copy(real: Callable[..., Any]) -> Callable[..., Any]:
    """A copy function whose copy is damaged on its way to the disk, after the bytes were hashed."""
    def copy(source: str, target: Target, **kwargs: Any) -> Any:
        result = real(source, target, **kwargs)
        fd = os.open(target.name, os.O_WRONLY, dir_fd=target.dir_fd)
        try:
            os.pwrite(fd, b"#", 0)
        finally:
            os.close(fd)
        return result
    return copy


@pytest.mark.parametrize("fault", [changing_source, corrupting_copy], ids=["source-changed", "copy-damaged"])
def test_a_checksum_changing_in_the_copy_refuses_the_file_and_undoes_the_batch(
        desdm_sqlite: DesdmDatabase, backup_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        fault: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    fine, changing = make_ref(), make_ref()
    fine_file = source(tmp_path, "fine.json", {"n": 1})
    changing_file = source(tmp_path, "changing.json", {"n": 2})
    real = copy_file  # what the posix datastore calls to copy: replaced there, in its module
    monkeypatch.setattr(posix_datastore, "copy_file",
                        lambda src, target, **kw: (fault(real) if src == str(changing_file) else real)(src, target,
                                                                                                       **kw))
    with open_store(desdm_sqlite) as store, pytest.raises(BadFileError, match="Checksum changed in the copy"):
        store.ingest([IngestRequest(str(fine_file), fine), IngestRequest(str(changing_file), changing)],
                     TransferMode.COPY)
    assert files_under(backup_root) == [], "the refused copy and the batch's earlier copies are deleted"
    assert fine_file.exists() and changing_file.exists()
    (bad,) = [row for row in rows(desdm_sqlite, "DTS_BAD_FILE") if row["ORIG_FILENAME"] == archive_name(changing)]
    assert bad["REJECTED_MSG"].startswith("Checksum changed in the copy (before: md5:")
    assert bad["FILETYPE"] == changing.dataset_type.name


@pytest.mark.parametrize("data_id", [{"instrument": "..", "visit": 1}, {"instrument": ".", "visit": 1}],
                         ids=["dot-dot", "dot"])
def test_a_data_id_value_leading_out_of_the_archive_is_refused(desdm_sqlite: DesdmDatabase, backup_root: Path,
                                                               tmp_path: Path, data_id: dict[str, Any]) -> None:
    ref = make_ref()
    escaping = DatasetRef(ref.dataset_type, type(ref.data_id)(data_id), run=ref.run)
    outside_before = files_under(backup_root.parent)
    bad_before = rows(desdm_sqlite, "DTS_BAD_FILE")
    delivered = source(tmp_path, "x.json", {"x": 1})
    with open_store(desdm_sqlite, pattern="{run}/{instrument}/{dataset_type}_{data_id}") as store:
        with pytest.raises(PathTemplateError):
            store.ingest([IngestRequest(str(delivered), escaping)], TransferMode.COPY)
        with pytest.raises(PathTemplateError):
            store.put([({"x": 1}, escaping)])
    assert files_under(backup_root.parent) == outside_before, "nothing written in or beside the archive"
    assert rows(desdm_sqlite, "DTS_BAD_FILE") == bad_before, "a refused path is not a delivered bad file"


def test_a_slash_in_a_data_id_value_stays_inside_one_archive_directory(desdm_sqlite: DesdmDatabase,
                                                                       backup_root: Path) -> None:
    # Key values may contain '/' (skymap 'discrete/ci_hsc'); even one that validation would refuse
    # ('../up') is percent-encoded into one path component, so nothing lands beside the archive.
    ref = make_ref()
    slashed = DatasetRef(ref.dataset_type, type(ref.data_id)({"instrument": "../up", "visit": 1}), run=ref.run)
    outside_before = set(files_under(backup_root.parent)) - set(files_under(backup_root))
    inside_before = set(files_under(backup_root))
    with open_store(desdm_sqlite, pattern="{run}/{instrument}/{dataset_type}_{data_id}") as store:
        store.put([({"x": 1}, slashed)])
    [written] = set(files_under(backup_root)) - inside_before
    assert written.parent.name == "..%2Fup"
    assert set(files_under(backup_root.parent)) - set(files_under(backup_root)) == outside_before


def test_a_run_leading_out_of_the_archive_is_refused(desdm_sqlite: DesdmDatabase, backup_root: Path) -> None:
    ref = make_ref(run="../../escaped")
    outside_before = files_under(backup_root.parent.parent)
    with open_store(desdm_sqlite) as store, pytest.raises(PathTemplateError):
        store.put([({"x": 1}, ref)])
    assert files_under(backup_root.parent.parent) == outside_before


def test_links_and_direct_ingest_are_refused(desdm_sqlite: DesdmDatabase, tmp_path: Path) -> None:
    with open_store(desdm_sqlite) as store:
        assert store.ingest_modes == {TransferMode.COPY, TransferMode.MOVE, TransferMode.AUTO}


def test_the_rejection_is_recorded_by_the_pipeline_writer_on_postgresql(desdm_postgres: DesdmDatabase,
                                                                         tmp_path: Path) -> None:
    duplicate = make_ref()
    catalog_desfile(desdm_postgres, archive_name(duplicate))
    desfile_before = rows(desdm_postgres, "DESFILE")
    root = Path(desdm_postgres.catalog.roots[BACKUP_ARCHIVE])
    with open_store(desdm_postgres) as store, pytest.raises(BadFileError, match="recorded in DTS_BAD_FILE"):
        store.ingest([IngestRequest(str(source(tmp_path, "d.json", {})), duplicate)], TransferMode.COPY)
    assert files_under(root) == []
    assert rows(desdm_postgres, "DESFILE") == desfile_before
    assert [row["REJECTED_MSG"] for row in rows(desdm_postgres, "DTS_BAD_FILE")
            if row["ORIG_FILENAME"] == archive_name(duplicate)] == ["Duplicate file"]


# -- through the Butler -----------------------------------------------------------------------------


def dbb_butler(desdm: DesdmDatabase, root: Path) -> Butler:
    """A Butler on a SQL registry and the DBB datastore of the backup archive, with a dataset type ``table``."""
    butler = Butler.create(root, config={
        "registry": {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3"},
        "datastore": {"adapter": "dbb", "url": desdm.url, "archive": BACKUP_ARCHIVE}})
    butler.registry.insert_data_units("instrument", [{"name": "DECam", "detector_max": 62}])
    butler.registry.insert_data_units("detector", [{"instrument": "DECam", "id": d} for d in (1, 2)])
    butler.registry.register_dataset_type(DatasetType("table", ("instrument", "detector"), "StructuredData"))
    return butler


def test_a_butler_ingest_of_a_duplicate_leaves_only_the_rejection(desdm_sqlite: DesdmDatabase, backup_root: Path,
                                                                   tmp_path: Path) -> None:
    butler = dbb_butler(desdm_sqlite, tmp_path / "repo")
    catalog_desfile(desdm_sqlite, "table_instrument=DECam_detector=2.json")
    data_ids: list[dict[str, Any]] = [{"instrument": "DECam", "detector": d} for d in (1, 2)]
    delivered = [FileDataset(str(source(tmp_path, f"{i['detector']}.json", {"d": i["detector"]})), "table", i)
                 for i in data_ids]
    with pytest.raises(BadFileError):
        butler.ingest(delivered, run="ingest/run")
    assert butler.registry.query_collections() == [], "the run the failed ingest registered is rolled back"
    assert files_under(backup_root) == []
    assert [row["ORIG_FILENAME"] for row in rows(desdm_sqlite, "DTS_BAD_FILE")
            if row["REJECTED_MSG"] == "Duplicate file"][-1] == "table_instrument=DECam_detector=2.json"
    # The rest of the delivery goes in once the duplicate is left out.
    refs = butler.ingest(delivered[:1], run="ingest/run")
    assert butler.get(refs[0]) == {"d": 1}
    assert [p.name for p in files_under(backup_root)] == ["table_instrument=DECam_detector=1.json"]
