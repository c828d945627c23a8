"""Repositories on the first default universe keep working; implied units named in dataset types stay implied."""

from __future__ import annotations

from pathlib import Path

import pytest

from databutler import Butler, DatasetType
from databutler.domain.errors import DataIdError
from databutler.testing.data import DETECTORS, VISIT_PATCH_OVERLAPS, VISITS, insert_standard_data_units

FIRST_DEFAULT = Path(__file__).parents[1] / "data" / "universes" / "databutler_v1.yaml"


@pytest.fixture
def old_repo(tmp_path: Path) -> Path:
    """A repository created with databutler's first default universe, its standard data and one calexp per visit."""
    root = tmp_path / "old"
    with Butler.create(root, {"universe": str(FIRST_DEFAULT)}, run="run1") as butler:
        insert_standard_data_units(butler.registry)
        butler.registry.update_data_units("exposure", [{"instrument": "Cam1", "id": 101, "group": "g101"}])
        butler.registry.register_dataset_type(DatasetType("calexp", ("instrument", "visit", "detector"),
                                                          "StructuredData"))
        for instrument, visit in VISITS:
            butler.put({"visit": visit}, "calexp", {"instrument": instrument, "visit": visit, "detector": 1})
    return root


def test_a_repository_on_the_first_default_universe_opens_reads_and_queries_as_before(old_repo: Path) -> None:
    with Butler(old_repo, collections=["run1"]) as butler:
        registry = butler.registry
        assert (registry.universe.namespace, registry.universe.version) == ("databutler", 1)
        assert "group" not in registry.universe and "visit_patch_overlap" in registry.universe
        assert butler.get("calexp", {"instrument": "Cam1", "visit": 3, "detector": 1}) == {"visit": 3}
        (exposure,) = registry.query_data_unit_records("exposure", where="instrument = 'Cam1' AND exposure = 101")
        assert exposure["group"] == "g101"  # a plain field of the exposure there, not a DataUnit
        # Its join elements, declared before always_join existed, still relate what they join.
        overlaps = {(d["visit"], d["tract"], d["patch"])
                    for d in registry.query_data_ids(("visit", "patch"), where="instrument = 'Cam1'")}
        assert overlaps == {(v, t, p) for (i, v), pairs in VISIT_PATCH_OVERLAPS.items() if i == "Cam1"
                            for t, p in pairs}
        pairs = registry.query_data_ids(("visit", "detector"), where="instrument = 'Cam2'")
        assert pairs.count() == 4 * len(DETECTORS)
        found = registry.query_datasets("calexp", ["run1"], where="instrument = 'Cam1' AND tract = 1")
        assert [r.data_id["visit"] for r in found] == [4]


def test_reference_files_that_need_the_current_universe_are_refused_by_an_old_repository(
        old_repo: Path, tmp_path: Path) -> None:
    lsstcam = _registry_data() / "lsstcam-subset.yaml"
    with Butler(old_repo, writeable=True) as butler:
        before = butler.registry.fetch_data_unit_records("instrument")
        with pytest.raises(Exception, match=r"'group'.*databutler version 1.*daf_butler version 7"):
            butler.import_(lsstcam, without_datastore=True)
        assert butler.registry.fetch_data_unit_records("instrument") == before


def test_an_implied_unit_named_in_a_dataset_type_stays_implied(tmp_path: Path) -> None:
    with Butler.create(tmp_path / "repo", run="run1") as butler:
        insert_standard_data_units(butler.registry)
        butler.registry.register_dataset_type(DatasetType(
            "flat", ("instrument", "detector", "physical_filter", "band"), "StructuredData"))
        assert butler.registry.get_dataset_type("flat").units == ("instrument", "physical_filter", "detector")
        ref = butler.put({"f": 1}, "flat", {"instrument": "Cam1", "detector": 2, "physical_filter": "Cam1-r"})
        assert dict(ref.data_id) == {"instrument": "Cam1", "physical_filter": "Cam1-r", "detector": 2}
        assert butler.get("flat", {"instrument": "Cam1", "detector": 2, "physical_filter": "Cam1-r"}) == {"f": 1}
        (expanded,) = butler.registry.expand_data_ids(ref.dataset_type.units, [ref.data_id])
        assert expanded.full["band"] == "r"  # filled in from the physical_filter record
        with pytest.raises(DataIdError, match="band"):
            butler.put({"f": 2}, "flat", {"instrument": "Cam1", "detector": 2, "physical_filter": "Cam1-r",
                                          "band": "g"})
        assert len(list(butler.registry.query_datasets("flat", ["run1"]))) == 1


def _registry_data() -> Path:
    reference = Path("/work/peer-venv/lib/python3.11/site-packages/lsst/daf/butler/tests/registry_data")
    if not reference.is_dir():
        pytest.skip("the reference system's registry test data is not installed")
    return reference
