"""The DBB registry on a Data Backbone catalog that production filled: its files, tags and provenance as
databutler sees them, what databutler writes as production reads it, and bad input refused with nothing written.

The catalog is the DESDM test database (``databutler.testing.desdm``): raw exposures delivered
outside any attempt, finalcut attempts (some failed) writing background maps and PSF models per CCD,
coadd attempts, PROCTAG tags, TASK/OPM provenance, and the files themselves under the archive root.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from databutler import Butler, DatasetType
from databutler.adapters.dbb import DbbRegistry, make_registry
from databutler.adapters.dbb.ids import file_id_of
from databutler.config.universe import default_universe
from databutler.domain import Quantum
from databutler.domain.collection import CollectionKind
from databutler.domain.errors import (
    BadFileError,
    ConfigError,
    DatasetTypeError,
    RegistryError,
)
from databutler.service.file_dataset import FileDataset
from databutler.testing.desdm import HOME_ARCHIVE, DesdmDatabase, table
from databutler.testing.postgres import PostgresServer

UNITS = {"CAMSYM": "instrument", "EXPNUM": "exposure", "CCDNUM": "detector", "BAND": "band", "NITE": "day_obs"}
RED_BKG = DatasetType("red_bkg", ("instrument", "exposure", "detector"), "Bytes")
PSF = DatasetType("psfex_model", ("instrument", "exposure", "detector"), "Bytes")
RAW = DatasetType("raw", ("instrument", "exposure"), "Bytes")
EXPOSURE_1: dict[str, str | int] = {"instrument": "D", "exposure": 1}
Rows = list[dict[str, Any]]


def config(desdm: DesdmDatabase, url: str | None = None, **registry: Any) -> dict[str, Any]:
    """butler.yaml of a repository on the catalog: both adapters in the home archive."""
    url = url or desdm.url
    return {"registry": {"adapter": "dbb", "url": url, "namespace": desdm.schema, "units": UNITS,
                         "archive": HOME_ARCHIVE, "reqnum": 9001, **registry},
            "datastore": {"adapter": "dbb", "url": url, "namespace": desdm.schema, "archive": HOME_ARCHIVE}}


def placeholder(url: str, variable: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``url`` with its password read from environment variable ``variable`` (butler.yaml never holds one)."""
    parsed = sa.make_url(url)
    monkeypatch.setenv(variable, parsed.password or "")
    rendered = parsed.set(password="PLACEHOLDER").render_as_string(hide_password=False)
    return rendered.replace("PLACEHOLDER", "${" + variable + "}")


def rows(desdm: DesdmDatabase, name: str, **where: Any) -> Rows:
    """The rows of DESDM table ``name`` (matching ``where``), read as the owner."""
    target = table(desdm.metadata(), name)
    engine = desdm.engine()
    try:
        with engine.connect() as connection:
            query = sa.select(target).where(*(target.c[k] == v for k, v in where.items()))
            return [dict(row._mapping) for row in connection.execute(query)]
    finally:
        engine.dispose()


def counts(desdm: DesdmDatabase) -> dict[str, int]:
    """How many rows each DESDM table holds."""
    names = ("DESFILE", "FILE_ARCHIVE_INFO", "MISCFILE", "EXPOSURE", "PFW_ATTEMPT", "PROCTAG", "TASK", "OPM_USED",
             "OPS_FILETYPE", "OPS_FILETYPE_METADATA", "DTS_BAD_FILE")
    return {name: len(rows(desdm, name)) for name in names}


@pytest.fixture
def production(desdm_sqlite: DesdmDatabase, tmp_path: Path) -> Iterator[Butler]:
    """A Butler on the filled catalog: side tables created, production's file types adopted as DatasetTypes."""
    butler = Butler.create(tmp_path / "repo", config=config(desdm_sqlite))
    for dataset_type in (RED_BKG, PSF, RAW):
        butler.registry.register_dataset_type(dataset_type)
    yield butler
    butler.close()


def first_good_attempt(desdm: DesdmDatabase) -> dict[str, Any]:
    """The first finalcut attempt that made files."""
    return next(a for a in sorted(rows(desdm, "PFW_ATTEMPT"), key=lambda a: a["ID"])
                if a["DATA_STATE"] == "ACTIVE" and a["REQNUM"] == 1001)


def run_name(attempt: dict[str, Any]) -> str:
    """The collection name of a production attempt."""
    return f"{attempt['UNITNAME']}_r{attempt['REQNUM']}p{attempt['ATTNUM']:02d}"


# -- production's rows as databutler's concepts ------------------------------------------------------


def test_production_files_are_datasets_found_by_data_id_and_read_from_the_archive(
        production: Butler, desdm_sqlite: DesdmDatabase) -> None:
    attempt = first_good_attempt(desdm_sqlite)
    (label,) = rows(desdm_sqlite, "MISCFILE", PFW_ATTEMPT_ID=attempt["ID"], FILETYPE="red_bkg", CCDNUM=2)
    data_id = {"instrument": "D", "exposure": label["EXPNUM"], "detector": 2}
    ref = production.registry.find_datasets("red_bkg", [data_id], [run_name(attempt)])[0]
    assert ref is not None and ref.run == run_name(attempt)
    assert ref.data_id.implied["band"] == label["BAND"] and ref.data_id.implied["day_obs"] == int(label["NITE"])
    (desfile,) = rows(desdm_sqlite, "DESFILE", ID=file_id_of(ref.id))
    (info,) = rows(desdm_sqlite, "FILE_ARCHIVE_INFO", DESFILE_ID=desfile["ID"])
    path = os.path.join(desdm_sqlite.catalog.roots[HOME_ARCHIVE], info["PATH"],
                        desfile["FILENAME"] + (desfile["COMPRESSION"] or ""))
    content = production.get("red_bkg", data_id, collections=[run_name(attempt)])
    assert content == Path(path).read_bytes() and hashlib.md5(content).hexdigest() == desfile["MD5SUM"]


def test_attempts_are_runs_tags_are_collections_and_where_works_over_metadata_columns(
        production: Butler, desdm_sqlite: DesdmDatabase) -> None:
    registry = production.registry
    catalog = desdm_sqlite.catalog
    kinds = {c.name: c.kind for c in registry.query_collections()}
    assert {kinds[tag] for tag in catalog.tags} == {CollectionKind.TAGGED}
    assert sum(kind is CollectionKind.RUN for kind in kinds.values()) == catalog.attempts + 1  # + delivered
    everything = list(registry.query_datasets("red_bkg", ["Y2A1_FINALCUT"]))
    assert len(everything) == catalog.exposures * catalog.ccds
    ccd3 = list(registry.query_datasets("red_bkg", ["Y2A1_FINALCUT"], where="detector = 3 AND band IN ('g', 'r')"))
    bands = {r["BAND"] for r in rows(desdm_sqlite, "MISCFILE", FILETYPE="red_bkg", CCDNUM=3)}
    assert ccd3 and all(r.data_id["detector"] == 3 and r.data_id.implied["band"] in ("g", "r") for r in ccd3)
    assert len(ccd3) == sum(1 for r in rows(desdm_sqlite, "MISCFILE", FILETYPE="red_bkg", CCDNUM=3)
                            if r["BAND"] in ("g", "r")), bands
    half = list(registry.query_datasets("red_bkg", ["Y2A1_FINALCUT_TEST"]))
    assert 0 < len(half) < len(everything)
    raws = list(registry.query_datasets("raw", ["delivered"], where="exposure > 0"))
    assert len(raws) == catalog.exposures


def test_production_provenance_reads_as_quanta(production: Butler, desdm_sqlite: DesdmDatabase) -> None:
    registry = production.registry
    attempt = first_good_attempt(desdm_sqlite)
    model = next(iter(registry.query_datasets("psfex_model", [run_name(attempt)], where="detector = 1")))
    (quantum,) = registry.find_quanta(output=model.id)
    (raw,) = registry.find_datasets("raw", [{"instrument": "D", "exposure": model.data_id["exposure"]}],
                                    ["delivered"])
    assert raw is not None and quantum.inputs == (raw.id,)
    assert model.id in quantum.outputs and quantum.task == "exec"
    assert quantum.run == run_name(attempt)
    users = registry.find_quanta(input=raw.id)
    assert quantum in users and len(users) == desdm_sqlite.catalog.ccds


# -- databutler's writes as production reads them ----------------------------------------------------


def test_a_put_leaves_the_rows_production_writes(production: Butler, desdm_sqlite: DesdmDatabase) -> None:
    attempt = first_good_attempt(desdm_sqlite)
    (label,) = rows(desdm_sqlite, "MISCFILE", PFW_ATTEMPT_ID=attempt["ID"], FILETYPE="red_bkg", CCDNUM=1)
    registry = production.registry
    assert registry.fetch_data_unit_records("detector", [{"instrument": "D", "id": 1}])  # adopted at creation
    data_id = {"instrument": "D", "exposure": label["EXPNUM"], "detector": 1}
    ref = production.put(b"reprocessed background", "red_bkg", data_id, run="u/alice/rerun")
    (desfile,) = rows(desdm_sqlite, "DESFILE", ID=desdm_id(production, ref.id))
    (attempt_row,) = rows(desdm_sqlite, "PFW_ATTEMPT", ID=desfile["PFW_ATTEMPT_ID"])
    assert (attempt_row["REQNUM"], attempt_row["UNITNAME"], attempt_row["ATTNUM"]) == (9001, "u/alice/rerun", 1)
    assert desfile["MD5SUM"] == hashlib.md5(b"reprocessed background").hexdigest() and desfile["FILESIZE"] == 22
    assert desfile["FILETYPE"] == "red_bkg" and desfile["MODULE_CREATED_BY"] == "databutler"
    (info,) = rows(desdm_sqlite, "FILE_ARCHIVE_INFO", DESFILE_ID=desfile["ID"])
    on_disk = Path(desdm_sqlite.catalog.roots[HOME_ARCHIVE], info["PATH"], info["FILENAME"])
    assert info["ARCHIVE_NAME"] == HOME_ARCHIVE and on_disk.read_bytes() == b"reprocessed background"
    (label_row,) = rows(desdm_sqlite, "MISCFILE", FILENAME=desfile["FILENAME"])
    assert (label_row["CAMSYM"], label_row["EXPNUM"], label_row["CCDNUM"]) == ("D", label["EXPNUM"], 1)
    quantum = Quantum("subtract", "u/alice/rerun", None, inputs=[production.registry.find_datasets(
        "red_bkg", [data_id], [run_name(attempt)])[0].id], outputs=[ref.id])  # type: ignore[union-attr]
    registry.insert_quanta([quantum])
    registry.insert_quanta([quantum])  # provenance inserts are idempotent
    (task,) = rows(desdm_sqlite, "TASK", NAME="subtract")
    assert rows(desdm_sqlite, "DESFILE", ID=desfile["ID"])[0]["WGB_TASK_ID"] == task["ID"]
    assert len(rows(desdm_sqlite, "OPM_USED", TASK_ID=task["ID"])) == 1
    assert registry.get_quanta([quantum.id]) == [registry.get_quanta([quantum.id])[0]]


def desdm_id(butler: Butler, dataset_id: Any) -> int:
    """The DESFILE.ID of a dataset databutler wrote."""
    registry = butler.registry
    assert isinstance(registry, DbbRegistry)
    with registry._reading() as connection:
        return registry._datasets.desfile_ids(connection, [dataset_id])[dataset_id]


# -- bad input: refused, nothing written -----------------------------------------------------------


def test_a_metadata_column_mapped_to_an_unknown_data_unit_is_refused(desdm_sqlite: DesdmDatabase,
                                                                    tmp_path: Path) -> None:
    before = counts(desdm_sqlite)
    with pytest.raises(ConfigError, match=r"EXPNUM.*'exposures'.*exposure"):
        Butler.create(tmp_path / "repo", config=config(desdm_sqlite, units={**UNITS, "EXPNUM": "exposures"}))
    assert counts(desdm_sqlite) == before


def test_an_archive_not_in_ops_archive_is_refused(desdm_sqlite: DesdmDatabase, tmp_path: Path) -> None:
    before = counts(desdm_sqlite)
    with pytest.raises(ConfigError, match=r"desar2hom.*desar2home"):
        make_registry(config(desdm_sqlite, archive="desar2hom")["registry"], universe=None, create=False,
                      writeable=True)
    assert counts(desdm_sqlite) == before


def test_a_database_without_the_desdm_tables_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    with pytest.raises(RegistryError, match="not a Data Backbone catalog"):
        Butler.create(tmp_path / "repo", config={"registry": {"adapter": "dbb", "url": url}})


def test_a_file_type_with_no_metadata_table_is_refused(production: Butler, desdm_sqlite: DesdmDatabase) -> None:
    engine = desdm_sqlite.engine()
    with engine.begin() as connection:
        connection.execute(sa.insert(table(desdm_sqlite.metadata(), "OPS_FILETYPE")).values(
            FILETYPE="log", METADATA_TABLE=None, DESCRIPTION="processing log"))
    engine.dispose()
    before = counts(desdm_sqlite)
    with pytest.raises(DatasetTypeError, match="'log' has no metadata table"):
        production.registry.register_dataset_type(DatasetType("log", ("instrument",), "Bytes"))
    assert counts(desdm_sqlite) == before
    assert "log" not in {t.name for t in production.registry.query_dataset_types()}


def test_a_file_type_whose_table_lacks_a_data_unit_is_refused(production: Butler, desdm_sqlite: DesdmDatabase) -> None:
    before = counts(desdm_sqlite)
    with pytest.raises(DatasetTypeError,
                       match=r"coadd_head_scamp.*MISCFILE.*\['skymap', 'tract'\].*'detector': 'CCDNUM'"):
        production.registry.register_dataset_type(DatasetType("coadd_head_scamp", ("skymap", "tract"), "Bytes"))
    assert counts(desdm_sqlite) == before


def test_a_duplicate_delivery_is_recorded_as_bad_and_nothing_else_is_written(desdm_sqlite: DesdmDatabase,
                                                                            tmp_path: Path) -> None:
    """Registry and datastore on one SQLite file: the rejection is recorded once the ingest has rolled back."""
    settings = config(desdm_sqlite)
    settings["datastore"]["pattern"] = "raw/{dataset_type}_{data_id}"  # as DTS files raw data: one name per exposure
    butler = Butler.create(tmp_path / "repo", config=settings)
    butler.registry.register_dataset_type(RAW)
    butler.registry.insert_data_units("exposure", [{"instrument": "D", "id": 1}])
    delivered = tmp_path / "delivered.fits"
    delivered.write_bytes(b"first delivery")
    butler.ingest([FileDataset(str(delivered), "raw", EXPOSURE_1)], run="dts/night1")
    (first,) = rows(desdm_sqlite, "DESFILE", FILETYPE="raw", MODULE_CREATED_BY="databutler")
    delivered.write_bytes(b"the same exposure again")
    before = counts(desdm_sqlite)
    with pytest.raises(BadFileError, match="Duplicate file"):
        butler.ingest([FileDataset(str(delivered), "raw", EXPOSURE_1)], run="dts/night2")
    after = counts(desdm_sqlite)
    assert after.pop("DTS_BAD_FILE") == before.pop("DTS_BAD_FILE") + 1
    assert after == before, "no DESFILE, metadata, attempt or task row of the refused delivery"
    assert "dts/night2" not in {c.name for c in butler.registry.query_collections()}
    (bad,) = rows(desdm_sqlite, "DTS_BAD_FILE", ORIG_FILENAME=first["FILENAME"])
    assert bad["REJECTED_MSG"] == "Duplicate file" and bad["FILETYPE"] == "raw"
    assert butler.get("raw", {"instrument": "D", "exposure": 1}, collections=["dts/night1"]) == b"first delivery"
    butler.close()


# -- PostgreSQL, as a pipeline writer ----------------------------------------------------------------


def test_a_pipeline_writer_on_postgresql_puts_and_reads_but_cannot_define_file_types(
        desdm_postgres: DesdmDatabase, postgres_server: PostgresServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert desdm_postgres.schema is not None and desdm_postgres.writer is not None
    assert desdm_postgres.writer_url is not None
    owner_url = placeholder(desdm_postgres.url, "DBB_OWNER_PASSWORD", monkeypatch)
    writer_url = placeholder(desdm_postgres.writer_url, "DBB_WRITER_PASSWORD", monkeypatch)
    # An operator creates the side tables and adopts the file types; the pipeline writer uses them.
    owner = Butler.create(tmp_path / "owner", config=config(desdm_postgres, url=owner_url))
    for dataset_type in (RED_BKG, RAW):
        owner.registry.register_dataset_type(dataset_type)
    assert isinstance(owner.registry, DbbRegistry)
    postgres_server.execute(*owner.registry.writer_grants(desdm_postgres.writer.name),
                            database=sa.make_url(desdm_postgres.url).database)
    owner.close()
    writer_root = tmp_path / "writer"  # the pipeline's own repository directory on the same catalog
    writer_root.mkdir()
    written = yaml.safe_load((tmp_path / "owner" / "butler.yaml").read_text())
    written["registry"]["url"] = written["datastore"]["url"] = writer_url
    (writer_root / "butler.yaml").write_text(yaml.safe_dump(written))
    butler = Butler(writer_root)
    attempt = first_good_attempt(desdm_postgres)
    (label,) = rows(desdm_postgres, "MISCFILE", PFW_ATTEMPT_ID=attempt["ID"], FILETYPE="red_bkg", CCDNUM=1)
    data_id = {"instrument": "D", "exposure": label["EXPNUM"], "detector": 1}
    assert butler.get("red_bkg", data_id, collections=[run_name(attempt)])
    ref = butler.put(b"writer's own", "red_bkg", data_id, run="pipeline/run1")
    assert butler.get(ref) == b"writer's own"
    before = counts(desdm_postgres)
    with pytest.raises(RegistryError, match="permission denied"):
        butler.registry.register_dataset_type(DatasetType("new_type", ("instrument",), "Bytes"))
    assert counts(desdm_postgres) == before
    butler.close()


# -- the example configuration -----------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dbb" / "butler.yaml"


def test_the_example_configuration_creates_a_repository_with_the_cli(
        desdm_postgres: DesdmDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/dbb/butler.yaml as shipped, but for where the database is: create, then find production's files."""
    from click.testing import CliRunner

    from databutler.cli.main import cli

    owner = sa.make_url(desdm_postgres.url)
    monkeypatch.setenv("DBB_USER", owner.username or "")
    monkeypatch.setenv("DBB_PASSWORD", owner.password or "")
    text = EXAMPLE.read_text().replace("desdb.example.org/desoper", f"{owner.host}:{owner.port}/{owner.database}")
    example = yaml.safe_load(text)
    assert desdm_postgres.schema is not None
    for section in ("registry", "datastore"):
        example[section]["namespace"] = desdm_postgres.schema
    config_file = tmp_path / "dbb.yaml"
    config_file.write_text(yaml.safe_dump(example))
    result = CliRunner().invoke(cli, ["create", str(tmp_path / "prod"), "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    butler = Butler(tmp_path / "prod")
    butler.registry.register_dataset_type(RED_BKG)
    attempt = first_good_attempt(desdm_postgres)
    found = list(butler.registry.query_datasets("red_bkg", [run_name(attempt)], where="detector = 1"))
    assert len(found) == 1 and butler.get(found[0]).startswith(b"D")
    butler.close()


def test_the_operators_index_statements_run_twice_and_change_no_answer(
        production: Butler, desdm_sqlite: DesdmDatabase, caplog: pytest.LogCaptureFixture) -> None:
    registry = production.registry
    assert isinstance(registry, DbbRegistry)
    statements = registry.index_statements()
    assert registry.index_statements(missing_only=True) == statements
    with caplog.at_level("WARNING"):
        make_registry(config(desdm_sqlite)["registry"], universe=None, create=False, writeable=False).close()
    assert f"lacks {len(statements)} indexes" in caplog.text and "index_statements()" in caplog.text
    assert any("ON MISCFILE (EXPNUM, CCDNUM, CAMSYM)" in s for s in statements), statements
    assert any("ON DESFILE (PFW_ATTEMPT_ID)" in s for s in statements), statements
    attempt = first_good_attempt(desdm_sqlite)
    before = sorted(r.id for r in registry.query_datasets("red_bkg", [run_name(attempt), "Y2A1_FINALCUT"]))
    engine = desdm_sqlite.engine()
    try:
        for _ in range(2):  # IF NOT EXISTS: an operator may run them again
            with engine.begin() as connection:
                for statement in statements:
                    connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
    assert registry.index_statements(missing_only=True) == []
    assert sorted(r.id for r in registry.query_datasets("red_bkg", [run_name(attempt), "Y2A1_FINALCUT"])) == before
    data_ids = [{"instrument": "D", "exposure": r["EXPNUM"], "detector": r["CCDNUM"]}
                for r in rows(desdm_sqlite, "MISCFILE", FILETYPE="red_bkg")]
    found = registry.find_datasets("red_bkg", data_ids, ["Y2A1_FINALCUT", "Y2A1_FINALCUT_TEST"])
    assert all(ref is not None for ref in found) and len({ref.id for ref in found if ref}) == len(data_ids)


def test_two_writers_of_one_data_id_in_one_run_on_postgresql_leave_one_dataset(desdm_postgres: DesdmDatabase,
                                                                              tmp_path: Path) -> None:
    """DESDM has no unique key for (file type, attempt, DataId): the second writer waits, then is refused."""
    from databutler.domain.errors import ConflictingDefinitionError
    from databutler.testing.waiting import Waiting

    section = config(desdm_postgres)["registry"]
    first = make_registry(section, universe=default_universe(), create=True, writeable=True)
    second = make_registry(section, universe=None, create=False, writeable=True)
    try:
        first.register_dataset_type(RED_BKG)
        first.register_collection("race", CollectionKind.RUN)
        label = rows(desdm_postgres, "MISCFILE", FILETYPE="red_bkg")[0]
        data_id = {"instrument": "D", "exposure": label["EXPNUM"], "detector": label["CCDNUM"]}
        with first.transaction():
            first.insert_datasets("red_bkg", "race", [data_id])
            other = Waiting(lambda: second.insert_datasets("red_bkg", "race", [data_id]), "the second writer")
        outcome = [other.outcome()]
        assert len(outcome) == 1 and isinstance(outcome[0], ConflictingDefinitionError), outcome
        assert len(list(first.query_datasets("red_bkg", ["race"]))) == 1
    finally:
        second.close()
        first.close()


def test_a_batch_find_lists_its_keys_in_the_statement_on_a_database_without_json_or_arrays(
        production: Butler, desdm_sqlite: DesdmDatabase) -> None:
    """The fallback for other databases (Oracle, where DESDM lives) gives the answers the bound forms give."""
    registry = production.registry
    assert isinstance(registry, DbbRegistry)
    labels = rows(desdm_sqlite, "MISCFILE", FILETYPE="red_bkg")[:5]
    keys = [("D", r["CCDNUM"], r["EXPNUM"]) for r in labels]
    with registry._reading() as connection:
        record = registry._types.find(connection, "red_bkg")
        assert record is not None and record.definition.units == ("instrument", "detector", "exposure")
        search = list(registry._runs.find(connection, ["Y2A1_FINALCUT"]).values())
        answers = {}
        for dialect in ("sqlite", "a database with neither"):
            statement, parameters = registry._datasets._statement(dialect, record, search, keys)
            answers[dialect] = sorted(tuple(row[u] for u in record.definition.units)
                                      for row in connection.execute(statement, parameters).mappings())
    assert answers["sqlite"] == answers["a database with neither"] == sorted(keys)
