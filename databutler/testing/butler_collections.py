"""The Butler contract, topic group. Collections and removal: search paths, TAGGED collections, removing
runs and collections, unstore and forget.

Adopt it alone by subclassing ``ButlerCollectionsContract`` and providing ``make_butler``;
``ButlerContract`` includes it.
"""

from __future__ import annotations

import pytest

from ..domain.collection import CollectionKind
from ..domain.errors import (
    CollectionError,
    ConflictingDefinitionError,
    DatasetNotFoundError,
)
from ..service.butler import Butler
from .butler_support import (
    RUN,
    ButlerFixtures,
    MakeButler,
    data_id,
    payload,
    setup_units,
)


class ButlerCollectionsContract(ButlerFixtures):
    """Collections and removal of the Butler contract."""

    # -- collections ----------------------------------------------------------------------------

    def test_search_path_returns_the_first_match(self, make_butler: MakeButler) -> None:
        butler = make_butler(run="a")
        setup_units(butler)
        butler.put({"from": "a"}, "summary", data_id(1, 1))
        butler.put({"from": "b"}, "summary", data_id(1, 1), run="b")
        assert butler.get("summary", data_id(1, 1), collections=["b", "a"]) == {"from": "b"}
        assert butler.get("summary", data_id(1, 1), collections=["a", "b"]) == {"from": "a"}
        butler.define_chain("chain", ["b", "a"])
        assert butler.get("summary", data_id(1, 1), collections="chain") == {"from": "b"}
        butler.define_chain("chain", ["a", "b"])
        assert butler.get("summary", data_id(1, 1), collections="chain") == {"from": "a"}

    def test_tagged_collections_associate_and_disassociate(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
        assert butler.register_collection("best", CollectionKind.TAGGED)
        butler.associate("best", refs[:1])
        assert butler.get("summary", data_id(1, 1), collections="best") == payload(1, 1)
        assert butler.find_dataset("summary", data_id(1, 2), collections="best") is None
        butler.disassociate("best", refs[:1])
        assert butler.find_dataset("summary", data_id(1, 1), collections="best") is None
        assert butler.get(refs[0]) == payload(1, 1)

    def test_remove_collection_refuses_runs(self, butler: Butler) -> None:
        butler.put(payload(1, 1), "summary", data_id(1, 1))
        with pytest.raises(CollectionError, match="remove_runs"):
            butler.remove_collection(RUN)
        assert butler.exists("summary", data_id(1, 1))

    def test_remove_runs_deletes_datasets_and_artifacts(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2, 3)])
        artifacts = self._artifacts(butler, refs)
        butler.remove_runs([RUN])
        assert butler.datastore.exists(artifacts) == [False] * 3
        assert butler.registry.get_datasets([r.id for r in refs]) == [None] * 3
        assert RUN not in [c.name for c in butler.registry.query_collections()]

    def test_remove_runs_is_all_or_nothing_when_a_run_is_in_a_chain(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
        butler.define_chain("chain", [RUN])
        with pytest.raises(CollectionError, match="chain"):
            butler.remove_runs([RUN])
        assert butler.get_many(refs) == [payload(1, 1), payload(1, 2)]
        assert butler.registry.get_collection(RUN).kind is CollectionKind.RUN

    # -- removal --------------------------------------------------------------------------------

    def test_remove_unstore_and_forget(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2, 3, 4)])
        artifacts = self._artifacts(butler, refs)
        butler.remove(refs[:2])
        assert butler.datastore.exists(artifacts) == [False, False, True, True]
        assert butler.registry.get_datasets([r.id for r in refs[:2]]) == [None, None]
        assert butler.get_many(refs[2:]) == [payload(1, 3), payload(1, 4)]

    def test_unstore_without_forget_keeps_the_dataset_known(self, butler: Butler) -> None:
        ref = butler.put(payload(1, 1), "summary", data_id(1, 1))
        butler.remove([ref], unstore=True, forget=False)
        assert butler.registry.get_datasets([ref.id]) == [ref]
        assert not butler.exists(ref)
        with pytest.raises(DatasetNotFoundError):
            butler.get(ref)

    def test_forget_without_unstore_is_refused_while_artifacts_exist(self, butler: Butler) -> None:
        ref = butler.put(payload(1, 1), "summary", data_id(1, 1))
        with pytest.raises(ConflictingDefinitionError, match="unstore"):
            butler.remove([ref], unstore=False, forget=True)
        assert butler.get(ref) == payload(1, 1)
