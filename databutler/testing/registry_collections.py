"""The Registry contract, topic group. Collections: RUN, TAGGED and CHAINED collections, chains and their
rules, TAGGED associations.

Adopt it alone by subclassing ``RegistryCollectionsContract`` and providing ``make_registry``;
``RegistryContract`` includes it.
"""

from __future__ import annotations

import uuid

import pytest

from ..domain.dataset import DatasetRef
from ..domain.errors import (
    CollectionError,
    CollectionKindError,
    ConflictingDefinitionError,
    DatasetNotFoundError,
    MissingCollectionError,
)
from ..ports.registry import Registry
from .registry_support import (
    CHAINED,
    RUN,
    TAGGED,
    RegistryFixtures,
    calexp_id,
)


class RegistryCollectionsContract(RegistryFixtures):
    """Collections of the Registry contract."""

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

    def test_a_search_through_a_chain_follows_changes_of_the_chains_inside_it(self, with_runs: Registry) -> None:
        first, second = (with_runs.insert_datasets("calexp", run, [calexp_id()])[0] for run in ("run1", "run2"))
        with_runs.register_collection("tag", TAGGED)
        with_runs.associate("tag", [second])
        for name in ("inner", "middle", "outer"):
            with_runs.register_collection(name, CHAINED)
        with_runs.set_chain("inner", ["run1"])
        with_runs.set_chain("middle", ["inner"])
        with_runs.set_chain("outer", ["middle", "run2"])
        assert with_runs.find_datasets("calexp", [calexp_id()], ["outer"]) == [first]
        with_runs.set_chain("inner", ["tag", "run1"])  # two levels down: the outer chain's search changes too
        assert with_runs.find_datasets("calexp", [calexp_id()], ["outer"]) == [second]
        assert with_runs.resolve_collections(["outer"]) == ("tag", "run1", "run2")
        with_runs.set_chain("inner", [])
        assert with_runs.find_datasets("calexp", [calexp_id()], ["outer"]) == [second]
        assert with_runs.find_datasets("calexp", [calexp_id(2)], ["outer"]) == [None]
        with_runs.set_chain("middle", [])
        with_runs.remove_collection("inner")
        with_runs.set_chain("outer", ["run1"])
        assert with_runs.find_datasets("calexp", [calexp_id()], ["outer", "run2"]) == [first]
        assert with_runs.find_datasets("calexp", [calexp_id()], ["middle", "run2"]) == [second]

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
