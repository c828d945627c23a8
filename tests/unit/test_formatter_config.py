"""The top-level ``formatters:`` section: which formatter a StorageClass or a DatasetType is written with."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, ConfigError, DatasetType


def _repo(tmp_path: Path, config: Mapping[str, Any]) -> Butler:
    butler = Butler.create(tmp_path / "repo", dict(config), run="r")
    butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
    for name in ("meta", "summary"):
        butler.registry.register_dataset_type(DatasetType(name, ("instrument",), "StructuredDataDict"))
    butler.registry.register_dataset_type(DatasetType("listing", ("instrument",), "StructuredData"))
    return butler


def _extension(butler: Butler, name: str) -> str:
    butler.put({"k": [1, 2]}, name, instrument="Cam1")
    assert butler.get(name, instrument="Cam1") == {"k": [1, 2]}
    return os.path.splitext(butler.uri(name, instrument="Cam1"))[1]


def test_storage_class_and_dataset_type_choices_and_their_precedence(tmp_path: Path) -> None:
    butler = _repo(tmp_path, {
        "formatters": {"storage_classes": {"StructuredDataDict": "yaml", "StructuredData": "json"},
                       "dataset_types": {"summary": "json", "tagged": "json"}},
        "datastore": {"formatters": {"StructuredData": "yaml"}},  # the datastore's own wins over top-level
    })
    butler.registry.register_dataset_type(DatasetType("tagged", ("instrument",), "StructuredData"))
    assert _extension(butler, "meta") == ".yaml"     # top-level, by StorageClass
    assert _extension(butler, "summary") == ".json"  # by DatasetType: over the top-level StorageClass choice
    assert _extension(butler, "listing") == ".yaml"  # the datastore's option, over the top-level StorageClass one
    assert _extension(butler, "tagged") == ".json"   # by DatasetType: over the datastore's option too
    butler.close()


@pytest.mark.parametrize(("formatters", "message"), [
    ({"storage_classes": {"StructuredData": "jsn"}}, "formatter 'jsn' is not configured; known: .*'json'"),
    ({"dataset_types": {"meta": "no_such_formatter"}}, "no_such_formatter"),
    ({"storage_classes": {"NumpyArray": "json"}}, "cannot be the default for storage class 'NumpyArray'"),
    ({"storage_classes": {"StructuredDat": "json"}}, "did you mean 'StructuredData'"),
    ({"storage_class": {"StructuredData": "json"}}, "unknown keys"),
    ({"dataset_types": ["meta"]}, "must map names to formatter names"),
], ids=["unknown-formatter", "unknown-formatter-for-type", "does-not-write-class", "unknown-class",
        "unknown-key", "not-a-mapping"])
def test_a_bad_formatters_section_is_refused_at_create(tmp_path: Path, formatters: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Butler.create(tmp_path / "repo", {"formatters": formatters})
    assert not (tmp_path / "repo" / "butler.yaml").exists()  # still true: no repository was made


def test_a_dataset_type_formatter_that_does_not_write_its_storage_class_is_refused_at_put(tmp_path: Path) -> None:
    butler = _repo(tmp_path, {"formatters": {"dataset_types": {"image": "json"}}})
    butler.registry.register_dataset_type(DatasetType("image", ("instrument",), "NumpyArray"))
    np = pytest.importorskip("numpy")
    with pytest.raises(ConfigError, match=r"'json' is configured for dataset type 'image' but does not write.*"
                                          "'NumpyArray'"):
        butler.put(np.zeros(3), "image", instrument="Cam1")
    # Still true afterwards: no dataset was recorded and no file was written.
    assert not butler.exists("image", instrument="Cam1")
    assert list(butler.registry.query_datasets("image", ["r"])) == []
    assert [f for _, _, files in os.walk(tmp_path / "repo" / "datasets") for f in files] == []
    butler.close()


def test_a_bad_formatters_section_in_an_existing_butler_yaml_is_refused_at_open(tmp_path: Path) -> None:
    Butler.create(tmp_path / "repo").close()
    path = tmp_path / "repo" / "butler.yaml"
    path.write_text(path.read_text() + "formatters: {storage_classes: {StructuredData: nope}}\n")
    with pytest.raises(ConfigError, match="nope"):
        Butler(tmp_path / "repo")
