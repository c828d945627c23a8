"""Composites written in parts: the ``disassemble`` option, the layout, assemblers, and what the DBB catalog records.

The behaviour every adapter owes (parts per component, reassembly, verify, orphans, removal, transfer)
is in the contract suites (``databutler.testing.datastore_disassembly`` and ``butler_disassembly``);
these are the parts that are one adapter's or one option's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from databutler import Butler, DatasetType
from databutler.adapters.chained import ChainedDatastore, Child
from databutler.adapters.files.disassembly import Disassembly, disassemble_option
from databutler.adapters.formats import default_formatter_set
from databutler.adapters.posix import PosixDatastore, make_datastore
from databutler.domain import StorageClassRegistry
from databutler.domain.errors import ConfigError, DatastoreError, StorageClassError
from databutler.ports.assembler import AssemblerSet, MappingAssembler, default_assembler_set
from databutler.ports.capabilities import DatastoreCapability
from databutler.ports.datastore import IngestRequest, ReadRequest, TransferMode
from databutler.testing.datastore_support import make_ref
from databutler.testing.desdm import create_desdm, desdm_engine, desdm_metadata


def composite() -> dict[str, Any]:
    return {"array": np.arange(6.0).reshape(2, 3), "metadata": {"gain": 1.5}}


def posix(root: Path, disassemble: Any = True, **kwargs: Any) -> Any:
    return make_datastore({"adapter": "posix", "root": str(root), "disassemble": disassemble, **kwargs},
                          storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                          create=True, writeable=True)


def test_parts_sit_at_the_template_path_plus_the_component_and_its_formatter_extension(tmp_path: Path) -> None:
    store = posix(tmp_path / "s", template="{run}/{dataset_type}/{visit}")
    ref = make_ref("ArrayWithMetadata", visit=7)
    artifacts = store.put([(composite(), ref)])
    assert [a.uri for a in artifacts] == [f"{ref.run}/contract_arraywithmetadata/7.array.npy",
                                          f"{ref.run}/contract_arraywithmetadata/7.metadata.json"]
    assert [a.formatter for a in artifacts] == ["npy", "json"]
    assert sorted(p.name for p in (tmp_path / "s").rglob("*") if p.is_file()) == ["7.array.npy", "7.metadata.json"]


def test_the_option_takes_a_list_of_storage_class_names(tmp_path: Path) -> None:
    listed = posix(tmp_path / "a", disassemble=["ArrayWithMetadata"])
    assert DatastoreCapability.DISASSEMBLY in listed.capabilities
    assert len(listed.put([(composite(), make_ref("ArrayWithMetadata"))])) == 2
    off = posix(tmp_path / "b", disassemble=False)
    assert DatastoreCapability.DISASSEMBLY not in off.capabilities
    assert [a.component for a in off.put([(composite(), make_ref("ArrayWithMetadata"))])] == [None]


@pytest.mark.parametrize(("value", "message"), [
    ("yes", "true, false or a list"),
    (["Nope"], "not known"),
    (["NumpyArray"], "no components"),
])
def test_a_bad_option_is_refused_when_the_datastore_is_built(tmp_path: Path, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        posix(tmp_path / "s", disassemble=value)
    assert not (tmp_path / "s").exists()


def test_a_composite_without_an_assembler_is_stored_whole_and_cannot_be_listed(tmp_path: Path) -> None:
    store = PosixDatastore(str(tmp_path / "s"), storage_classes=StorageClassRegistry(),
                           formatters=default_formatter_set(), disassembly=Disassembly(True),
                           assemblers=AssemblerSet({}))
    ref = make_ref("ArrayWithMetadata")
    (artifact,) = store.put([(composite(), ref)])
    assert artifact.component is None and artifact.formatter == "npz"
    assert store.get([ReadRequest(ref, [artifact])])[0]["metadata"] == {"gain": 1.5}
    with pytest.raises(ConfigError, match="no assembler"):
        disassemble_option({"disassemble": ["ArrayWithMetadata"]}, "posix", StorageClassRegistry(), AssemblerSet({}))


def test_an_assembler_registers_by_storage_class_name_and_loads_late() -> None:
    assemblers = AssemblerSet({"ArrayWithMetadata": "databutler.ports.assembler:MappingAssembler"})
    assert isinstance(assemblers.for_storage_class("ArrayWithMetadata"), MappingAssembler)
    assert assemblers.for_storage_class("Exposure") is None
    broken = default_assembler_set().with_assemblers({"Exposure": "no.such.module:Assembler"})
    with pytest.raises(ConfigError, match="cannot be imported"):
        broken.for_storage_class("Exposure")


def test_parts_without_an_assembler_read_only_by_component(tmp_path: Path) -> None:
    store = posix(tmp_path / "s")
    ref = make_ref("ArrayWithMetadata")
    artifacts = store.put([(composite(), ref)])
    reader = make_datastore({"adapter": "posix", "root": str(tmp_path / "s")}, storage_classes=StorageClassRegistry(),
                            formatters=default_formatter_set(), create=False, writeable=False)
    reader._assemblers = AssemblerSet({})
    assert reader.get([ReadRequest(ref, artifacts, component="metadata")]) == [{"gain": 1.5}]
    with pytest.raises(DatastoreError, match="no assembler"):
        reader.get([ReadRequest(ref, artifacts)])


def test_a_part_ingested_for_a_component_the_composite_lacks_is_refused(tmp_path: Path) -> None:
    store = posix(tmp_path / "s")
    source = tmp_path / "wcs.json"
    source.write_text("{}")
    with pytest.raises(StorageClassError, match="no component 'wcs'"):
        store.ingest([IngestRequest(str(source), make_ref("ArrayWithMetadata"), component="wcs")], TransferMode.COPY)
    assert list(store.list_artifacts()) == []


def test_a_chain_declares_disassembly_only_when_every_writeable_child_does(tmp_path: Path) -> None:
    parts, whole = posix(tmp_path / "p"), posix(tmp_path / "w", disassemble=False)
    assert DatastoreCapability.DISASSEMBLY in ChainedDatastore([Child("p", parts)]).capabilities
    mixed = ChainedDatastore([Child("p", parts, storage_classes=frozenset({"ArrayWithMetadata"})), Child("w", whole)])
    assert DatastoreCapability.DISASSEMBLY not in mixed.capabilities
    ref, other = make_ref("ArrayWithMetadata"), make_ref()
    artifacts = mixed.put([(composite(), ref), ({"a": 1}, other)])
    assert [(a.dataset_id, a.component) for a in artifacts] == [(ref.id, "array"), (ref.id, "metadata"),
                                                                 (other.id, None)]
    assert all(a.uri.startswith("file://") for a in artifacts)
    got = mixed.get([ReadRequest(ref, artifacts[:2])])[0]
    assert got["metadata"] == {"gain": 1.5} and (got["array"] == composite()["array"]).all()


def test_the_dbb_catalog_names_a_dataset_in_parts_after_their_common_stem(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desdm.sqlite3'}"
    engine = desdm_engine(url)
    create_desdm(engine)
    config = {"registry": {"adapter": "dbb", "url": url, "units": {"CAMSYM": "instrument", "EXPNUM": "exposure",
                                                                   "CCDNUM": "detector"}},
              "datastore": {"adapter": "posix", "root": "{root}/datasets", "disassemble": True}}
    with Butler.create(tmp_path / "repo", config, run="u/a/run") as butler:
        butler.registry.insert_data_units("instrument", [{"name": "D", "detector_max": 4}])
        butler.registry.insert_data_units("detector", [{"instrument": "D", "id": 1, "purpose": "SCIENCE"}])
        butler.registry.register_dataset_type(DatasetType("cutout", ("instrument", "detector"), "ArrayWithMetadata"))
        ref = butler.put(composite(), "cutout", instrument="D", detector=1)
        parts = butler.registry.get_artifacts([ref.id])[ref.id]
    assert sorted(a.component or "" for a in parts) == ["array", "metadata"]
    stem = parts[0].uri.rsplit("/", 1)[1].removesuffix(".array.npy")
    tables = desdm_metadata().tables
    with engine.connect() as connection:
        files = [(row.FILENAME, row.FILESIZE, row.MD5SUM) for row in connection.execute(sa.select(tables["DESFILE"]))]
        archived = connection.execute(sa.select(tables["FILE_ARCHIVE_INFO"])).all()
    engine.dispose()
    assert files == [(stem, sum(a.size or 0 for a in parts), None)]
    assert archived == []  # no file of that name exists for production to open
