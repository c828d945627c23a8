"""A resolved search path lists its ids once, by kind and in order."""

from __future__ import annotations

from databutler.adapters.sql.collections import CollectionRecord
from databutler.adapters.sql.search_path import SearchPath
from databutler.domain import CollectionKind


def test_ids_by_kind_keep_the_search_order_and_are_computed_once() -> None:
    path = SearchPath([CollectionRecord(7, "run7", CollectionKind.RUN),
                       CollectionRecord(3, "tag", CollectionKind.TAGGED),
                       CollectionRecord(5, "calib", CollectionKind.CALIBRATION),
                       CollectionRecord(1, "run1", CollectionKind.RUN)])
    assert path.ids == [7, 3, 5, 1]
    assert path.run_ids == [7, 1]
    assert path.tagged_ids == [3]
    assert path.calibration_ids == [5]
    assert path.rank == {7: 0, 3: 1, 5: 2, 1: 3}
    assert not path.only_runs
    assert path.run_ids is path.run_ids  # remembered with the path
    assert path == tuple(path) and path[1].name == "tag"


def test_a_path_of_runs_only_and_an_empty_path() -> None:
    assert SearchPath([CollectionRecord(2, "r", CollectionKind.RUN)]).only_runs
    empty = SearchPath([])
    assert empty.only_runs and empty.ids == [] and empty.rank == {}
