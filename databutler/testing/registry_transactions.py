"""The Registry contract, topic group. Transactions: every write of a failed block is undone, nested blocks
roll back alone.

Adopt it alone by subclassing ``RegistryTransactionsContract`` and providing ``make_registry``;
``RegistryContract`` includes it.
"""

from __future__ import annotations

import uuid

import pytest

from ..domain.dataset import DatasetRef
from ..domain.errors import (
    ConflictingDefinitionError,
    DataIdError,
    DatasetNotFoundError,
    MissingCollectionError,
    MissingDatasetTypeError,
)
from ..ports.registry import Registry
from .registry_support import (
    CALEXP,
    RUN,
    TAGGED,
    BoomError,
    RegistryFixtures,
    artifact,
    calexp_id,
)


class RegistryTransactionsContract(RegistryFixtures):
    """Transactions of the Registry contract."""

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
