"""Interchange with the reference system itself (lsst-daf-butler), asked in a subprocess.

The reference's Python is $DATABUTLER_REFERENCE_PYTHON, else /work/peer-venv/bin/python, else this
interpreter if it has lsst.daf.butler (the ``reference`` extra); without any, these tests skip.
They check that each side reads what the other writes and gives the same answers, and read the
reference's own shipped registry test data (``lsst/daf/butler/tests/registry_data``).
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, CollectionKind, DatasetType

PEER_SCRIPT = Path(__file__).parents[1] / "data" / "reference" / "peer_interchange.py"


def reference_python() -> str | None:
    candidates = [os.environ.get("DATABUTLER_REFERENCE_PYTHON"), "/work/peer-venv/bin/python"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if importlib.util.find_spec("lsst") is not None and importlib.util.find_spec("lsst.daf.butler") is not None:
        return sys.executable
    return None


PEER = reference_python()
pytestmark = pytest.mark.skipif(PEER is None, reason="the reference system (lsst-daf-butler) is not installed; "
                                "pip install 'databutler[reference]' or set DATABUTLER_REFERENCE_PYTHON")


def ask_reference(*args: str, elements: tuple[str, ...] = ()) -> dict[str, Any]:
    assert PEER is not None
    done = subprocess.run([PEER, str(PEER_SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "ELEMENTS": ",".join(elements)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def registry_data() -> Path:
    assert PEER is not None
    done = subprocess.run([PEER, "-c", "import os, lsst.daf.butler.tests.registry_data as m; "
                           "print(os.path.dirname(m.__file__))"], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def test_the_reference_imports_a_databutler_export_and_answers_the_same(tmp_path: Path) -> None:
    with Butler.create(tmp_path / "ours", run="ours_run") as butler:
        butler.registry.insert_data_units("instrument", [{"name": "Cam1", "detector_max": 4, "class_name": "x.Y"}])
        butler.registry.insert_data_units("detector", [{"instrument": "Cam1", "id": i, "full_name": f"D{i}",
                                                        "purpose": "SCIENCE"} for i in (1, 2, 3)])
        butler.registry.register_dataset_type(DatasetType("bias", ("instrument", "detector"), "StructuredData"))
        refs = [butler.put({"detector": i, "values": [i, 2 * i]}, "bias", instrument="Cam1", detector=i)
                for i in (1, 2, 3)]
        butler.register_collection("best")
        butler.associate("best", refs[:2])
        butler.define_chain("all", ["best", "ours_run"])
        butler.export(tmp_path / "out" / "export.yaml", refs, collections=["all"], transfer="copy")
        ours = {str(r.id): ["bias", "ours_run", dict(r.data_id), butler.get(r)] for r in refs}
    theirs = ask_reference("import", str(tmp_path / "peer"), str(tmp_path / "out" / "export.yaml"),
                           elements=("detector",))
    assert theirs["datasets"] == ours
    assert theirs["collections"] == {
        "ours_run": {"kind": "RUN"}, "all": {"kind": "CHAINED", "children": ["best", "ours_run"]},
        "best": {"kind": "TAGGED", "members": sorted(str(r.id) for r in refs[:2])}}
    assert sorted((r["id"], r["full_name"], r["purpose"]) for r in theirs["records"]["detector"]) == [
        (1, "D1", "SCIENCE"), (2, "D2", "SCIENCE"), (3, "D3", "SCIENCE")]


def test_databutler_imports_a_reference_export_and_answers_the_same(tmp_path: Path) -> None:
    theirs = ask_reference("export", str(tmp_path / "peer"), str(tmp_path / "out"))
    with Butler.create(tmp_path / "ours") as butler:
        refs = butler.import_(tmp_path / "out" / "export.yaml", transfer="copy")
        ours = {str(r.id): [r.dataset_type.name, r.run, dict(r.data_id), butler.get(r)] for r in refs}
        assert butler.registry.get_dataset_type("bias").storage_class == "StructuredDataDict"
    assert ours == theirs["datasets"]


def test_a_reference_export_through_databutler_and_back_gives_the_reference_the_same_answers(tmp_path: Path) -> None:
    original = ask_reference("export", str(tmp_path / "peer"), str(tmp_path / "out"), elements=("detector",))
    with Butler.create(tmp_path / "ours") as butler:
        refs = butler.import_(tmp_path / "out" / "export.yaml", transfer="copy")
        butler.export(tmp_path / "again" / "export.yaml", refs, collections=["peer_run"], transfer="copy")
    again = ask_reference("import", str(tmp_path / "peer-again"), str(tmp_path / "again" / "export.yaml"),
                          elements=("detector",))
    assert again == original


def test_reference_version_0_datasets_file_gives_the_references_answers(tmp_path: Path, registry_data: Path) -> None:
    """datasets.yaml (format 0, no universe version) on top of base.yaml (its calibration types 'flat' and
    'bias' included), registry only."""
    theirs = ask_reference("import-registry", str(tmp_path / "peer"), str(registry_data / "base.yaml"),
                           str(registry_data / "datasets.yaml"))
    with Butler.create(tmp_path / "ours") as butler:
        butler.import_(registry_data / "base.yaml", without_datastore=True)
        assert butler.registry.get_dataset_type("flat").is_calibration
        refs = butler.import_(registry_data / "datasets.yaml", without_datastore=True)
        ours = {str(r.id): [r.dataset_type.name, r.run, dict(r.data_id), None] for r in refs}
    assert ours == theirs["datasets"]


def test_reference_spatial_file_records_read_as_the_reference_reads_them(tmp_path: Path,
                                                                       registry_data: Path) -> None:
    """spatial.yaml (format 1.0.2, universe 7): TAI times, sphgeom regions, skymap hashes."""
    elements = ("day_obs", "visit", "visit_detector_region", "skymap", "tract", "patch")
    theirs = ask_reference("import-registry", str(tmp_path / "peer"), str(registry_data / "base.yaml"),
                           str(registry_data / "spatial.yaml"), elements=elements)
    with Butler.create(tmp_path / "ours") as butler:
        butler.import_(registry_data / "base.yaml", without_datastore=True)
        butler.import_(registry_data / "spatial.yaml", without_datastore=True)
        for element in elements:
            ours = [_comparable(r) for r in butler.registry.fetch_data_unit_records(element)]
            reference = [{k: _instants(v) if k == "timespan" else v for k, v in r.items() if k in ours[0]}
                         for r in theirs["records"][element]]
            assert sorted(ours, key=repr) == sorted(reference, key=repr), element


def join_queries(instrument: str) -> list[tuple[str, Any, str]]:
    """Questions whose answers depend on the join rules and on the universe's elements and fields."""
    return [
        ("data_ids", ["visit", "detector"], ""),
        ("data_ids", ["exposure", "detector"], ""),
        ("data_ids", ["exposure", "visit"], ""),
        ("data_ids", ["visit", "visit_system"], ""),
        ("data_ids", ["exposure", "group"], ""),
        ("data_ids", ["day_obs"], ""),
        ("records", "detector", f"instrument = '{instrument}' AND visit > 0"),
        ("records", "exposure", ""),
        ("records", "visit", ""),
        ("records", "group", ""),
        ("records", "visit_system", ""),
        ("records", "day_obs", ""),
    ]


def ask_queries(files: list[Path], tmp_path: Path, queries: list[tuple[str, Any, str]]) -> list[Any]:
    assert PEER is not None
    done = subprocess.run([PEER, str(PEER_SCRIPT), "queries", str(tmp_path / "peer"), *map(str, files)],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "QUERIES": json.dumps(queries)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def our_answers(butler: Butler, queries: list[tuple[str, Any, str]]) -> list[Any]:
    registry = butler.registry
    out = []
    for kind, what, where in queries:
        if kind == "data_ids":
            minimal = {u for u in what if u in registry.universe.implied([v for v in what if v != u])}
            # A unit implied by another one asked for (group by exposure) is not among the reference's
            # required values; databutler's DataIds keep every unit asked for.
            rows = [{k: v for k, v in d.items() if k not in minimal}
                    for d in registry.query_data_ids(tuple(what), where=where)]
        else:
            rows = [{k: v for k, v in r.items() if k not in ("timespan", "region")}
                    for r in registry.query_data_unit_records(what, where=where)]
        out.append(sorted(json.loads(json.dumps(rows)), key=lambda row: json.dumps(row, sort_keys=True)))
    return out


@pytest.mark.parametrize(("name", "instrument", "visit_detector_pairs"), [
    ("ci_hsc-subset.yaml", "HSC", 176), ("hsc-rc2-subset-v0.yaml", "HSC", None),
    ("lsstcam-subset.yaml", "LSSTCam", None)])
def test_reference_files_import_whole_and_queries_give_the_references_answers(
        tmp_path: Path, registry_data: Path, name: str, instrument: str, visit_detector_pairs: int | None) -> None:
    """Every visit pairs with every detector (visit_detector_region is metadata); relationships constrain.

    hsc-rc2-subset-v0.yaml is universe version 0 (group_name, visit_system in visits, no day_obs);
    lsstcam-subset.yaml is version 7 (group and visit_system_membership records).
    """
    queries = join_queries(instrument)
    theirs = ask_queries([registry_data / name], tmp_path, queries)
    with Butler.create(tmp_path / "ours") as butler:
        butler.import_(registry_data / name, without_datastore=True)
        ours = our_answers(butler, queries)
    for question, mine, reference in zip(queries, ours, theirs, strict=True):
        assert mine == reference, question
    if visit_detector_pairs is not None:
        assert len(ours[0]) == visit_detector_pairs


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """Timespans as [begin, end], regions as the hex of their encoding (as the reference's answers give them)."""
    def plain(key: str, value: Any) -> Any:
        if key == "timespan" and value is not None:
            return [value.begin, value.end]
        if key == "region" and value is not None:
            return bytes(value.encode()).hex()
        return value
    return {key: plain(key, value) for key, value in record.items()}


def _instants(value: list[str | None] | None) -> list[datetime.datetime | None] | None:
    """The reference's UTC ISO times as naive datetimes (to the microsecond, as databutler keeps them)."""
    if value is None:
        return None
    return [None if t is None else datetime.datetime.fromisoformat(t[:26]) for t in value]


DATASET_TYPE_UNITS = [["instrument", "detector", "physical_filter", "band"], ["visit", "physical_filter", "band"],
                      ["exposure", "group", "detector"], ["band", "skymap", "tract", "patch"],
                      ["visit", "visit_system"], ["subfilter", "band", "tract", "skymap"]]


def test_dataset_type_units_are_required_and_implied_as_the_reference_says(tmp_path: Path) -> None:
    """An implied unit named in a dataset type (band next to physical_filter) stays implied."""
    assert PEER is not None
    script = ("import json, sys\nfrom lsst.daf.butler import DatasetType, DimensionUniverse\nu = DimensionUniverse()\n"
              "out = []\nfor units in json.loads(sys.argv[1]):\n"
              "    g = DatasetType('x', units, 'StructuredDataDict', universe=u).dimensions\n"
              "    out.append([sorted(g.required), sorted(g.implied)])\nprint(json.dumps(out))")
    done = subprocess.run([PEER, "-c", script, json.dumps(DATASET_TYPE_UNITS)], capture_output=True, text=True,
                          check=True, timeout=300)
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    with Butler.create(tmp_path / "ours") as butler:
        universe = butler.registry.universe
        for index, units in enumerate(DATASET_TYPE_UNITS):
            registered = butler.registry.register_dataset_type(DatasetType(f"t{index}", units, "StructuredDataDict"))
            assert registered
            required = butler.registry.get_dataset_type(f"t{index}").units
            assert [sorted(required), sorted(universe.implied(required))] == theirs[index], units


def test_the_reference_imports_a_databutler_export_of_the_current_universe(tmp_path: Path) -> None:
    """The file says daf_butler version 8; groups, visit systems and a visit's join records go along."""
    elements = ("group", "exposure", "visit", "visit_definition", "visit_system", "visit_system_membership",
                "visit_detector_region")
    with Butler.create(tmp_path / "ours", run="ours_run") as butler:
        registry = butler.registry
        registry.insert_data_units("instrument", [{"name": "Cam1", "detector_max": 4, "class_name": "x.Y"}])
        registry.insert_data_units("physical_filter", [{"instrument": "Cam1", "name": "Cam1-r", "band": "r"}])
        registry.insert_data_units("detector", [{"instrument": "Cam1", "id": i, "full_name": f"D{i}"} for i in (1, 2)])
        registry.insert_data_units("day_obs", [{"instrument": "Cam1", "id": 20240101}])
        registry.insert_data_units("group", [{"instrument": "Cam1", "name": "g1"}])
        common = {"instrument": "Cam1", "physical_filter": "Cam1-r", "day_obs": 20240101}
        registry.insert_data_units("exposure", [{**common, "id": 7, "obs_id": "E7", "group": "g1", "azimuth": 10.5,
                                                 "can_see_sky": True, "seq_start": 3, "seq_end": 4}])
        registry.insert_data_units("visit", [{**common, "id": 70, "name": "V70", "azimuth": 11.0}])
        registry.insert_data_units("visit_definition", [{"instrument": "Cam1", "exposure": 7, "visit": 70}])
        registry.insert_data_units("visit_system", [{"instrument": "Cam1", "id": 0, "name": "one-to-one"}])
        registry.insert_data_units("visit_system_membership", [{"instrument": "Cam1", "visit": 70, "visit_system": 0}])
        registry.insert_data_units("visit_detector_region", [{"instrument": "Cam1", "visit": 70, "detector": 1}])
        registry.register_dataset_type(DatasetType("raw", ("instrument", "exposure", "detector"), "StructuredData"))
        registry.register_dataset_type(DatasetType("calexp", ("instrument", "visit", "detector"), "StructuredData"))
        refs = [butler.put({"d": d}, "raw", instrument="Cam1", exposure=7, detector=d) for d in (1, 2)]
        refs.append(butler.put({"d": 2}, "calexp", instrument="Cam1", visit=70, detector=2))
        butler.export(tmp_path / "out" / "export.yaml", refs, transfer="copy")
        ours = {element: [{k: v for k, v in r.items() if k not in ("timespan", "region")}
                          for r in registry.fetch_data_unit_records(element)] for element in elements}
    text = (tmp_path / "out" / "export.yaml").read_text()
    assert "universe_namespace: daf_butler" in text and "universe_version: 8" in text
    theirs = ask_reference("import", str(tmp_path / "peer"), str(tmp_path / "out" / "export.yaml"), elements=elements)
    for element in elements:
        reference = [{k: v for k, v in r.items() if k not in ("timespan", "region")}
                     for r in theirs["records"][element]]
        assert sorted(repr(sorted(r.items())) for r in reference) == sorted(
            repr(sorted(r.items())) for r in ours[element]), element
    assert sorted(v[0] for v in theirs["datasets"].values()) == ["calexp", "raw", "raw"]


@pytest.mark.parametrize("files", [
    ("base.yaml", "datasets.yaml"), ("base.yaml", "spatial.yaml"), ("ci_hsc-subset.yaml", "ci_hsc-subset-skymap.yaml"),
    ("hsc-rc2-subset-v0.yaml",), ("lsstcam-subset.yaml",)], ids="+".join)
def test_every_shipped_registry_data_file_imports_with_the_references_datasets_and_collections(
        tmp_path: Path, registry_data: Path, files: tuple[str, ...]) -> None:
    """All seven of the reference's registry_data files, in the combinations its own tests load them:
    the same datasets (id, type, run, required DataId) and collections (kind, chain children, tagged members)."""
    theirs = ask_reference("import-registry", str(tmp_path / "peer"), *(str(registry_data / f) for f in files))
    with Butler.create(tmp_path / "ours") as butler:
        for name in files:
            butler.import_(registry_data / name, without_datastore=True)
        registry = butler.registry
        collections = registry.query_collections()
        runs = [c.name for c in collections if c.kind is CollectionKind.RUN]
        types = [t.name for t in registry.query_dataset_types()]
        refs = list(registry.query_datasets(types, runs)) if types and runs else []
        ours = {str(r.id): [r.dataset_type.name, r.run, dict(r.data_id), None] for r in refs}
        kinds: dict[str, dict[str, Any]] = {}
        for collection in collections:
            entry: dict[str, Any] = {"kind": collection.kind.value}
            if collection.kind is CollectionKind.CHAINED:
                entry["children"] = list(collection.children)
            if collection.kind is CollectionKind.TAGGED:
                entry["members"] = sorted(str(r.id) for r in registry.query_datasets(types, [collection.name]))
            kinds[collection.name] = entry
        if "ci_hsc-subset-skymap.yaml" in files:
            assert registry.get_dataset_type("skyMap").storage_class == "SkyMap"
    assert ours == theirs["datasets"]
    assert kinds == theirs["collections"]
