"""Key values may contain '/' (the reference's skymap names, e.g. 'discrete/ci_hsc'), never climbing a path."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from databutler import Butler, DatasetType
from databutler.domain.errors import DataIdError

SKYMAP = "discrete/ci_hsc"
COADD = DatasetType("deepCoadd_like", ("skymap", "tract"), "StructuredData")


def make_repo(root: Path) -> Butler:
    butler = Butler.create(root, run="coadds")
    butler.registry.insert_data_units("skymap", [{"name": SKYMAP, "hash": "00", "tract_max": 10,
                                                 "patch_nx_max": 1, "patch_ny_max": 1}])
    butler.registry.insert_data_units("tract", [{"skymap": SKYMAP, "id": 3}])
    butler.registry.register_dataset_type(COADD)
    return butler


def test_a_skymap_named_with_a_slash_is_stored_found_and_read(tmp_path: Path) -> None:
    butler = make_repo(tmp_path / "repo")
    ref = butler.put({"tract": 3}, "deepCoadd_like", skymap=SKYMAP, tract=3)
    assert butler.get("deepCoadd_like", skymap=SKYMAP, tract=3) == {"tract": 3}
    assert [r.id for r in butler.query_datasets("deepCoadd_like", where=f"skymap = '{SKYMAP}'")] == [ref.id]
    # The file is one level below the dataset type's directory: the '/' is encoded, not a new directory.
    path = Path(urllib.parse.unquote(urllib.parse.urlparse(butler.uri(ref)).path))
    datasets = tmp_path / "repo" / "datasets"
    assert path.is_file() and path.resolve().is_relative_to(datasets.resolve())
    assert path.parent == datasets / "coadds" / "deepCoadd_like"
    assert "discrete%2Fci_hsc" in path.name


@pytest.mark.parametrize("value", ["../x", "x/..", "x//y", "/x", "x/"])
def test_slashes_that_make_a_path_climb_or_empty_parts_are_refused_and_change_nothing(
        tmp_path: Path, value: str) -> None:
    butler = make_repo(tmp_path / "repo")
    with pytest.raises(DataIdError, match="path-like"):
        butler.registry.insert_data_units("skymap", [{"name": value, "hash": "00", "tract_max": 1,
                                                     "patch_nx_max": 1, "patch_ny_max": 1}])
    assert [r["name"] for r in butler.registry.fetch_data_unit_records("skymap")] == [SKYMAP]
