"""Tables through a Butler: put and get with columns, filters and components, on local files and on S3 (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, DatasetType
from databutler.adapters.objectstore import datastore as objectstore_module
from databutler.domain import MissingCollectionError, StorageClassError
from databutler.testing.s3 import S3Fixtures, S3Server, s3_filesystem

pa = pytest.importorskip("pyarrow")
pandas = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

ROWS, COLUMNS = 50_000, 50


def wide_frame() -> Any:
    """50,000 rows x 50 columns of random floats (20 MB), indexed by objectId."""
    rng = np.random.default_rng(5)
    data = {f"c{i}": rng.random(ROWS) for i in range(COLUMNS)}
    return pandas.DataFrame(data, index=pandas.Index(np.arange(ROWS) * 3, name="objectId"))


def prepared(butler: Butler) -> Butler:
    butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
    butler.registry.register_dataset_type(DatasetType("objects", ("instrument",), "DataFrame"))
    butler.registry.register_dataset_type(DatasetType("sources", ("instrument",), "ArrowTable"))
    return butler


def stored_files(butler: Butler) -> list[str]:
    return sorted(a.uri for a in butler.datastore.list_artifacts())


class TablesThroughAButler:
    """Behaviour every datastore shows; subclasses give a ``butler`` fixture."""

    def test_put_then_get_whole_sliced_and_components(self, butler: Butler) -> None:
        frame = wide_frame()
        ref = butler.put(frame, "objects", instrument="Cam1")
        assert butler.uri(ref).endswith(".parq")
        pandas.testing.assert_frame_equal(butler.get(ref), frame)
        part = butler.get("objects", instrument="Cam1", parameters={"columns": ["c3", "c40"]})
        pandas.testing.assert_frame_equal(part, frame[["c3", "c40"]])
        rows = butler.get(ref, parameters={"columns": ["c1"], "filters": [("c1", "<", 0.01)]})
        pandas.testing.assert_frame_equal(rows, frame.loc[frame["c1"] < 0.01, ["c1"]])
        assert butler.get("objects.rowcount", instrument="Cam1") == ROWS
        assert butler.get(ref, component="columns").names[:2] == ["c0", "c1"]

    def test_bad_reads_and_puts_change_nothing(self, butler: Butler) -> None:
        table = pa.table({"ra": [1.0, 2.0], "dec": [3.0, 4.0]})
        ref = butler.put(table, "sources", instrument="Cam1")
        before = stored_files(butler)
        with pytest.raises(StorageClassError, match=r"no column 'decl'; did you mean 'dec'"):
            butler.get(ref, parameters={"columns": ["decl"]})
        with pytest.raises(StorageClassError, match=r"has no component 'schema'"):
            butler.get(ref, component="schema")
        with pytest.raises(StorageClassError, match=r"expects one of \['pyarrow.lib.Table'\]"):
            butler.put(table.to_pandas(), "sources", instrument="Cam1", run="other")
        assert butler.get(ref).equals(table)
        assert stored_files(butler) == before
        assert len(list(butler.registry.query_datasets("sources", ["run"]))) == 1
        with pytest.raises(MissingCollectionError):  # the refused put did not even create its run
            list(butler.registry.query_datasets("sources", ["other"]))


class TestTablesOnLocalFiles(TablesThroughAButler):
    @pytest.fixture
    def butler(self, tmp_path: Path) -> Iterator[Butler]:
        with Butler.create(tmp_path / "repo", run="run") as butler:
            yield prepared(butler)


class TestTablesOnS3(TablesThroughAButler, S3Fixtures):
    @pytest.fixture
    def butler(self, tmp_path: Path, s3_bucket: str) -> Iterator[Butler]:
        config = {"datastore": {"adapter": "objectstore", "root": f"{s3_bucket}/repo",
                                "storage_options": {"endpoint_url": "${AWS_ENDPOINT_URL}"}}}
        with Butler.create(tmp_path / "repo", config, run="run") as butler:
            yield prepared(butler)

    def test_a_large_object_is_read_whole_through_the_verifying_stream(
            self, butler: Butler, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(objectstore_module, "IN_MEMORY_LIMIT", 1024)  # objects above it are streamed
        frame = wide_frame()
        ref = butler.put(frame, "objects", instrument="Cam1")
        pandas.testing.assert_frame_equal(butler.get(ref), frame)
        assert butler.verify([ref]) == {}

    def test_two_of_fifty_columns_fetch_a_fraction_of_the_object(self, butler: Butler, s3_server: S3Server) -> None:
        frame = wide_frame()
        ref = butler.put(frame, "objects", instrument="Cam1")
        key = butler.uri(ref).removeprefix("s3://").partition("/")[2]
        size = s3_filesystem().size(butler.uri(ref))
        since = len(s3_server.log)
        part = butler.get(ref, parameters={"columns": ["c3", "c40"]})
        fetched = s3_server.bytes_sent(key, since)
        pandas.testing.assert_frame_equal(part, frame[["c3", "c40"]])
        three_columns = 3 * ROWS * 8  # c3, c40 and the objectId index
        assert three_columns < fetched < size / 8, f"{fetched} bytes fetched of a {size}-byte object"
        assert all(r.range for r in s3_server.log[since:] if r.method == "GET" and r.path.endswith(key))
        since = len(s3_server.log)
        assert butler.get(ref, component="rowcount") == ROWS
        assert s3_server.bytes_sent(key, since) <= 320 << 10  # the footer (and one read-ahead block)


def test_a_table_reads_as_another_view_of_the_same_bytes(tmp_path: Path) -> None:
    """Read-time conversion: a DataFrame dataset read as an ArrowTable and as an AstropyTable."""
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("astropy")
    butler = Butler.create(tmp_path / "repo", run="run")
    butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
    butler.registry.register_dataset_type(DatasetType("frame", ("instrument",), "DataFrame"))
    frame = pd.DataFrame({"id": [1, 2, 3], "ra": [0.5, 1.5, 2.5]})
    butler.put(frame, "frame", instrument="Cam1")
    arrow = butler.get("frame", instrument="Cam1", storage_class="ArrowTable")
    assert isinstance(arrow, pa.Table) and arrow.column("ra").to_pylist() == [0.5, 1.5, 2.5]
    astro = butler.get("frame", instrument="Cam1", storage_class="AstropyTable", parameters={"columns": ["id"]})
    assert list(astro.colnames) == ["id"] and list(astro["id"]) == [1, 2, 3]
    assert butler.get("frame", instrument="Cam1").equals(frame)
