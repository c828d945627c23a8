"""The Registry contract suite: one set of tests every Registry adapter must pass.

An adapter plugs in by subclassing ``RegistryContract`` in its own test module and providing the
``make_registry`` fixture (and, if it can, ``reopen_registry``)::

    class TestSqliteRegistry(RegistryContract):
        @pytest.fixture
        def make_registry(self, tmp_path): ...

``make_registry(universe=None)`` returns a fresh, empty, writeable registry on ``universe`` (the
default universe when None); the fixture closes what it made at teardown.
``reopen_registry(registry, writeable=True)`` returns another registry on the same store as
``registry`` (the same database), or the fixture is None when the adapter cannot do that; tests
that need it are skipped.

Tests that need a capability skip, naming it, when the registry does not declare it; for every
capability that is not declared, a test checks that the corresponding call is refused with
CapabilityError.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..domain.collection import CollectionKind
from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..domain.errors import (
    CapabilityError,
    CollectionError,
    CollectionKindError,
    ConflictingDefinitionError,
    DataButlerError,
    DataIdError,
    DatasetNotFoundError,
    DatasetTypeError,
    MissingCollectionError,
    MissingDatasetTypeError,
    ReadOnlyError,
    UnknownDataUnitError,
)
from ..domain.quantum import Quantum, QuantumStatus
from ..domain.universe import Universe
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import insert_standard_data_units, standard_records, visit_timespan
from .registry_artifacts import RegistryArtifactUsersContract
from .registry_editing import DatasetTypeRulesContract, DataUnitUpdateContract

RUN, TAGGED, CHAINED = CollectionKind.RUN, CollectionKind.TAGGED, CollectionKind.CHAINED
CALEXP = DatasetType("calexp", ("instrument", "detector", "visit"), "StructuredData")
RAW = DatasetType("raw", ("instrument", "detector", "exposure"), "StructuredData")
COADD = DatasetType("deepCoadd", ("band", "skymap", "tract", "patch"), "StructuredData")

TINY_UNIVERSE = {
    "namespace": "tiny", "version": 3,
    "elements": {
        "camera": {"key": {"name": "name", "type": "string", "length": 16}},
        "ccd": {"key": {"name": "id", "type": "int"}, "requires": ["camera"],
                "metadata": [{"name": "gain", "type": "float"}]},
    },
}

MakeRegistry = Callable[..., Registry]
ReopenRegistry = Callable[..., Registry]


class BoomError(Exception):
    """Raised by tests to abandon a transaction."""


def calexp_id(visit: int = 1, detector: int = 1, instrument: str = "Cam1") -> dict[str, Any]:
    """A calexp DataId of the standard data."""
    return {"instrument": instrument, "visit": visit, "detector": detector}


def artifact(ref: DatasetRef, component: str | None = None) -> StoredArtifact:
    """A plausible artifact record for ``ref``."""
    suffix = f".{component}" if component else ""
    return StoredArtifact(ref.id, f"{ref.run}/{ref.dataset_type.name}/{ref.id}{suffix}.json",
                          "databutler.formats.json.JsonFormatter", "StructuredData", "sha256:00ff", 42, component)


def all_records(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    """Every record of every element, to check that a refused write changed nothing."""
    return {e.name: registry.fetch_data_unit_records(e.name) for e in registry.universe.elements}


class RegistryContract(DataUnitUpdateContract, DatasetTypeRulesContract, RegistryArtifactUsersContract):
    """What every Registry must do; subclass it and provide ``make_registry``."""

    # -- fixtures the adapter provides --------------------------------------------------------

    @pytest.fixture
    def make_registry(self) -> MakeRegistry:
        """Override: a callable returning a fresh, empty, writeable registry (``universe=`` optional)."""
        pytest.skip("the adapter's test class must provide a make_registry fixture")

    @pytest.fixture
    def reopen_registry(self) -> ReopenRegistry | None:
        """Override: a callable returning another registry on the same store (``writeable=`` optional)."""
        return None

    # -- fixtures of the suite ----------------------------------------------------------------

    @pytest.fixture
    def registry(self, make_registry: MakeRegistry) -> Iterator[Registry]:
        """A fresh, empty, writeable registry on the default universe."""
        registry = make_registry()
        yield registry
        registry.close()

    @pytest.fixture
    def populated(self, registry: Registry) -> Registry:
        """A registry holding the standard DataUnit records."""
        insert_standard_data_units(registry)
        return registry

    @pytest.fixture
    def with_runs(self, populated: Registry) -> Registry:
        """The standard data plus calexp/raw dataset types and RUN collections run1 and run2."""
        populated.register_dataset_type(CALEXP)
        populated.register_dataset_type(RAW)
        populated.register_collection("run1", RUN)
        populated.register_collection("run2", RUN)
        return populated

    def _other(self, reopen_registry: ReopenRegistry | None, registry: Registry, **kwargs: Any) -> Registry:
        if reopen_registry is None:
            pytest.skip("the adapter provides no reopen_registry fixture (no second handle on the same store)")
        return reopen_registry(registry, **kwargs)

    # == universe and capabilities ============================================================

    def test_registry_holds_the_universe_it_was_made_with(self, make_registry: MakeRegistry) -> None:
        tiny = Universe.from_mapping(TINY_UNIVERSE)
        registry = make_registry(universe=tiny)
        assert registry.universe == tiny
        assert registry.insert_data_units("camera", [{"name": "C"}]) == 1
        assert registry.insert_data_units("ccd", [{"camera": "C", "id": 1, "gain": 1.5}]) == 1
        assert registry.fetch_data_unit_records("ccd") == [{"camera": "C", "id": 1, "gain": 1.5}]
        with pytest.raises(UnknownDataUnitError):
            registry.insert_data_units("instrument", [{"name": "Cam1"}])

    def test_declared_capabilities_are_registry_capabilities_and_include_write(self, registry: Registry) -> None:
        assert all(isinstance(c, RegistryCapability) for c in registry.capabilities)
        assert RegistryCapability.WRITE in registry.capabilities  # make_registry promises a writeable one

    def test_close_can_be_called_twice(self, make_registry: MakeRegistry) -> None:
        registry = make_registry()
        registry.close()
        registry.close()

    # == DataUnits =============================================================================

    def test_inserted_records_are_fetched_back_with_every_field(self, populated: Registry) -> None:
        visits = populated.fetch_data_unit_records("visit")
        expected = {(r["instrument"], r["id"]): r for r in standard_records()["visit"]}
        assert len(visits) == len(expected)
        for record in visits:
            given = expected[(record["instrument"], record["id"])]
            assert {k: record[k] for k in given} == given
            assert record["seq_num"] is None  # fields not given read back as None
        assert visits[0]["timespan"] == visit_timespan(visits[0]["instrument"], visits[0]["id"])

    def test_insert_returns_how_many_records_were_new(self, registry: Registry) -> None:
        assert registry.insert_data_units("instrument", [{"name": "Cam1"}, {"name": "Cam2"}]) == 2
        assert registry.insert_data_units("instrument", [{"name": "Cam1"}, {"name": "Cam3"}],
                                          skip_existing=True) == 1
        assert [r["name"] for r in registry.fetch_data_unit_records("instrument")] == ["Cam1", "Cam2", "Cam3"]

    def test_fetch_with_keys_returns_those_records_in_key_order(self, populated: Registry) -> None:
        records = populated.fetch_data_unit_records("detector", [{"instrument": "Cam2", "id": 3},
                                                                 {"instrument": "Cam1", "id": 2},
                                                                 {"instrument": "Cam1", "id": 99}])
        assert [(r["instrument"], r["id"]) for r in records] == [("Cam2", 3), ("Cam1", 2)]
        assert records[1]["full_name"] == "S01"

    def test_unknown_element_is_refused_with_a_suggestion(self, registry: Registry) -> None:
        with pytest.raises(UnknownDataUnitError, match="'visit'"):
            registry.insert_data_units("vist", [{"id": 1}])
        with pytest.raises(UnknownDataUnitError, match="'detector'"):
            registry.fetch_data_unit_records("detektor")
        with pytest.raises(UnknownDataUnitError):
            registry.expand_data_ids(["vist"], [{"instrument": "Cam1", "vist": 1}])

    def test_record_with_an_unknown_field_is_refused_and_nothing_is_written(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="colour"):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": 9, "colour": "red"}])
        assert all_records(populated) == before

    def test_record_missing_a_key_field_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="'id'"):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "full_name": "S99"}])
        with pytest.raises(DataIdError, match="'instrument'"):
            populated.insert_data_units("detector", [{"id": 9}])
        assert all_records(populated) == before

    def test_record_with_a_key_of_the_wrong_type_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="integer"):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": "nine"}])
        with pytest.raises(DataIdError):
            populated.insert_data_units("detector", [{"instrument": 1, "id": 9}])
        assert all_records(populated) == before

    def test_record_with_metadata_of_the_wrong_type_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="exposure_time"):
            populated.insert_data_units("visit", [{"instrument": "Cam1", "id": 9, "exposure_time": "long"}])
        with pytest.raises(DataIdError, match="timespan"):
            populated.insert_data_units("visit", [{"instrument": "Cam1", "id": 9, "timespan": "tonight"}])
        assert all_records(populated) == before

    @pytest.mark.parametrize("value", ["../x", "a/b", "..", ".", "a\\b", "tab\there", ""])
    def test_path_like_or_control_character_key_values_are_refused(self, registry: Registry, value: str) -> None:
        with pytest.raises(DataIdError):
            registry.insert_data_units("instrument", [{"name": value}])
        assert registry.fetch_data_unit_records("instrument") == []
        with pytest.raises(DataIdError):
            registry.expand_data_ids(["instrument"], [{"instrument": value}])

    def test_record_naming_a_parent_the_registry_does_not_hold_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="CamX"):
            populated.insert_data_units("detector", [{"instrument": "CamX", "id": 1}])
        with pytest.raises(DataIdError, match="Cam1-z"):
            populated.insert_data_units("visit", [{"instrument": "Cam1", "id": 9, "physical_filter": "Cam1-z"}])
        assert all_records(populated) == before

    def test_batch_with_one_bad_record_writes_nothing(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": 7}, {"instrument": "CamX", "id": 8}])
        assert all_records(populated) == before

    def test_reinserting_a_different_record_with_the_same_key_is_a_conflict(self, populated: Registry) -> None:
        before = all_records(populated)
        changed = {"instrument": "Cam1", "id": 1, "full_name": "other"}
        for skip_existing in (False, True):
            with pytest.raises(ConflictingDefinitionError, match="full_name"):
                populated.insert_data_units("detector", [changed], skip_existing=skip_existing)
        assert all_records(populated) == before

    def test_reinserting_an_identical_record_is_a_conflict_unless_skip_existing(self, populated: Registry) -> None:
        record = standard_records()["detector"][0]
        with pytest.raises(ConflictingDefinitionError):
            populated.insert_data_units("detector", [record])
        assert populated.insert_data_units("detector", [record], skip_existing=True) == 0
        partial = {"instrument": record["instrument"], "id": record["id"], "full_name": record["full_name"]}
        assert populated.insert_data_units("detector", [partial], skip_existing=True) == 0

    def test_the_same_key_twice_in_one_batch_is_a_conflict(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(ConflictingDefinitionError):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": 9, "full_name": "a"},
                                                     {"instrument": "Cam1", "id": 9, "full_name": "b"}])
        assert all_records(populated) == before

    def test_populated_by_units_are_inserted_from_their_source_records(self, registry: Registry) -> None:
        registry.insert_data_units("instrument", [{"name": "Cam1"}])
        assert registry.fetch_data_unit_records("band") == []
        registry.insert_data_units("physical_filter", [{"instrument": "Cam1", "name": "Cam1-g", "band": "g"},
                                                       {"instrument": "Cam1", "name": "Cam1-g2", "band": "g"},
                                                       {"instrument": "Cam1", "name": "Cam1-i", "band": "i"}])
        assert registry.fetch_data_unit_records("band") == [{"name": "g"}, {"name": "i"}]

    def test_join_element_records_are_inserted_and_fetched(self, populated: Registry) -> None:
        overlaps = populated.fetch_data_unit_records("visit_patch_overlap")
        assert len(overlaps) == len(standard_records()["visit_patch_overlap"])
        assert {"instrument": "Cam1", "visit": 1, "skymap": "SkyMap1", "tract": 0, "patch": 0} in overlaps
        regions = populated.fetch_data_unit_records("visit_detector_region",
                                                    [{"instrument": "Cam2", "visit": 12, "detector": 4}])
        assert regions == [{"instrument": "Cam2", "detector": 4, "visit": 12, "region": "vdr(Cam2,12,4)"}]

    def test_join_element_record_naming_an_unknown_unit_value_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="99"):
            populated.insert_data_units("visit_detector_region", [{"instrument": "Cam1", "visit": 99, "detector": 1}])
        assert all_records(populated) == before

    # == DataIds ===============================================================================

    def test_expand_fills_in_implied_values(self, populated: Registry) -> None:
        (expanded,) = populated.expand_data_ids(["visit", "detector"], [calexp_id(3, 2)])
        assert dict(expanded) == {"instrument": "Cam1", "detector": 2, "visit": 3}
        assert dict(expanded.implied) == {"physical_filter": "Cam1-r", "band": "r", "day_obs": 20240102}
        assert expanded == calexp_id(3, 2)

    def test_expand_accepts_implied_values_that_agree_with_the_records(self, populated: Registry) -> None:
        (expanded,) = populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 1, "band": "g"}])
        assert expanded.implied["physical_filter"] == "Cam1-g"

    def test_expand_refuses_an_implied_value_that_contradicts_the_records(self, populated: Registry) -> None:
        with pytest.raises(DataIdError, match="physical_filter"):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 1, "physical_filter": "Cam1-r"}])
        with pytest.raises(DataIdError, match="band"):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 1, "band": "r"}])

    def test_expand_refuses_a_value_the_registry_does_not_hold_naming_it(self, populated: Registry) -> None:
        with pytest.raises(DataIdError, match=r"visit.*77"):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 77}])
        with pytest.raises(DataIdError, match="Cam9"):
            populated.expand_data_ids(["detector"], [{"instrument": "Cam9", "detector": 1}])

    def test_expand_refuses_missing_extra_and_mistyped_keys(self, populated: Registry) -> None:
        with pytest.raises(DataIdError, match="detector"):
            populated.expand_data_ids(["visit", "detector"], [{"instrument": "Cam1", "visit": 1}])
        with pytest.raises(DataIdError, match="tract"):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 1, "tract": 0}])
        with pytest.raises(DataIdError):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": "1"}])

    def test_expand_handles_many_data_ids_at_once_in_order(self, populated: Registry) -> None:
        given = [calexp_id(v, d, i) for (i, v) in [("Cam1", 4), ("Cam2", 11), ("Cam1", 1)] for d in (1, 4)]
        expanded = populated.expand_data_ids(["visit", "detector"], given)
        assert expanded == given
        assert [e.implied["band"] for e in expanded] == ["r", "r", "r", "r", "g", "g"]

    # == DatasetTypes ==========================================================================

    def test_register_dataset_type_is_idempotent(self, populated: Registry) -> None:
        assert populated.register_dataset_type(CALEXP) is True
        assert populated.register_dataset_type(CALEXP) is False
        assert populated.get_dataset_type("calexp") == CALEXP

    def test_dataset_type_units_are_stored_as_their_required_closure(self, populated: Registry) -> None:
        populated.register_dataset_type(DatasetType("visit_summary", ("visit",), "StructuredData"))
        assert populated.get_dataset_type("visit_summary").units == ("instrument", "visit")
        assert populated.register_dataset_type(DatasetType("visit_summary", ("instrument", "visit"),
                                                           "StructuredData")) is False

    def test_conflicting_dataset_type_definition_is_refused(self, populated: Registry) -> None:
        populated.register_dataset_type(CALEXP)
        with pytest.raises(ConflictingDefinitionError, match="calexp"):
            populated.register_dataset_type(DatasetType("calexp", ("instrument", "visit"), "StructuredData"))
        with pytest.raises(ConflictingDefinitionError):
            populated.register_dataset_type(DatasetType("calexp", CALEXP.units, "NumpyArray"))
        assert populated.get_dataset_type("calexp") == CALEXP

    def test_dataset_type_with_an_unknown_unit_is_refused(self, populated: Registry) -> None:
        with pytest.raises(UnknownDataUnitError):
            populated.register_dataset_type(DatasetType("bad", ("instrument", "vist"), "StructuredData"))
        assert populated.query_dataset_types() == []

    def test_missing_dataset_type_raises_missing_dataset_type_error(self, populated: Registry) -> None:
        with pytest.raises(MissingDatasetTypeError, match="calexp"):
            populated.get_dataset_type("calexp")

    def test_query_dataset_types_matches_a_glob_and_sorts_by_name(self, populated: Registry) -> None:
        for dataset_type in (CALEXP, RAW, COADD, DatasetType("calexp_background", CALEXP.units, "StructuredData")):
            populated.register_dataset_type(dataset_type)
        assert [t.name for t in populated.query_dataset_types()] == ["calexp", "calexp_background", "deepCoadd",
                                                                     "raw"]
        assert [t.name for t in populated.query_dataset_types("calexp*")] == ["calexp", "calexp_background"]
        assert populated.query_dataset_types("nothing*") == []

    def test_remove_dataset_type_is_refused_while_datasets_of_it_exist(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with pytest.raises(DatasetTypeError, match="calexp"):
            with_runs.remove_dataset_type("calexp")
        assert with_runs.get_dataset_type("calexp") == CALEXP
        with_runs.remove_datasets([ref.id])
        with_runs.remove_dataset_type("calexp")
        with pytest.raises(MissingDatasetTypeError):
            with_runs.get_dataset_type("calexp")
        with pytest.raises(MissingDatasetTypeError):
            with_runs.remove_dataset_type("calexp")

    # == Collections ===========================================================================

    def test_collections_of_each_kind_are_registered_and_described(self, registry: Registry) -> None:
        assert registry.register_collection("u/alice/run1", RUN, "Alice's first run") is True
        assert registry.register_collection("best", TAGGED) is True
        assert registry.register_collection("defaults", CHAINED, "search path") is True
        described = registry.get_collection("u/alice/run1")
        assert (described.name, described.kind, described.doc) == ("u/alice/run1", RUN, "Alice's first run")
        assert registry.get_collection("best").kind is TAGGED
        assert registry.get_collection("defaults").children == ()

    def test_reregistering_a_collection_with_its_kind_returns_false(self, registry: Registry) -> None:
        registry.register_collection("run1", RUN)
        assert registry.register_collection("run1", RUN) is False
        assert [c.name for c in registry.query_collections()] == ["run1"]

    def test_reregistering_a_collection_with_another_kind_is_refused(self, registry: Registry) -> None:
        registry.register_collection("run1", RUN)
        with pytest.raises(CollectionKindError, match="run1"):
            registry.register_collection("run1", TAGGED)
        assert registry.get_collection("run1").kind is RUN

    @pytest.mark.parametrize("name", ["", "/abs", "trailing/", "a/../b", "a//b", "back\\slash", "new\nline", "n" * 256])
    def test_invalid_collection_names_are_refused(self, registry: Registry, name: str) -> None:
        with pytest.raises(CollectionError):
            registry.register_collection(name, RUN)
        assert registry.query_collections() == []

    def test_missing_collection_raises_missing_collection_error(self, registry: Registry) -> None:
        registry.register_collection("run1", RUN)
        with pytest.raises(MissingCollectionError, match="run2"):
            registry.get_collection("run2")
        with pytest.raises(MissingCollectionError):
            registry.resolve_collections(["run1", "run2"])

    def test_query_collections_filters_by_glob_and_kind(self, registry: Registry) -> None:
        for name, kind in [("u/a/run1", RUN), ("u/a/run2", RUN), ("u/a/tag", TAGGED), ("u/a/chain", CHAINED),
                           ("other", RUN)]:
            registry.register_collection(name, kind)
        assert [c.name for c in registry.query_collections("u/a/*")] == ["u/a/chain", "u/a/run1", "u/a/run2",
                                                                          "u/a/tag"]
        assert [c.name for c in registry.query_collections(kinds=[RUN])] == ["other", "u/a/run1", "u/a/run2"]
        assert [c.name for c in registry.query_collections("u/*", kinds=[TAGGED, CHAINED])] == ["u/a/chain",
                                                                                               "u/a/tag"]

    def test_chain_children_are_kept_in_order_and_resolved_in_order(self, registry: Registry) -> None:
        for name in ("r1", "r2", "r3"):
            registry.register_collection(name, RUN)
        registry.register_collection("chain", CHAINED)
        registry.set_chain("chain", ["r3", "r1", "r2"])
        assert registry.get_collection("chain").children == ("r3", "r1", "r2")
        assert registry.resolve_collections(["chain"]) == ("r3", "r1", "r2")
        registry.set_chain("chain", ["r2"])
        assert registry.resolve_collections(["chain"]) == ("r2",)
        assert [c.children for c in registry.query_collections(kinds=[CHAINED])] == [("r2",)]

    def test_nested_chains_resolve_depth_first_keeping_first_occurrences(self, registry: Registry) -> None:
        for name in ("r1", "r2", "r3"):
            registry.register_collection(name, RUN)
        registry.register_collection("tag", TAGGED)
        registry.register_collection("inner", CHAINED)
        registry.register_collection("outer", CHAINED)
        registry.set_chain("inner", ["r2", "tag"])
        registry.set_chain("outer", ["r3", "inner", "r2", "r1"])
        assert registry.resolve_collections(["outer"]) == ("r3", "r2", "tag", "r1")
        assert registry.resolve_collections(["r1", "outer", "r3"]) == ("r1", "r3", "r2", "tag")

    def test_chain_cycles_are_refused_and_the_chain_is_unchanged(self, registry: Registry) -> None:
        registry.register_collection("r1", RUN)
        for name in ("a", "b", "c"):
            registry.register_collection(name, CHAINED)
        registry.set_chain("a", ["b", "r1"])
        registry.set_chain("b", ["c"])
        with pytest.raises(CollectionError):
            registry.set_chain("c", ["a"])
        with pytest.raises(CollectionError):
            registry.set_chain("a", ["a"])
        assert registry.get_collection("a").children == ("b", "r1")
        assert registry.get_collection("c").children == ()
        assert registry.resolve_collections(["a"]) == ("r1",)

    def test_set_chain_needs_a_chain_and_known_children(self, registry: Registry) -> None:
        registry.register_collection("r1", RUN)
        registry.register_collection("chain", CHAINED)
        with pytest.raises(CollectionKindError):
            registry.set_chain("r1", ["chain"])
        with pytest.raises(MissingCollectionError, match="nope"):
            registry.set_chain("chain", ["r1", "nope"])
        with pytest.raises(MissingCollectionError):
            registry.set_chain("no_chain", ["r1"])
        assert registry.get_collection("chain").children == ()

    def test_removing_a_run_that_holds_datasets_is_refused(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with pytest.raises(CollectionError, match="run1"):
            with_runs.remove_collection("run1")
        assert with_runs.get_datasets([ref.id]) == [ref]
        with_runs.remove_datasets([ref.id])
        with_runs.remove_collection("run1")
        with pytest.raises(MissingCollectionError):
            with_runs.get_collection("run1")
        assert with_runs.register_collection("run1", TAGGED) is True  # the name is free again

    def test_removing_a_child_of_a_chain_is_refused_naming_the_chain(self, registry: Registry) -> None:
        registry.register_collection("r1", RUN)
        registry.register_collection("my_chain", CHAINED)
        registry.set_chain("my_chain", ["r1"])
        with pytest.raises(CollectionError, match="my_chain"):
            registry.remove_collection("r1")
        assert registry.resolve_collections(["my_chain"]) == ("r1",)
        registry.remove_collection("my_chain")
        assert registry.get_collection("r1").kind is RUN
        registry.remove_collection("r1")
        assert registry.query_collections() == []

    def test_removing_a_tagged_collection_drops_its_associations_only(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with_runs.register_collection("tag", TAGGED)
        with_runs.associate("tag", [ref])
        with_runs.remove_collection("tag")
        assert with_runs.get_datasets([ref.id]) == [ref]
        with_runs.register_collection("tag", TAGGED)
        assert with_runs.datasets_in_collection("tag") == []

    def test_removing_an_unknown_collection_raises_missing_collection_error(self, registry: Registry) -> None:
        with pytest.raises(MissingCollectionError):
            registry.remove_collection("nope")

    # == TAGGED associations ===================================================================

    def test_associate_adds_datasets_and_readding_is_a_no_op(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        with_runs.register_collection("tag", TAGGED)
        with_runs.associate("tag", refs[:1])
        with_runs.associate("tag", refs)
        with_runs.associate("tag", refs)
        assert sorted(r.id for r in with_runs.datasets_in_collection("tag")) == sorted(r.id for r in refs)

    def test_disassociate_removes_and_ignores_absent_datasets(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        with_runs.register_collection("tag", TAGGED)
        with_runs.associate("tag", refs[:1])
        with_runs.disassociate("tag", refs)
        with_runs.disassociate("tag", refs)
        assert with_runs.datasets_in_collection("tag") == []
        assert with_runs.get_datasets([r.id for r in refs]) == refs

    def test_associating_a_second_dataset_with_the_same_data_id_is_a_conflict(self, with_runs: Registry) -> None:
        (first,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        (second,) = with_runs.insert_datasets("calexp", "run2", [calexp_id()])
        with_runs.register_collection("tag", TAGGED)
        with_runs.associate("tag", [first])
        with pytest.raises(ConflictingDefinitionError):
            with_runs.associate("tag", [second])
        assert with_runs.datasets_in_collection("tag") == [first]
        with_runs.register_collection("tag2", TAGGED)
        with pytest.raises(ConflictingDefinitionError):
            with_runs.associate("tag2", [first, second])
        assert with_runs.datasets_in_collection("tag2") == []

    def test_associate_needs_a_tagged_collection_and_known_datasets(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with pytest.raises(CollectionKindError):
            with_runs.associate("run2", [ref])
        with pytest.raises(MissingCollectionError):
            with_runs.associate("nope", [ref])
        with_runs.register_collection("tag", TAGGED)
        ghost = DatasetRef(ref.dataset_type, ref.data_id, "run1", uuid.uuid4())
        with pytest.raises(DatasetNotFoundError):
            with_runs.associate("tag", [ref, ghost])
        assert with_runs.datasets_in_collection("tag") == []
        assert with_runs.datasets_in_collection("run2") == []

    # == Datasets ==============================================================================

    def test_inserted_datasets_have_expanded_data_ids_run_and_type(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1, 1), calexp_id(3, 2)])
        assert [r.run for r in refs] == ["run1", "run1"]
        assert all(r.dataset_type == CALEXP for r in refs)
        assert refs[1].data_id == calexp_id(3, 2)
        assert refs[1].data_id.implied == {"physical_filter": "Cam1-r", "band": "r", "day_obs": 20240102}
        assert len({r.id for r in refs}) == 2

    def test_inserted_datasets_keep_given_ids(self, with_runs: Registry) -> None:
        ids = [uuid.uuid4(), uuid.uuid4()]
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)], ids=ids)
        assert [r.id for r in refs] == ids
        assert with_runs.get_datasets(ids) == refs
        with pytest.raises(DataButlerError):
            with_runs.insert_datasets("calexp", "run1", [calexp_id(3)], ids=ids)
        assert with_runs.find_datasets("calexp", [calexp_id(3)], ["run1"]) == [None]

    def test_inserted_datasets_are_found_by_data_id(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(v, d) for v in (1, 2) for d in (1, 2)])
        found = with_runs.find_datasets("calexp", [calexp_id(2, 1), calexp_id(4, 4), calexp_id(1, 2)], ["run1"])
        assert found == [refs[2], None, refs[1]]
        assert found[0] is not None and found[0].data_id.implied["band"] == "g"

    def test_find_accepts_data_ids_carrying_consistent_implied_values(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        assert with_runs.find_datasets("calexp", [{**calexp_id(), "band": "g"}], ["run1"]) == [ref]

    def test_a_dataset_already_in_the_run_is_a_conflict_and_nothing_is_inserted(self, with_runs: Registry) -> None:
        (existing,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
        with pytest.raises(ConflictingDefinitionError, match="run1"):
            with_runs.insert_datasets("calexp", "run1", [calexp_id(2), calexp_id(1)])
        assert with_runs.find_datasets("calexp", [calexp_id(2), calexp_id(1)], ["run1"]) == [None, existing]
        assert with_runs.datasets_in_collection("run1") == [existing]

    def test_a_data_id_twice_in_one_batch_is_a_conflict_and_nothing_is_inserted(self, with_runs: Registry) -> None:
        with pytest.raises(ConflictingDefinitionError):
            with_runs.insert_datasets("calexp", "run1", [calexp_id(2), calexp_id(1), calexp_id(2)])
        assert with_runs.datasets_in_collection("run1") == []

    def test_the_same_data_id_may_exist_once_per_run(self, with_runs: Registry) -> None:
        (first,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        (second,) = with_runs.insert_datasets("calexp", "run2", [calexp_id()])
        assert first.id != second.id

    def test_insert_needs_a_registered_type_a_run_and_valid_data_ids(self, with_runs: Registry) -> None:
        with_runs.register_collection("tag", TAGGED)
        with pytest.raises(MissingDatasetTypeError):
            with_runs.insert_datasets("nope", "run1", [calexp_id()])
        with pytest.raises(MissingCollectionError):
            with_runs.insert_datasets("calexp", "run9", [calexp_id()])
        with pytest.raises(CollectionKindError):
            with_runs.insert_datasets("calexp", "tag", [calexp_id()])
        with pytest.raises(DataIdError, match="99"):
            with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(99)])
        with pytest.raises(DataIdError):
            with_runs.insert_datasets("calexp", "run1", [{"instrument": "Cam1", "visit": 1}])
        with pytest.raises(DataIdError):
            with_runs.insert_datasets("calexp", "run1", [{**calexp_id(), "band": "r"}])
        assert with_runs.datasets_in_collection("run1") == []

    def test_find_returns_the_first_match_in_the_search_path(self, with_runs: Registry) -> None:
        (a,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
        b, c = with_runs.insert_datasets("calexp", "run2", [calexp_id(1), calexp_id(2)])
        assert with_runs.find_datasets("calexp", [calexp_id(1), calexp_id(2)], ["run1", "run2"]) == [a, c]
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["run2", "run1"]) == [b]
        with_runs.register_collection("chain", CHAINED)
        with_runs.set_chain("chain", ["run2", "run1"])
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["chain"]) == [b]
        with_runs.set_chain("chain", ["run1", "run2"])
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["chain"]) == [a]
        assert with_runs.find_datasets("raw", [{"instrument": "Cam1", "exposure": 101, "detector": 1}],
                                       ["chain"]) == [None]

    def test_find_looks_in_tagged_collections(self, with_runs: Registry) -> None:
        (a,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
        (b,) = with_runs.insert_datasets("calexp", "run2", [calexp_id(1)])
        with_runs.register_collection("tag", TAGGED)
        with_runs.associate("tag", [b])
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["tag", "run1"]) == [b]
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["run1", "tag"]) == [a]
        assert with_runs.find_datasets("calexp", [calexp_id(2)], ["tag"]) == [None]

    def test_find_refuses_an_unknown_collection_or_dataset_type(self, with_runs: Registry) -> None:
        with pytest.raises(MissingCollectionError):
            with_runs.find_datasets("calexp", [calexp_id()], ["run1", "nope"])
        with pytest.raises(MissingDatasetTypeError):
            with_runs.find_datasets("nope", [calexp_id()], ["run1"])

    def test_get_datasets_returns_none_for_unknown_ids_in_order(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        unknown = uuid.uuid4()
        assert with_runs.get_datasets([refs[1].id, unknown, refs[0].id]) == [refs[1], None, refs[0]]
        assert with_runs.get_datasets([]) == []

    def test_datasets_in_collection_lists_runs_tags_and_chains_in_order(self, with_runs: Registry) -> None:
        run1 = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        raw = with_runs.insert_datasets("raw", "run1", [{"instrument": "Cam1", "exposure": 101, "detector": 1}])
        run2 = with_runs.insert_datasets("calexp", "run2", [calexp_id(3)])
        assert {r.id for r in with_runs.datasets_in_collection("run1")} == {r.id for r in run1 + raw}
        assert {r.id for r in with_runs.datasets_in_collection("run1", "calexp")} == {r.id for r in run1}
        with_runs.register_collection("chain", CHAINED)
        with_runs.set_chain("chain", ["run2", "run1"])
        listed = with_runs.datasets_in_collection("chain", "calexp")
        assert listed[0] == run2[0]
        assert {r.id for r in listed[1:]} == {r.id for r in run1}

    def test_import_keeps_ids_and_runs_and_is_idempotent(self, with_runs: Registry) -> None:
        calexp = with_runs.get_dataset_type("calexp")
        with_runs.register_collection("imported", RUN)
        refs = [DatasetRef(calexp, DataId(calexp_id(v)), "imported", uuid.uuid4()) for v in (1, 2)]
        imported = with_runs.import_datasets(refs)
        assert [r.id for r in imported] == [r.id for r in refs]
        assert with_runs.get_datasets([r.id for r in refs]) == refs
        assert with_runs.import_datasets(refs) == imported
        assert len(with_runs.datasets_in_collection("imported")) == 2

    def test_import_of_an_id_that_exists_with_another_definition_is_refused(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
        impostor = DatasetRef(ref.dataset_type, DataId(calexp_id(2)), "run1", ref.id)
        with pytest.raises(ConflictingDefinitionError):
            with_runs.import_datasets([impostor])
        twin = DatasetRef(ref.dataset_type, ref.data_id, "run1", uuid.uuid4())
        new = DatasetRef(ref.dataset_type, DataId(calexp_id(3)), "run1", uuid.uuid4())
        with pytest.raises(ConflictingDefinitionError):
            with_runs.import_datasets([new, twin])
        assert with_runs.get_datasets([ref.id, twin.id, new.id]) == [ref, None, None]

    def test_remove_datasets_forgets_rows_artifacts_and_tags_but_keeps_quanta(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        with_runs.insert_artifacts([artifact(r) for r in refs])
        with_runs.register_collection("tag", TAGGED)
        with_runs.associate("tag", refs)
        quantum = Quantum("calibrate", "run1", DataId(calexp_id(1)), outputs=[refs[0].id])
        with_runs.insert_quanta([quantum])
        with_runs.remove_datasets([refs[0].id, uuid.uuid4()])
        assert with_runs.get_datasets([r.id for r in refs]) == [None, refs[1]]
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["run1"]) == [None]
        assert list(with_runs.get_artifacts([r.id for r in refs])) == [refs[1].id]
        assert with_runs.datasets_in_collection("tag") == [refs[1]]
        assert with_runs.get_quanta([quantum.id]) == [quantum]
        (again,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])  # the data ID is free again
        assert again.id != refs[0].id

    # == Artifacts =============================================================================

    def test_artifacts_of_whole_datasets_and_components_round_trip(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        records = [artifact(refs[0]), artifact(refs[1], "image"), artifact(refs[1], "mask")]
        with_runs.insert_artifacts(records)
        found = with_runs.get_artifacts([r.id for r in refs] + [uuid.uuid4()])
        assert set(found) == {r.id for r in refs}
        assert found[refs[0].id] == [records[0]]
        assert sorted(found[refs[1].id], key=lambda a: str(a.component)) == records[1:]

    def test_artifacts_of_an_unknown_dataset_are_refused(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        ghost = DatasetRef(ref.dataset_type, ref.data_id, "run1", uuid.uuid4())
        with pytest.raises(DatasetNotFoundError):
            with_runs.insert_artifacts([artifact(ref), artifact(ghost)])
        assert with_runs.get_artifacts([ref.id, ghost.id]) == {}

    def test_a_second_artifact_for_the_same_component_is_a_conflict(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with_runs.insert_artifacts([artifact(ref)])
        with pytest.raises(ConflictingDefinitionError):
            with_runs.insert_artifacts([StoredArtifact(ref.id, "elsewhere.json", "F", "StructuredData")])
        with pytest.raises(ConflictingDefinitionError):
            with_runs.insert_artifacts([artifact(ref, "a"), artifact(ref, "a")])
        assert with_runs.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}

    def test_remove_artifacts_keeps_the_datasets(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with_runs.insert_artifacts([artifact(ref), artifact(ref, "image")])
        with_runs.remove_artifacts([ref.id, uuid.uuid4()])
        assert with_runs.get_artifacts([ref.id]) == {}
        assert with_runs.get_datasets([ref.id]) == [ref]

    # == Provenance ============================================================================

    def _quanta(self, registry: Registry) -> tuple[list[DatasetRef], list[Quantum]]:
        raws = registry.insert_datasets("raw", "run1", [{"instrument": "Cam1", "exposure": e, "detector": 1}
                                                        for e in (101, 102)])
        calexps = registry.insert_datasets("calexp", "run2", [calexp_id(1), calexp_id(2)])
        start = datetime.datetime(2024, 1, 3, 12, 0, 0)
        minute = datetime.timedelta(minutes=1)
        quanta = [Quantum("calibrate", "run2", DataId(calexp_id(v)), inputs=[raw.id], outputs=[calexp.id],
                          started=start + v * minute, ended=start + v * minute + minute / 2,
                          host="node1", metadata={"visit": v, "stats": [1.5, 2.5]})
                  for v, raw, calexp in zip((1, 2), raws, calexps, strict=True)]
        quanta.append(Quantum("summarize", "run2", None, inputs=[c.id for c in calexps],
                              status=QuantumStatus.FAILED, started=start + datetime.timedelta(hours=1)))
        return raws + calexps, quanta

    def test_quanta_round_trip_with_every_field(self, with_runs: Registry) -> None:
        _, quanta = self._quanta(with_runs)
        with_runs.insert_quanta(quanta)
        unknown = uuid.uuid4()
        assert with_runs.get_quanta([quanta[2].id, unknown, quanta[0].id]) == [quanta[2], None, quanta[0]]

    def test_inserting_a_quantum_twice_is_a_no_op_but_different_content_is_a_conflict(
            self, with_runs: Registry) -> None:
        _, quanta = self._quanta(with_runs)
        with_runs.insert_quanta(quanta[:1])
        with_runs.insert_quanta(quanta)
        changed = Quantum("calibrate", "run2", quanta[0].data_id, status=QuantumStatus.FAILED, id=quanta[0].id)
        with pytest.raises(ConflictingDefinitionError):
            with_runs.insert_quanta([changed])
        assert with_runs.get_quanta([q.id for q in quanta]) == quanta

    def test_find_quanta_by_run_task_input_and_output(self, with_runs: Registry) -> None:
        if RegistryCapability.PROVENANCE_QUERIES not in with_runs.capabilities:
            pytest.skip("needs the capability 'provenance_queries'")
        refs, quanta = self._quanta(with_runs)
        with_runs.insert_quanta(quanta)
        raw1, _, calexp1, calexp2 = refs
        assert with_runs.find_quanta(run="run2") == quanta
        assert with_runs.find_quanta(run="run1") == []
        assert with_runs.find_quanta(task="summarize") == [quanta[2]]
        assert with_runs.find_quanta(input=raw1.id) == [quanta[0]]
        assert with_runs.find_quanta(output=calexp2.id) == [quanta[1]]
        assert with_runs.find_quanta(input=calexp1.id, task="summarize") == [quanta[2]]
        assert with_runs.find_quanta(input=calexp1.id, task="calibrate") == []

    def test_find_quanta_is_refused_without_provenance_queries(self, registry: Registry) -> None:
        if RegistryCapability.PROVENANCE_QUERIES in registry.capabilities:
            pytest.skip("declares 'provenance_queries' (checked by test_find_quanta_by_run_task_input_and_output)")
        with pytest.raises(CapabilityError, match="provenance_queries"):
            registry.find_quanta(run="run1")

    # == Queries (capability only; the query language has its own suite) =======================

    def test_query_datasets_works_or_is_refused_according_to_queries(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        if RegistryCapability.QUERIES in with_runs.capabilities:
            assert {r.id for r in with_runs.query_datasets("calexp", ["run1"])} == {r.id for r in refs}
        else:
            with pytest.raises(CapabilityError, match="queries"):
                list(with_runs.query_datasets("calexp", ["run1"]))

    # == Transactions ==========================================================================

    def test_an_exception_inside_a_transaction_rolls_back_every_write(self, with_runs: Registry) -> None:
        with pytest.raises(BoomError), with_runs.transaction():
            refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
            with_runs.insert_artifacts([artifact(refs[0])])
            with_runs.register_collection("tag", TAGGED)
            with_runs.insert_data_units("detector", [{"instrument": "Cam1", "id": 9}])
            raise BoomError
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["run1"]) == [None]
        assert with_runs.get_datasets([refs[0].id]) == [None]
        assert with_runs.get_artifacts([refs[0].id]) == {}
        assert with_runs.query_collections("tag") == []
        assert with_runs.fetch_data_unit_records("detector", [{"instrument": "Cam1", "id": 9}]) == []

    def test_a_transaction_commits_when_its_block_succeeds(self, with_runs: Registry) -> None:
        with with_runs.transaction():
            (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
            with_runs.insert_artifacts([artifact(ref)])
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["run1"]) == [ref]
        assert with_runs.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}

    def test_a_failed_artifact_insert_rolls_back_the_dataset_of_the_same_transaction(
            self, with_runs: Registry) -> None:
        with pytest.raises(DatasetNotFoundError), with_runs.transaction():
            (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
            ghost = DatasetRef(ref.dataset_type, ref.data_id, "run1", uuid.uuid4())
            with_runs.insert_artifacts([artifact(ghost)])
        assert with_runs.get_datasets([ref.id]) == [None]
        assert with_runs.find_datasets("calexp", [calexp_id(1)], ["run1"]) == [None]

    def test_rolling_back_a_nested_transaction_keeps_the_outer_work(self, with_runs: Registry) -> None:
        with with_runs.transaction():
            (kept,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
            with pytest.raises(BoomError), with_runs.transaction():
                (dropped,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(2)])
                raise BoomError
            with_runs.insert_artifacts([artifact(kept)])
        assert with_runs.get_datasets([kept.id, dropped.id]) == [kept, None]
        assert with_runs.get_artifacts([kept.id]) == {kept.id: [artifact(kept)]}

    def test_a_refused_write_inside_a_transaction_leaves_the_rest_intact(self, with_runs: Registry) -> None:
        with with_runs.transaction():
            (kept,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
            with pytest.raises(ConflictingDefinitionError):
                with_runs.insert_datasets("calexp", "run1", [calexp_id(2), calexp_id(1)])
            with pytest.raises(ConflictingDefinitionError):
                with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
        assert with_runs.datasets_in_collection("run1") == [kept]

    def test_definitions_rolled_back_are_not_remembered(self, populated: Registry) -> None:
        with pytest.raises(BoomError), populated.transaction():
            populated.register_dataset_type(CALEXP)
            populated.register_collection("run1", RUN)
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": 9}])
            populated.expand_data_ids(["detector"], [{"instrument": "Cam1", "detector": 9}])
            raise BoomError
        with pytest.raises(MissingDatasetTypeError):
            populated.get_dataset_type("calexp")
        with pytest.raises(MissingCollectionError):
            populated.get_collection("run1")
        with pytest.raises(DataIdError):
            populated.expand_data_ids(["detector"], [{"instrument": "Cam1", "detector": 9}])
        with pytest.raises(MissingDatasetTypeError):
            populated.insert_datasets("calexp", "run1", [calexp_id()])

    # == Capabilities: WRITE, PERSISTENT, CONCURRENT_WRITERS ===================================

    def test_a_read_only_registry_refuses_every_write(self, with_runs: Registry,
                                                      reopen_registry: ReopenRegistry | None) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
        with_runs.insert_artifacts([artifact(ref)])
        with_runs.register_collection("tag", TAGGED)
        with_runs.register_collection("chain", CHAINED)
        before = (all_records(with_runs), with_runs.query_collections(), with_runs.query_dataset_types())
        reader = self._other(reopen_registry, with_runs, writeable=False)
        try:
            assert RegistryCapability.WRITE not in reader.capabilities
            writes: dict[str, Callable[[], object]] = {
                "insert_data_units": lambda: reader.insert_data_units("instrument", [{"name": "Cam9"}]),
                "update_data_units": lambda: reader.update_data_units("instrument", [{"name": "Cam1",
                                                                                     "detector_max": 99}]),
                "register_dataset_type": lambda: reader.register_dataset_type(COADD),
                "remove_dataset_type": lambda: reader.remove_dataset_type("raw"),
                "register_collection": lambda: reader.register_collection("run9", RUN),
                "set_chain": lambda: reader.set_chain("chain", ["run1"]),
                "remove_collection": lambda: reader.remove_collection("run2"),
                "associate": lambda: reader.associate("tag", [ref]),
                "disassociate": lambda: reader.disassociate("tag", [ref]),
                "insert_datasets": lambda: reader.insert_datasets("calexp", "run1", [calexp_id(2)]),
                "import_datasets": lambda: reader.import_datasets(
                    [DatasetRef(ref.dataset_type, DataId(calexp_id(3)), "run1", uuid.uuid4())]),
                "remove_datasets": lambda: reader.remove_datasets([ref.id]),
                "insert_artifacts": lambda: reader.insert_artifacts([artifact(ref, "image")]),
                "remove_artifacts": lambda: reader.remove_artifacts([ref.id]),
                "insert_quanta": lambda: reader.insert_quanta([Quantum("t", "run1", None)]),
            }
            for name, write in writes.items():
                with pytest.raises(ReadOnlyError):
                    write()
                    pytest.fail(f"{name} was not refused")
            with pytest.raises(ReadOnlyError), reader.transaction():
                reader.insert_datasets("calexp", "run1", [calexp_id(2)])
            assert reader.find_datasets("calexp", [calexp_id(1)], ["run1"]) == [ref]
            assert reader.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}
        finally:
            reader.close()
        assert (all_records(with_runs), with_runs.query_collections(), with_runs.query_dataset_types()) == before
        assert with_runs.datasets_in_collection("run1") == [ref]
        assert with_runs.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}

    def test_a_persistent_registry_keeps_its_content_when_reopened(self, make_registry: MakeRegistry,
                                                                   reopen_registry: ReopenRegistry | None) -> None:
        registry = make_registry()
        if RegistryCapability.PERSISTENT not in registry.capabilities:
            pytest.skip("does not declare the capability 'persistent'")
        insert_standard_data_units(registry)
        registry.register_dataset_type(CALEXP)
        registry.register_collection("run1", RUN)
        (ref,) = registry.insert_datasets("calexp", "run1", [calexp_id()])
        registry.insert_artifacts([artifact(ref)])
        again = self._other(reopen_registry, registry)
        registry.close()
        try:
            assert again.universe == registry.universe
            assert again.find_datasets("calexp", [calexp_id()], ["run1"]) == [ref]
            assert again.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}
            assert again.fetch_data_unit_records("visit") == registry_records_of(again, "visit")
        finally:
            again.close()

    def test_concurrent_writers_see_each_others_writes(self, with_runs: Registry,
                                                       reopen_registry: ReopenRegistry | None) -> None:
        if RegistryCapability.CONCURRENT_WRITERS not in with_runs.capabilities:
            pytest.skip("does not declare the capability 'concurrent_writers'")
        other = self._other(reopen_registry, with_runs)
        try:
            (a,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
            (b,) = other.insert_datasets("calexp", "run1", [calexp_id(2)])
            with pytest.raises(ConflictingDefinitionError):
                other.insert_datasets("calexp", "run1", [calexp_id(1)])
            other.register_collection("run3", RUN)
            (c,) = with_runs.insert_datasets("calexp", "run3", [calexp_id(3)])
            for registry in (with_runs, other):
                assert registry.find_datasets("calexp", [calexp_id(v) for v in (1, 2)], ["run1"]) == [a, b]
                assert registry.find_datasets("calexp", [calexp_id(3)], ["run3"]) == [c]
        finally:
            other.close()


def registry_records_of(registry: Registry, element: str) -> list[dict[str, Any]]:
    """The standard records of ``element`` as the registry returns them (missing fields as None)."""
    fields = [f.name for f in registry.universe.record_fields(element)]
    return sorted(({f: r.get(f) for f in fields} for r in standard_records()[element]),
                  key=lambda r: tuple(r[k] for k in registry.universe.key_fields(element)))


__all__ = ["CALEXP", "COADD", "RAW", "RegistryContract", "artifact", "calexp_id"]
