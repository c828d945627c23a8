"""Export and import in the reference system's export YAML: round trips, old formats, bad input.

Every test of a failure also checks what must still be true afterwards: the target repository
holds nothing the failed import brought (no records, collections, datasets or files).
"""

from __future__ import annotations

import datetime
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from databutler import Butler, CalibrationConflictError, ExportFormatError, Timespan
from databutler.domain.errors import ConflictingDefinitionError, DatasetNotFoundError
from databutler.service.interchange.times import format_tai_iso, parse_tai_iso
from databutler.testing.interchange import CALEXP, answers, fill_source


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Butler:
    butler = Butler.create(tmp_path_factory.mktemp("export-source") / "repo")
    fill_source(butler)
    return butler


def every_ref(butler: Butler) -> list[Any]:
    return [r for c in ("run1", "run2") for r in butler.registry.datasets_in_collection(c)]


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def assert_untouched(butler: Butler, before: dict[str, Any]) -> None:
    """The repository answers as before and its datastore holds no new file."""
    assert answers(butler, contents=False) == before
    assert files_under(Path(butler.root) / "datasets") == []


def test_round_trip_with_copied_files_keeps_ids_records_collections_contents_and_checksums(
        source: Butler, tmp_path: Path) -> None:
    export = tmp_path / "out" / "export.yaml"
    count = source.export(export, every_ref(source), collections=["all"], transfer="copy")
    assert count == len(every_ref(source))
    moved = tmp_path / "out-moved"
    (tmp_path / "out").rename(moved)  # the copied files travel with the file: paths are relative
    target = Butler.create(tmp_path / "target")
    imported = target.import_(moved / "export.yaml", transfer="copy")
    assert sorted(r.id for r in imported) == sorted(r.id for r in every_ref(source))
    assert answers(target) == answers(source)


def test_export_without_transfer_names_absolute_uris_and_import_copies_them(source: Butler, tmp_path: Path) -> None:
    export = tmp_path / "export.yaml"
    source.export(export, every_ref(source)[:5])
    document = _raw(export)
    paths = [r["path"] for e in document["data"] if e["type"] == "dataset" for r in e["records"]]
    assert paths and all(p.startswith("file:///") for p in paths)
    target = Butler.create(tmp_path / "target")
    refs = target.import_(export, transfer="copy")
    assert target.get_many(refs) == source.get_many(refs)
    assert all(not target.uri(r).startswith(source.root) for r in refs)


def test_file_written_in_the_reference_layout(source: Butler, tmp_path: Path) -> None:
    export = tmp_path / "export.yaml"
    source.export(export, every_ref(source), collections=["all"])
    text = export.read_text()
    document = _raw(export)
    assert document["description"] == "Butler Data Repository Export"
    assert document["version"] == "1.0.2"
    assert {e["type"] for e in document["data"]} == {"dimension", "collection", "dataset_type", "dataset",
                                                     "associations"}
    assert "!uuid " in text and "!butler_time/tai/iso" in text
    kinds = {e["name"]: e["collection_type"] for e in document["data"] if e["type"] == "collection"}
    assert kinds == {"run1": "RUN", "run2": "RUN", "best": "TAGGED", "all": "CHAINED"}
    types = {e["name"]: e for e in document["data"] if e["type"] == "dataset_type"}
    # databutler's StructuredData is the reference's StructuredDataDict; the implied units are listed too.
    assert types["calexp"]["storage_class"] == "StructuredDataDict"
    assert set(types["calexp"]["dimensions"]) >= {"instrument", "visit", "detector", "physical_filter", "band"}
    assert not any(e.get("element") == "band" for e in document["data"])  # band comes from physical_filter


def test_timespans_are_written_as_tai_and_read_back_as_utc() -> None:
    utc = datetime.datetime(2021, 9, 9, 3, 0, 0, 123456)
    assert format_tai_iso(utc) == "2021-09-09 03:00:37.123456000"
    assert parse_tai_iso("2021-09-09 03:00:37.123456789") == utc
    assert parse_tai_iso("1995-01-01 00:00:29.000000000") == datetime.datetime(1995, 1, 1)


def test_import_of_a_reference_version_0_file_with_integer_ids(tmp_path: Path) -> None:
    export = tmp_path / "old.yaml"
    export.write_text(OLD_FILE)
    target = Butler.create(tmp_path / "target")
    refs = target.import_(export, without_datastore=True)
    assert [r.id for r in refs] == [uuid.uuid3(uuid.UUID("4d4851f4-2890-4d41-8779-5f38a3f5062b"), "7")]
    assert refs[0].data_id.full == {"instrument": "Cam9", "detector": 2}
    assert target.registry.get_collection("old_run").kind.value == "RUN"


OLD_FILE = """\
description: Butler Data Repository Export
version: 0
data:
  - type: dimension
    element: instrument
    records:
      - {name: Cam9, detector_max: 4}
  - type: dimension
    element: detector
    records:
      - {instrument: Cam9, id: 2, full_name: "Ab"}
  - type: run
    name: old_run
  - type: dataset_type
    name: bias
    dimensions: [instrument, detector]
    storage_class: StructuredDataDict
  - type: dataset
    dataset_type: bias
    run: old_run
    records:
      - dataset_id: 7
        data_id: {instrument: Cam9, detector: 2}
        path: placeholder
"""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("", lambda loader, suffix, node: (
    loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else loader.construct_scalar(node)))


def _raw(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_Loader)


# -- bad input: a clear error, and nothing written ------------------------------------------------


@pytest.fixture
def exported(source: Butler, tmp_path: Path) -> Path:
    export = tmp_path / "good" / "export.yaml"
    source.export(export, every_ref(source)[:6], collections=["all"], transfer="copy")
    return export


@pytest.fixture
def target(tmp_path: Path) -> Butler:
    return Butler.create(tmp_path / "target")


def rewrite(path: Path, change: Any) -> None:
    text = path.read_text()
    path.write_text(change(text))


@pytest.mark.parametrize(("version", "words"), [("2.0.0", "version 2.0.0"), ("1.9.0", "version 1.9.0"),
                                                ("banana", "'banana'")])
def test_unknown_format_version_is_refused_and_changes_nothing(exported: Path, target: Butler, version: str,
                                                                words: str) -> None:
    before = answers(target, contents=False)
    rewrite(exported, lambda t: t.replace("version: 1.0.2", f"version: {version}", 1))
    with pytest.raises(ExportFormatError, match=words):
        target.import_(exported, transfer="copy")
    assert_untouched(target, before)


@pytest.mark.parametrize("cut", [0.01, 0.3, 0.6, 0.97, 0.999])
def test_truncated_file_is_refused_and_changes_nothing(exported: Path, target: Butler, cut: float) -> None:
    before = answers(target, contents=False)
    text = exported.read_text()
    exported.write_text(text[: int(len(text) * cut)])
    with pytest.raises(ExportFormatError, match=re.escape(str(exported))):
        target.import_(exported, transfer="copy")
    assert_untouched(target, before)


@pytest.mark.parametrize("content", [b"\x00\x01\xff binary", b"{{{ not yaml", b"- just\n- a list\n", b""])
def test_non_export_files_are_refused_and_change_nothing(tmp_path: Path, target: Butler, content: bytes) -> None:
    before = answers(target, contents=False)
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ExportFormatError, match=r"bad\.yaml"):
        target.import_(path)
    assert_untouched(target, before)


def test_element_the_universe_lacks_is_named_with_the_files_universe_version(tmp_path: Path,
                                                                                target: Butler) -> None:
    assert "visit_patch_overlap" not in target.registry.universe  # the default relates visits and patches by region
    before = answers(target, contents=False)
    path = tmp_path / "new.yaml"
    path.write_text(OLD_FILE.replace("version: 0", "version: 1.0.2\nuniverse_version: 7\nuniverse_namespace: "
                                     "daf_butler").replace("  - type: run", "  - type: dimension\n    element: "
                                     "visit_patch_overlap\n    records:\n      - {instrument: Cam9, visit: 1}\n"
                                     "  - type: run"))
    with pytest.raises(ExportFormatError, match=r"'visit_patch_overlap'.*daf_butler version 8.*daf_butler "
                       r"version 7"):
        target.import_(path, without_datastore=True)
    assert_untouched(target, before)


CALIBRATED = OLD_FILE.replace("storage_class: StructuredDataDict", "storage_class: StructuredDataDict\n"
                              "    is_calibration: true").replace("path: placeholder", "path: null") + """\
  - type: collection
    collection_type: CALIBRATION
    name: Cam9/calib
  - type: associations
    collection: Cam9/calib
    collection_type: CALIBRATION
    validity_ranges:
      - timespan: !lsst.daf.butler.Timespan
          begin: !butler_time/tai/iso '2024-01-01 00:00:37.000000000'
          end: null
        dataset_ids: [7]
      - begin: null
        end: 2023-06-01T00:00:00
        dataset_ids: [7]
      - timespan: !lsst.daf.butler.Timespan EMPTY
        dataset_ids: [7]
"""


def test_calibration_collections_load_with_their_validity_ranges(tmp_path: Path, target: Butler) -> None:
    """A file with a calibration type and CALIBRATION associations (the timespan tag, the older begin/end
    pair, an EMPTY range that certifies nothing) loads; importing it again changes nothing."""
    path = tmp_path / "calib.yaml"
    path.write_text(CALIBRATED)
    (ref,) = target.import_(path, without_datastore=True)
    registry = target.registry
    assert registry.get_dataset_type("bias").is_calibration
    assert registry.get_collection("Cam9/calib").kind.value == "CALIBRATION"
    assert sorted(((c.ref.id, c.timespan) for c in registry.query_certifications("Cam9/calib")), key=repr) == sorted([
        (ref.id, Timespan(datetime.datetime(2024, 1, 1), None)),  # 37 s TAI-UTC in 2024
        (ref.id, Timespan(None, datetime.datetime(2023, 6, 1)))], key=repr)
    at = Timespan(datetime.datetime(2024, 3, 1), None)
    assert registry.find_datasets("bias", [{"instrument": "Cam9", "detector": 2}], ["Cam9/calib"], timespan=at
                                  ) == [ref]
    target.import_(path, without_datastore=True)  # the same ranges again: skipped, not an overlap
    assert len(registry.query_certifications("Cam9/calib")) == 2


def test_an_import_whose_range_overlaps_a_certified_one_is_refused_and_changes_nothing(
        tmp_path: Path, target: Butler) -> None:
    path = tmp_path / "calib.yaml"
    path.write_text(CALIBRATED)
    target.import_(path, without_datastore=True)
    before = answers(target, contents=False)
    certified = target.registry.query_certifications("Cam9/calib")
    other = CALIBRATED.replace("dataset_id: 7", "dataset_id: 8").replace("dataset_ids: [7]", "dataset_ids: [8]")
    path.write_text(other.replace("run: old_run", "run: other_run").replace("name: old_run", "name: other_run"))
    with pytest.raises(CalibrationConflictError, match=r"'Cam9/calib'.*2024-01-01T00:00:00, \+inf"):
        target.import_(path, without_datastore=True)
    assert answers(target, contents=False) == before  # no run, dataset or certification of the file was kept
    assert target.registry.query_certifications("Cam9/calib") == certified


def test_missing_file_rolls_back_records_collections_and_copied_files(exported: Path, target: Butler) -> None:
    before = answers(target, contents=False)
    document = _raw(exported)
    last = [r for e in document["data"] if e["type"] == "dataset" for r in e["records"]][-1]
    os.unlink(exported.parent / last["path"])
    with pytest.raises(DatasetNotFoundError, match=os.path.basename(last["path"])):
        target.import_(exported, transfer="copy")
    assert_untouched(target, before)


def test_dataset_type_conflicting_with_the_target_rolls_everything_back(exported: Path, target: Butler) -> None:
    target.registry.register_dataset_type(type(CALEXP)("calexp", ("instrument", "detector"), "StructuredData"))
    before = answers(target, contents=False)
    with pytest.raises(ConflictingDefinitionError, match="calexp"):
        target.import_(exported, transfer="copy")
    assert_untouched(target, before)


OLD_UNIVERSE_FILE = """\
description: Butler Data Repository Export
version: 0
data:
  - type: dimension
    element: instrument
    records:
      - {name: Cam9, detector_max: 4}
  - type: dimension
    element: physical_filter
    records:
      - {instrument: Cam9, name: Cam9-r, band: r}
  - type: dimension
    element: exposure
    records:
      - instrument: Cam9
        id: 903342
        physical_filter: Cam9-r
        day_obs: 20130617
        group_name: '903342'
        group_id: 903342
        datetime_begin: !butler_time/tai/iso '2013-06-17 13:34:45.775000000'
        datetime_end: !butler_time/tai/iso '2013-06-17 13:35:17.947000000'
"""


def test_files_from_before_universe_6_gain_day_obs_records_and_group_names(tmp_path: Path) -> None:
    """Older universes named an exposure's group 'group_name' (with an id) and had no day_obs records."""
    path = tmp_path / "old-universe.yaml"
    path.write_text(OLD_UNIVERSE_FILE)
    target = Butler.create(tmp_path / "target")
    target.import_(path, without_datastore=True)
    (exposure,) = target.registry.fetch_data_unit_records("exposure")
    assert exposure["group"] == "903342"
    assert exposure["timespan"].begin == datetime.datetime(2013, 6, 17, 13, 34, 10, 775000)  # TAI - 35 s
    assert target.registry.fetch_data_unit_records("day_obs") == [
        {"instrument": "Cam9", "id": 20130617, "timespan": None}]
    assert target.registry.fetch_data_unit_records("group") == [{"instrument": "Cam9", "name": "903342"}]


VISIT_SYSTEM_FILE = """\
description: Butler Data Repository Export
version: 0
universe_version: 0
data:
  - type: dimension
    element: instrument
    records:
      - {name: Cam9, detector_max: 4}
  - type: dimension
    element: physical_filter
    records:
      - {instrument: Cam9, name: Cam9-r, band: r}
  - type: dimension
    element: visit_system
    records:
      - {instrument: Cam9, id: 0, name: one-to-one}
  - type: dimension
    element: exposure
    records:
      - {instrument: Cam9, id: 5, physical_filter: Cam9-r, day_obs: 20141118, group_name: '5', group_id: 5}
  - type: dimension
    element: visit
    records:
      - instrument: Cam9
        id: 50
        physical_filter: Cam9-r
        visit_system: 0
        name: V50
        seeing: null
        datetime_begin: 2014-11-18 23:59:50.000000
        datetime_end: 2014-11-19 00:00:20.000000
  - type: dimension
    element: visit_definition
    records:
      - {instrument: Cam9, exposure: 5, visit_system: 0, visit: 50}
  - type: dataset_type
    name: deep
    dimensions: [instrument, visit, visit_system, physical_filter, band]
    storage_class: StructuredDataDict
"""


def test_files_from_universe_0_gain_visit_days_and_visit_system_memberships(tmp_path: Path, target: Butler) -> None:
    """Before version 2 a visit named its visit system; before version 1 it had seeing and no day_obs."""
    path = tmp_path / "v0.yaml"
    path.write_text(VISIT_SYSTEM_FILE)
    target.import_(path, without_datastore=True)
    registry = target.registry
    (visit,) = registry.fetch_data_unit_records("visit")
    assert visit["day_obs"] == 20141119  # the TAI date it began (23:59:50 UTC is 00:00:25 TAI)
    assert "seeing" not in visit and "visit_system" not in visit
    assert registry.fetch_data_unit_records("visit_system_membership") == [
        {"instrument": "Cam9", "visit": 50, "visit_system": 0}]
    assert registry.fetch_data_unit_records("visit_definition") == [{"instrument": "Cam9", "exposure": 5, "visit": 50}]
    assert {d["id"] for d in registry.fetch_data_unit_records("day_obs")} == {20141118, 20141119}
    assert registry.get_dataset_type("deep").units == ("instrument", "visit")
