"""The Registry contract, topic group. Calibrations: CALIBRATION collections, certify, decertify, lookups by time.

Adopt it alone by subclassing ``RegistryCalibrationsContract`` and providing ``make_registry``;
``RegistryContract`` includes it. Registries that declare ``RegistryCapability.CALIBRATIONS`` run
the behaviour tests; the others run the refusal tests.
"""

from __future__ import annotations

import datetime
import uuid

import pytest

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef
from ..domain.dataset_type import DatasetType
from ..domain.errors import (
    CalibrationConflictError,
    CalibrationLookupError,
    CapabilityError,
    CollectionError,
    CollectionKindError,
    ConflictingDefinitionError,
    DataIdError,
    DatasetNotFoundError,
    DatasetTypeError,
    MissingCollectionError,
)
from ..domain.values import Timespan
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .registry_support import CALEXP, CHAINED, RUN, TAGGED, RegistryFixtures
from .requirements import refuses, requires

CALIBRATION = CollectionKind.CALIBRATION
BIAS = DatasetType("bias", ("instrument", "detector"), "StructuredData", is_calibration=True)
FLAT = DatasetType("flat", ("instrument", "detector", "physical_filter"), "StructuredData", is_calibration=True)
NOT_CALIBRATION = DatasetType("dark_frame", ("instrument", "detector"), "StructuredData")


def day(n: int, hour: int = 0) -> datetime.datetime:
    """Midnight (or ``hour``) of January ``n``, 2024, UTC."""
    return datetime.datetime(2024, 1, n, hour)


def bias_id(detector: int = 1, instrument: str = "Cam1") -> dict[str, object]:
    """A bias DataId of the standard data."""
    return {"instrument": instrument, "detector": detector}


def ranges(registry: Registry, collection: str = "calib") -> list[tuple[uuid.UUID, object, Timespan]]:
    """(dataset id, DataId, validity range) of every certification in ``collection``, sorted."""
    return sorted(((c.ref.id, dict(c.ref.data_id), c.timespan) for c in registry.query_certifications(collection)),
                  key=repr)


class RegistryCalibrationsContract(RegistryFixtures):
    """Calibrations of the Registry contract (tests that check a refusal run without the capability)."""

    @pytest.fixture
    def biases(self, populated: Registry) -> list[DatasetRef]:
        """Two bias datasets of Cam1 detector 1 (runs b1, b2), one of detector 2 (b1); collection calib."""
        populated.register_dataset_type(BIAS)
        for run in ("b1", "b2"):
            populated.register_collection(run, RUN)
        refs = populated.insert_datasets("bias", "b1", [bias_id(1), bias_id(2)])
        refs += populated.insert_datasets("bias", "b2", [bias_id(1)])
        populated.register_collection("calib", CALIBRATION, "biases by date")
        return refs

    def find(self, registry: Registry, collections: list[str], at: Timespan | None, detector: int = 1
             ) -> DatasetRef | None:
        return registry.find_datasets("bias", [bias_id(detector)], collections, timespan=at)[0]

    # -- collections and dataset types ---------------------------------------------------------

    @requires(RegistryCapability.CALIBRATIONS)
    def test_a_calibration_collection_is_registered_listed_chained_and_removed(self, populated: Registry,
                                                                               biases: list[DatasetRef]) -> None:
        registry = populated
        assert registry.get_collection("calib").kind is CALIBRATION
        assert registry.get_collection("calib").doc == "biases by date"
        assert [c.name for c in registry.query_collections(kinds=[CALIBRATION])] == ["calib"]
        registry.register_collection("defaults", CHAINED)
        registry.set_chain("defaults", ["b1", "calib"])
        assert registry.resolve_collections(["defaults"]) == ("b1", "calib")
        with pytest.raises(CollectionError, match="defaults"):
            registry.remove_collection("calib")
        registry.set_chain("defaults", [])
        registry.certify("calib", [biases[0]], Timespan(day(1), day(2)))
        registry.remove_collection("calib")
        assert [c.name for c in registry.query_collections(kinds=[CALIBRATION])] == []
        assert registry.get_datasets([biases[0].id]) == [biases[0]]  # the dataset stays in its run
        registry.register_collection("calib", CALIBRATION)  # the same name again starts empty
        assert registry.query_certifications("calib") == []

    @requires(RegistryCapability.CALIBRATIONS)
    def test_is_calibration_is_kept_and_part_of_the_definition(self, registry: Registry) -> None:
        registry.register_dataset_type(BIAS)
        assert registry.get_dataset_type("bias").is_calibration is True
        assert registry.register_dataset_type(BIAS) is False
        with pytest.raises(ConflictingDefinitionError, match="calibration"):
            registry.register_dataset_type(DatasetType("bias", ("instrument", "detector"), "StructuredData"))
        assert registry.get_dataset_type("bias").is_calibration is True

    # -- certify and find by time ----------------------------------------------------------------

    @requires(RegistryCapability.CALIBRATIONS)
    def test_a_certified_dataset_is_found_by_a_time_inside_its_range_only(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        registry = populated
        registry.certify("calib", [biases[0], biases[1]], Timespan(day(1), day(3)))
        registry.certify("calib", [biases[2]], Timespan(day(3), None))
        assert self.find(registry, ["calib"], Timespan(day(1, 5), day(1, 6))) == biases[0]
        assert self.find(registry, ["calib"], Timespan(day(2), day(2))) == biases[0]  # an instant
        assert self.find(registry, ["calib"], Timespan(day(3), day(4))) == biases[2]  # half-open: day 3 is b2's
        assert self.find(registry, ["calib"], Timespan(day(3), day(3))) == biases[2]  # the instant that begins it
        assert self.find(registry, ["calib"], Timespan(day(2, 1), day(2, 2)), detector=2) == biases[1]
        assert self.find(registry, ["calib"], Timespan(day(5), None), detector=2) is None
        assert self.find(registry, ["calib"], Timespan(None, day(1))) is None
        assert ranges(registry) == sorted([
            (biases[0].id, bias_id(1), Timespan(day(1), day(3))), (biases[1].id, bias_id(2), Timespan(day(1), day(3))),
            (biases[2].id, bias_id(1), Timespan(day(3), None))], key=repr)
        assert {r.id for r in registry.datasets_in_collection("calib")} == {r.id for r in biases}

    @requires(RegistryCapability.CALIBRATIONS)
    def test_certifications_are_listed_by_dataset_type_and_time(self, populated: Registry,
                                                               biases: list[DatasetRef]) -> None:
        registry = populated
        registry.register_dataset_type(FLAT)
        registry.certify("calib", [biases[0]], Timespan(day(1), day(3)))
        registry.certify("calib", [biases[2]], Timespan(day(3), None))
        assert [c.ref for c in registry.query_certifications("calib", "bias", timespan=Timespan(day(4), day(5)))
                ] == [biases[2]]
        assert [c.ref for c in registry.query_certifications("calib", timespan=Timespan(day(2), day(2)))] == [
            biases[0]]
        assert registry.query_certifications("calib", "flat") == []
        with pytest.raises(CollectionKindError, match="CALIBRATION"):
            registry.query_certifications("b1")

    @requires(RegistryCapability.CALIBRATIONS)
    def test_a_calibration_collection_is_skipped_without_a_time(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        """As the reference's ``findDataset``: without a time a CALIBRATION collection cannot choose."""
        registry = populated
        registry.certify("calib", [biases[0]], Timespan(day(1), day(3)))
        assert self.find(registry, ["calib"], None) is None
        assert self.find(registry, ["calib", "b2"], None) == biases[2]

    @requires(RegistryCapability.CALIBRATIONS)
    def test_a_time_matching_two_ranges_in_one_collection_is_ambiguous(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        registry = populated
        registry.certify("calib", [biases[0]], Timespan(day(1), day(3)))
        registry.certify("calib", [biases[2]], Timespan(day(3), day(5)))
        with pytest.raises(CalibrationLookupError, match=r"'calib'.*2 validity ranges"):
            self.find(registry, ["calib"], Timespan(day(2), day(4)))
        with pytest.raises(CalibrationLookupError, match="no time given"):
            self.find(registry, ["calib"], Timespan(None, None))

    @requires(RegistryCapability.CALIBRATIONS)
    def test_find_first_follows_a_chain_that_mixes_kinds(self, populated: Registry, biases: list[DatasetRef]) -> None:
        registry = populated
        registry.certify("calib", [biases[0]], Timespan(day(1), day(3)))
        registry.register_collection("picked", TAGGED)
        registry.associate("picked", [biases[2]])
        registry.register_collection("empty_run", RUN)
        registry.register_collection("search", CHAINED)
        registry.set_chain("search", ["empty_run", "calib", "picked"])
        inside, outside = Timespan(day(2), day(2)), Timespan(day(10), day(11))
        assert self.find(registry, ["search"], inside) == biases[0]  # the calibration comes before the tag
        assert self.find(registry, ["search"], outside) == biases[2]  # outside its range: the tag
        assert self.find(registry, ["search"], None) == biases[2]  # no time: the calibration collection is skipped
        registry.set_chain("search", ["picked", "calib"])
        assert self.find(registry, ["search"], inside) == biases[2]

    @requires(RegistryCapability.CALIBRATIONS)
    def test_certifying_a_dataset_for_several_disjoint_ranges(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        registry = populated
        registry.certify("calib", [biases[0]], Timespan(day(1), day(2)))
        registry.certify("calib", [biases[0]], Timespan(day(4), day(5)))
        registry.certify("calib", [biases[2]], Timespan(day(2), day(4)))
        assert [self.find(registry, ["calib"], Timespan(day(n, 12), day(n, 13))) for n in (1, 2, 3, 4)] == [
            biases[0], biases[2], biases[2], biases[0]]

    # -- overlaps are refused --------------------------------------------------------------------

    @requires(RegistryCapability.CALIBRATIONS)
    def test_an_overlapping_range_is_refused_naming_both_and_nothing_changes(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        registry = populated
        registry.certify("calib", [biases[0]], Timespan(day(1), day(3)))
        before = ranges(registry)
        with pytest.raises(CalibrationConflictError) as refused:
            registry.certify("calib", [biases[1], biases[2]], Timespan(day(2), None))  # detector 2 alone would fit
        message = str(refused.value)
        assert "'bias'" in message and "'detector': 1" in message and "'calib'" in message
        assert "[2024-01-02T00:00:00, +inf)" in message and "[2024-01-01T00:00:00, 2024-01-03T00:00:00)" in message
        assert ranges(registry) == before  # detector 2 was not certified either
        with pytest.raises(CalibrationConflictError):
            registry.certify("calib", [biases[0]], Timespan(day(1), day(3)))  # the same again overlaps too
        with pytest.raises(CalibrationConflictError):  # two datasets of one DataId in one call
            registry.certify("calib", [biases[0], biases[2]], Timespan(day(7), day(8)))
        assert ranges(registry) == before
        registry.certify("calib", [biases[2]], Timespan(day(3), None))  # touching, half-open: no overlap
        assert len(ranges(registry)) == 2

    @requires(RegistryCapability.CALIBRATIONS)
    def test_the_same_range_in_another_collection_is_no_conflict(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        registry = populated
        registry.register_collection("calib2", CALIBRATION)
        registry.certify("calib", [biases[0]], Timespan(day(1), day(3)))
        registry.certify("calib2", [biases[2]], Timespan(day(1), day(3)))
        at = Timespan(day(2), day(2))
        assert self.find(registry, ["calib2", "calib"], at) == biases[2]
        assert self.find(registry, ["calib", "calib2"], at) == biases[0]

    # -- decertify -------------------------------------------------------------------------------

    @requires(RegistryCapability.CALIBRATIONS)
    def test_decertify_splits_a_range_around_the_cleared_time(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        registry = populated
        registry.certify("calib", [biases[0]], Timespan(day(1), day(10)))
        registry.decertify("calib", "bias", Timespan(day(3), day(5)))
        assert ranges(registry) == [(biases[0].id, bias_id(1), Timespan(day(1), day(3))),
                                    (biases[0].id, bias_id(1), Timespan(day(5), day(10)))]
        assert self.find(registry, ["calib"], Timespan(day(4), day(4))) is None
        registry.certify("calib", [biases[2]], Timespan(day(3), day(5)))  # the cleared time can be filled again
        assert self.find(registry, ["calib"], Timespan(day(4), day(4))) == biases[2]

    @requires(RegistryCapability.CALIBRATIONS)
    def test_decertify_trims_overlapping_ends_and_removes_contained_ranges(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        registry = populated
        registry.certify("calib", [biases[0]], Timespan(None, day(3)))
        registry.certify("calib", [biases[2]], Timespan(day(3), day(5)))
        registry.certify("calib", [biases[0]], Timespan(day(5), None))
        registry.certify("calib", [biases[1]], Timespan(day(1), day(9)))
        registry.decertify("calib", "bias", Timespan(day(2), day(6)), data_ids=[bias_id(1)])
        assert ranges(registry) == sorted([
            (biases[0].id, bias_id(1), Timespan(None, day(2))), (biases[0].id, bias_id(1), Timespan(day(6), None)),
            (biases[1].id, bias_id(2), Timespan(day(1), day(9)))], key=repr)  # detector 2 was not named
        registry.decertify("calib", "bias", Timespan(None, None))
        assert ranges(registry) == []
        assert registry.get_datasets([r.id for r in biases]) == biases  # the datasets stay

    @requires(RegistryCapability.CALIBRATIONS)
    def test_removing_a_dataset_removes_its_certifications(self, populated: Registry, biases: list[DatasetRef]) -> None:
        registry = populated
        registry.certify("calib", [biases[0], biases[1]], Timespan(day(1), day(3)))
        registry.remove_datasets([biases[0].id])
        assert [c.ref.id for c in registry.query_certifications("calib")] == [biases[1].id]
        assert self.find(registry, ["calib"], Timespan(day(2), day(2))) is None

    # -- bad input changes nothing ---------------------------------------------------------------

    @requires(RegistryCapability.CALIBRATIONS)
    def test_a_non_calibration_type_is_refused(self, populated: Registry, biases: list[DatasetRef]) -> None:
        registry = populated
        registry.register_dataset_type(NOT_CALIBRATION)
        dark = registry.insert_datasets("dark_frame", "b1", [bias_id(1)])
        with pytest.raises(DatasetTypeError, match=r"'dark_frame' is not a calibration type"):
            registry.certify("calib", [biases[0], *dark], Timespan(day(1), day(2)))
        with pytest.raises(DatasetTypeError, match="dark_frame"):
            registry.decertify("calib", "dark_frame", Timespan(day(1), day(2)))
        assert ranges(registry) == []  # the calibration in the same call was not certified

    @requires(RegistryCapability.CALIBRATIONS)
    def test_unknown_or_wrong_collections_are_refused(self, populated: Registry, biases: list[DatasetRef]) -> None:
        registry = populated
        with pytest.raises(MissingCollectionError, match="calbi"):
            registry.certify("calbi", [biases[0]], Timespan(day(1), day(2)))
        with pytest.raises(CollectionKindError, match="'b1' is RUN, not CALIBRATION"):
            registry.certify("b1", [biases[0]], Timespan(day(1), day(2)))
        with pytest.raises(CollectionKindError, match="CALIBRATION"):
            registry.decertify("b1", "bias", Timespan(day(1), day(2)))
        with pytest.raises(CollectionKindError, match="'calib' is CALIBRATION, not TAGGED"):
            registry.associate("calib", [biases[0]])
        with pytest.raises(CollectionKindError, match="RUN"):
            registry.insert_datasets("bias", "calib", [bias_id(3)])
        assert ranges(registry) == []

    @requires(RegistryCapability.CALIBRATIONS)
    def test_bad_ranges_and_unknown_datasets_are_refused(self, populated: Registry, biases: list[DatasetRef]) -> None:
        registry = populated
        with pytest.raises(DataIdError, match="before its begin"):
            Timespan(day(3), day(1))
        with pytest.raises(DataIdError, match="empty"):
            registry.certify("calib", [biases[0]], Timespan(day(3), day(3)))
        with pytest.raises(DataIdError, match="Timespan"):
            registry.certify("calib", [biases[0]], (day(1), day(2)))  # type: ignore[arg-type]
        with pytest.raises(DataIdError, match="Timespan"):
            registry.find_datasets("bias", [bias_id(1)], ["calib"], timespan=day(1))  # type: ignore[arg-type]
        ghost = DatasetRef(BIAS, biases[0].data_id, "b1", uuid.uuid4())
        with pytest.raises(DatasetNotFoundError, match=str(ghost.id)):
            registry.certify("calib", [biases[1], ghost], Timespan(day(1), day(2)))
        assert ranges(registry) == []

    @requires(RegistryCapability.CALIBRATIONS)
    def test_a_lookup_of_a_non_calibration_type_ignores_calibration_collections(self, populated: Registry,
        biases: list[DatasetRef]) -> None:
        """A non-calibration lookup ignores CALIBRATION collections and times (they cannot hold its datasets)."""
        registry = populated
        registry.register_dataset_type(CALEXP)
        registry.register_collection("r", RUN)
        calexp = registry.insert_datasets("calexp", "r", [{"instrument": "Cam1", "visit": 1, "detector": 1}])
        found = registry.find_datasets("calexp", [{"instrument": "Cam1", "visit": 1, "detector": 1}], ["calib", "r"],
                                       timespan=Timespan(day(1), day(2)))
        assert found == calexp


class RegistryCalibrationsRefusedContract(RegistryFixtures):
    """Without CALIBRATIONS: CALIBRATION collections, calibration types and certify are refused, nothing stored."""

    @refuses(RegistryCapability.CALIBRATIONS)
    def test_calibration_collections_are_refused_without_the_capability(self, populated: Registry) -> None:
        with pytest.raises(CapabilityError, match="calibrations"):
            populated.register_collection("calib", CALIBRATION)
        assert [c.name for c in populated.query_collections()] == []
        with pytest.raises(CapabilityError, match="calibrations"):
            populated.certify("calib", [], Timespan(day(1), day(2)))
        with pytest.raises(CapabilityError, match="calibrations"):
            populated.decertify("calib", "bias", Timespan(day(1), day(2)))
        with pytest.raises(CapabilityError, match="calibrations"):
            populated.query_certifications("calib")
