"""Read-time conversion: ``Butler.get(..., storage_class=...)`` returns another view of the same Dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler import Butler, ConfigError, DatasetType, StorageClassError
from databutler.config.format_plugins import CONVERTER_GROUP, plugin_conversions
from databutler.domain.conversion import BUILTIN_CONVERSIONS, Conversion, ConverterRegistry
from databutler.testing.entry_points import fake_distribution


@pytest.fixture
def butler(tmp_path: Path) -> Iterator[Butler]:
    butler = Butler.create(tmp_path / "repo", run="r")
    butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
    for name, storage_class in (("meta", "StructuredDataDict"), ("info", "StructuredData"),
                                ("rows", "StructuredData"), ("array", "NumpyArray")):
        butler.registry.register_dataset_type(DatasetType(name, ("instrument",), storage_class))
    butler.put({"a": 1, "b": 2}, "meta", instrument="Cam1")
    butler.put({"c": 3}, "info", instrument="Cam1")
    butler.put([1, 2], "rows", instrument="Cam1")
    yield butler
    butler.close()


def test_builtin_conversions(butler: Butler) -> None:
    assert butler.get("meta", instrument="Cam1", storage_class="StructuredData") == {"a": 1, "b": 2}
    assert butler.get("info", instrument="Cam1", storage_class="StructuredDataDict") == {"c": 3}
    assert butler.get("rows", instrument="Cam1", storage_class="StructuredDataList") == [1, 2]
    assert butler.get("meta", instrument="Cam1", storage_class="StructuredDataDict") == {"a": 1, "b": 2}
    # Parameters are those of the stored StorageClass, applied before the conversion.
    assert butler.get("meta", instrument="Cam1", parameters={"keys": ["b"]}, storage_class="StructuredData") == {"b": 2}


def test_numpy_array_as_a_list(butler: Butler) -> None:
    np = pytest.importorskip("numpy")
    ref = butler.put(np.arange(6).reshape(2, 3), "array", instrument="Cam1")
    assert butler.get(ref, storage_class="StructuredDataList") == [[0, 1, 2], [3, 4, 5]]
    assert butler.get(ref, parameters={"slices": 1}, storage_class="StructuredDataList") == [3, 4, 5]


def test_an_unregistered_conversion_lists_the_registered_ones(butler: Butler) -> None:
    with pytest.raises(StorageClassError, match=r"no conversion from storage class 'StructuredDataDict' to "
                                                r"'NumpyArray'.*converts to \['StructuredData'\].*"
                                                r"NumpyArray->StructuredDataList"):
        butler.get("meta", instrument="Cam1", storage_class="NumpyArray")
    assert butler.get("meta", instrument="Cam1") == {"a": 1, "b": 2}  # still true: the dataset reads as stored


def test_an_unknown_target_storage_class_names_the_closest(butler: Butler) -> None:
    with pytest.raises(StorageClassError, match="did you mean 'StructuredDataList'"):
        butler.get("rows", instrument="Cam1", storage_class="StructuredDataLst")
    with pytest.raises(StorageClassError, match="a StorageClass name"):
        butler.get("rows", instrument="Cam1", storage_class=3)  # type: ignore[arg-type]


def test_a_conversion_that_does_not_fit_the_object_is_a_storage_class_error(butler: Butler) -> None:
    with pytest.raises(StorageClassError, match="list is not a dict"):
        butler.get("rows", instrument="Cam1", storage_class="StructuredDataDict")
    assert butler.get("rows", instrument="Cam1") == [1, 2]


def test_a_converter_returning_the_wrong_type_or_failing_is_refused() -> None:
    registry = ConverterRegistry((Conversion("StructuredDataList", "NumpyArray", lambda obj: obj),
                                  Conversion("StructuredDataDict", "NumpyArray", lambda obj: 1 / 0)))
    from databutler.domain import DatasetRef
    from databutler.domain.storage_class import StorageClassRegistry
    from databutler.service.read_view import read_view

    ref = DatasetRef(DatasetType("x", (), "StructuredDataList"), {}, run="r")
    view = read_view(StorageClassRegistry(), registry, ref, None, "NumpyArray")
    assert view is not None
    with pytest.raises(StorageClassError, match=r"returned a builtins.list.*'NumpyArray' does not accept"):
        view([1])
    ref = DatasetRef(DatasetType("y", (), "StructuredDataDict"), {}, run="r")
    view = read_view(StorageClassRegistry(), registry, ref, None, "NumpyArray")
    assert view is not None
    with pytest.raises(StorageClassError, match=r"failed.*ZeroDivisionError"):
        view({})


def test_registering_a_conversion_is_one_call_and_a_clash_is_refused() -> None:
    registry = ConverterRegistry()
    registry.register(Conversion("Bytes", "StructuredDataList", list))
    assert registry.convert(b"ab", "Bytes", "StructuredDataList") == [97, 98]
    with pytest.raises(StorageClassError, match="already registered"):
        registry.register(Conversion("Bytes", "StructuredDataList", bytes.hex))
    assert registry.convert(b"ab", "Bytes", "StructuredDataList") == [97, 98]  # still the first
    with pytest.raises(StorageClassError, match="to itself"):
        Conversion("Bytes", "Bytes", list)
    assert len(BUILTIN_CONVERSIONS) == len(ConverterRegistry().pairs())


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, value: str) -> None:
    module = f"fake_conv_{tmp_path.name[-12:].replace('-', '_')}"
    monkeypatch.syspath_prepend(str(fake_distribution(tmp_path, module.replace("_", "-"), {module: source},
                                                      {CONVERTER_GROUP: {"conv": f"{module}:{value}"}})))


def test_a_plugin_conversion_is_imported_when_a_pair_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 butler: Butler) -> None:
    _install(tmp_path, monkeypatch, "from databutler.domain.conversion import Conversion\n"
             "def conversions():\n    return [Conversion('StructuredDataDict', 'StructuredDataList', "
             "lambda d: sorted(d))]\n", "conversions")
    butler.close()
    reopened = Butler(tmp_path / "repo", collections="r")
    assert reopened.get("meta", instrument="Cam1", storage_class="StructuredDataList") == ["a", "b"]
    reopened.close()


def test_a_converter_plugin_that_fails_to_import_is_a_config_error(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path, monkeypatch, "raise ImportError('gone')", "conversions")
    registry = ConverterRegistry(BUILTIN_CONVERSIONS, load_more=plugin_conversions())
    assert registry.convert({"a": 1}, "StructuredDataDict", "StructuredData") == {"a": 1}  # no plug-in needed
    with pytest.raises(ConfigError, match=r"plug-in 'conv'.*databutler.converters.*gone"):
        registry.find("Bytes", "NumpyArray")


