"""Arguments of the wrong kind to the public Butler API are domain errors, and change nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from databutler import (
    ArgumentError,
    Butler,
    CollectionError,
    DataButlerError,
    DatasetType,
    DatasetTypeError,
    Timespan,
)
from databutler.testing.butler import RUN, data_id, setup_units


@pytest.fixture
def butler(tmp_path: Path) -> Iterator[Butler]:
    """A SQLite + posix repository with one stored dataset."""
    with Butler.create(tmp_path / "repo", run=RUN) as made:
        setup_units(made)
        made.registry.register_dataset_type(DatasetType("table", ("instrument", "visit", "detector"),
                                                        "StructuredData"))
        made.put({"a": 1}, "table", data_id(1, 1))
        yield made


CALLS: dict[str, Callable[[Butler], Any]] = {
    "put_many of a number": lambda b: b.put_many(1),  # type: ignore[arg-type]
    "put_many of a mapping": lambda b: b.put_many({"a": 1}),  # type: ignore[arg-type]
    "put_many of a pair": lambda b: b.put_many([({"a": 2}, "table")]),  # type: ignore[list-item]
    "remove of numbers": lambda b: b.remove([1]),  # type: ignore[list-item]
    "remove of a string": lambda b: b.remove("table"),  # type: ignore[arg-type]
    "get_many of a number": lambda b: b.get_many(3),  # type: ignore[arg-type]
    "get with number parameters": lambda b: b.get("table", data_id(1, 1), parameters=1),  # type: ignore[arg-type]
    "verify of dicts": lambda b: b.verify([{"id": 1}]),  # type: ignore[list-item]
    "uris of a number": lambda b: b.uris(7),  # type: ignore[arg-type]
    "associate of strings": lambda b: b.associate("best", ["x"]),  # type: ignore[list-item]
    "get with number collections": lambda b: b.get("table", data_id(1, 1), collections=5),  # type: ignore[arg-type]
    "a Butler with number collections": lambda b: Butler(b.root, collections=1),  # type: ignore[arg-type]
    "a dataset type with number units": lambda b: DatasetType("x", 123, "StructuredData"),  # type: ignore[arg-type]
    "certify of strings": lambda b: b.registry.certify("calib", ["x"], Timespan(None, None)),  # type: ignore[list-item]
    "certify of one ref": lambda b: b.registry.certify("calib", b.find_dataset("table", data_id(1, 1)),  # type: ignore[arg-type]
                                                        Timespan(None, None)),
    "decertify of a string DataId": lambda b: b.registry.decertify("calib", "table", Timespan(None, None),
                                                                   data_ids="detector=1"),  # type: ignore[arg-type]
    "a calibration flag that is a string": lambda b: DatasetType("x", (), "StructuredData",
                                                                 is_calibration="yes"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_argument_of_the_wrong_kind_is_a_domain_error_and_changes_nothing(butler: Butler, name: str) -> None:
    before = sorted(str(ref.id) for ref in butler.registry.datasets_in_collection(RUN))
    with pytest.raises(DataButlerError) as raised:
        CALLS[name](butler)
    assert isinstance(raised.value, ArgumentError | CollectionError | DatasetTypeError)
    assert sorted(str(ref.id) for ref in butler.registry.datasets_in_collection(RUN)) == before
    assert butler.get("table", data_id(1, 1)) == {"a": 1}


def test_argument_errors_are_type_errors_too() -> None:
    assert issubclass(ArgumentError, TypeError)  # code that caught TypeError before still does
