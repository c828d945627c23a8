"""The Registry contract, topic group. Datasets: inserting, finding along a search path, importing and
removing them, and whether queries are declared.

Adopt it alone by subclassing ``RegistryDatasetsContract`` and providing ``make_registry``;
``RegistryContract`` includes it.
"""

from __future__ import annotations

import uuid

import pytest

from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef
from ..domain.errors import (
    CapabilityError,
    CollectionKindError,
    ConflictingDefinitionError,
    DataButlerError,
    DataIdError,
    MissingCollectionError,
    MissingDatasetTypeError,
)
from ..domain.quantum import Quantum
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .registry_support import (
    CALEXP,
    CHAINED,
    RUN,
    TAGGED,
    RegistryFixtures,
    artifact,
    calexp_id,
)
from .requirements import refuses, requires


class RegistryDatasetsContract(RegistryFixtures):
    """Datasets of the Registry contract."""

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

    def test_dataset_ids_in_collection_are_those_listed_in_the_same_order(self, with_runs: Registry) -> None:
        with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        with_runs.insert_datasets("raw", "run1", [{"instrument": "Cam1", "exposure": 101, "detector": 1}])
        with_runs.insert_datasets("calexp", "run2", [calexp_id(1), calexp_id(3)])
        with_runs.register_collection("chain", CHAINED)
        with_runs.set_chain("chain", ["run2", "run1"])
        for collection in ("run1", "run2", "chain"):
            listed = [r.id for r in with_runs.datasets_in_collection(collection)]
            assert with_runs.dataset_ids_in_collection(collection) == listed
            assert len(set(listed)) == len(listed)
        assert len(with_runs.dataset_ids_in_collection("chain")) == 5
        with pytest.raises(MissingCollectionError):
            with_runs.dataset_ids_in_collection("nope")

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


    # == Queries (capability only; the query language has its own suite) =======================

    @requires(RegistryCapability.QUERIES)
    def test_query_datasets_finds_what_was_inserted(self, with_runs: Registry) -> None:
        refs = with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        assert {r.id for r in with_runs.query_datasets("calexp", ["run1"])} == {r.id for r in refs}

    @refuses(RegistryCapability.QUERIES)
    def test_query_datasets_is_refused_without_queries(self, with_runs: Registry) -> None:
        with_runs.insert_datasets("calexp", "run1", [calexp_id(1), calexp_id(2)])
        with pytest.raises(CapabilityError, match="queries"):
            list(with_runs.query_datasets("calexp", ["run1"]))
