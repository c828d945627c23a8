"""The Butler contract, topic group. Calibrations: get, find_dataset and query_datasets through CALIBRATION collections.

Adopt it alone by subclassing ``ButlerCalibrationsContract`` and providing ``make_butler``;
``ButlerContract`` includes it. Its tests need ``RegistryCapability.CALIBRATIONS`` (and QUERIES
for the query tests).
"""

from __future__ import annotations

import datetime

import pytest

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef
from ..domain.dataset_type import DatasetType
from ..domain.errors import CalibrationLookupError, DatasetNotFoundError
from ..domain.values import Timespan
from ..ports.capabilities import RegistryCapability
from ..service.butler import Butler
from .butler_support import INSTRUMENT, ButlerFixtures, MakeButler, setup_units
from .requirements import requires

BIAS = DatasetType("bias", ("instrument", "detector"), "StructuredData", is_calibration=True)


def night(hour: int, day: int = 1) -> datetime.datetime:
    """``hour`` o'clock UTC on January ``day``, 2024."""
    return datetime.datetime(2024, 1, day, hour)


def bias(detector: int) -> dict[str, object]:
    """The bias DataId of one detector of the contract instrument."""
    return {"instrument": INSTRUMENT, "detector": detector}


class ButlerCalibrationsContract(ButlerFixtures):
    """Calibration lookups of the Butler contract."""

    @pytest.fixture
    def calibrated(self, make_butler: MakeButler) -> tuple[Butler, list[DatasetRef]]:
        """Biases of detector 1 from runs early (valid 00-12 h) and late (12 h on), and detector 2 (early, always);
        visits 1 and 2 last from 01:00 and 13:00 for a minute; collection "calib"."""
        butler = make_butler(run="early")
        setup_units(butler)
        registry = butler.registry
        minute = datetime.timedelta(minutes=1)
        registry.update_data_units("visit", [
            {"instrument": INSTRUMENT, "id": v, "timespan": Timespan(night(h), night(h) + minute)}
            for v, h in ((1, 1), (2, 13))])
        registry.register_dataset_type(BIAS)
        early = butler.put_many([({"detector": d, "when": "early"}, "bias", bias(d)) for d in (1, 2)])
        late = butler.put({"detector": 1, "when": "late"}, "bias", bias(1), run="late")
        registry.register_collection("calib", CollectionKind.CALIBRATION)
        registry.certify("calib", [early[0]], Timespan(night(0), night(12)))
        registry.certify("calib", [late], Timespan(night(12), None))
        registry.certify("calib", [early[1]], Timespan(None, None))
        return butler, [early[0], late, early[1]]

    @requires(RegistryCapability.CALIBRATIONS)
    def test_get_finds_the_calibration_valid_at_a_time_or_at_the_visit_of_the_data_id(
            self, calibrated: tuple[Butler, list[DatasetRef]]) -> None:
        butler, refs = calibrated
        at = Timespan(night(3), night(4))
        assert butler.get("bias", bias(1), collections="calib", timespan=at)["when"] == "early"
        assert butler.get("bias", bias(1), collections="calib", timespan=Timespan(night(20), None))["when"] == "late"
        assert butler.get("bias", {**bias(1), "visit": 1}, collections="calib")["when"] == "early"
        assert butler.get("bias", instrument=INSTRUMENT, detector=1, visit=2, collections="calib")["when"] == "late"
        assert butler.find_dataset("bias", {**bias(1), "visit": 2}, collections="calib") == refs[1]
        assert butler.exists("bias", {**bias(1), "visit": 1}, collections="calib")
        assert butler.get("bias", bias(2), collections="calib")["when"] == "early"  # one range: any time finds it

    @requires(RegistryCapability.CALIBRATIONS)
    def test_get_without_a_time_is_ambiguous_where_several_ranges_match(
            self, calibrated: tuple[Butler, list[DatasetRef]]) -> None:
        butler, _ = calibrated
        with pytest.raises(CalibrationLookupError, match=r"'bias'.*'calib'.*no time given"):
            butler.get("bias", bias(1), collections="calib")
        with pytest.raises(CalibrationLookupError, match="2 validity ranges"):
            butler.get("bias", bias(1), collections="calib", timespan=Timespan(night(11), night(13)))
        assert butler.find_dataset("bias", bias(1), collections="calib") is None  # as the reference's registry
        with pytest.raises(DatasetNotFoundError):
            butler.get("bias", bias(1), collections="calib", timespan=Timespan(None, night(0)))

    @requires(RegistryCapability.CALIBRATIONS)
    def test_a_search_path_mixing_runs_and_calibration_collections_finds_first(
            self, calibrated: tuple[Butler, list[DatasetRef]]) -> None:
        butler, refs = calibrated
        butler.define_chain("defaults", ["calib", "late"])
        assert butler.get("bias", {**bias(1), "visit": 1}, collections="defaults")["when"] == "early"
        assert butler.get("bias", bias(1), collections="defaults", timespan=Timespan(None, night(0)))["when"] == "late"
        assert butler.find_dataset("bias", bias(1), collections="defaults") == refs[1]  # no time: calib skipped
        butler.define_chain("defaults", ["late", "calib"])
        assert butler.get("bias", {**bias(1), "visit": 1}, collections="defaults")["when"] == "late"

    @requires(RegistryCapability.CALIBRATIONS, RegistryCapability.QUERIES)
    def test_query_datasets_lists_certified_datasets_and_find_first_needs_one_range(
            self, calibrated: tuple[Butler, list[DatasetRef]]) -> None:
        butler, refs = calibrated
        listed = butler.query_datasets("bias", collections="calib")
        assert sorted(r.id for r in listed) == sorted(r.id for r in refs)  # each dataset once
        with pytest.raises(CalibrationLookupError, match="ambiguous"):
            butler.query_datasets("bias", collections="calib", find_first=True)
        assert list(butler.query_datasets("bias", collections="calib", find_first=True,
                                          where="instrument = :i AND detector = 2", bind={"i": INSTRUMENT})
                    ) == [refs[2]]
        assert sorted(r.id for r in butler.query_datasets("bias", collections=["late", "calib"], find_first=True)
                      ) == sorted([refs[1].id, refs[2].id])
        at_visit = butler.query_datasets("bias", collections="calib", where="visit = 2 AND detector = 1",
                                         data_id={"instrument": INSTRUMENT}, find_first=True)
        assert list(at_visit) == [refs[1]]  # the calibration valid at visit 2's time
        assert sorted(r.id for r in butler.query_datasets("bias", collections="calib", find_first=True,
                                                          data_id={"instrument": INSTRUMENT, "visit": 1})
                      ) == sorted([refs[0].id, refs[2].id])
        assert [d["detector"] for d in butler.query_data_ids("detector", datasets="bias", collections="calib",
                                                             data_id={"instrument": INSTRUMENT}).order_by("detector")
                ] == [1, 2]
