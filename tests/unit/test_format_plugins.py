"""Plug-in formatters and StorageClasses: found by entry point, imported only when needed, failures named."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from databutler import Butler, ConfigError, DatasetType, StorageClassError
from databutler.adapters.formats import default_formatter_set
from databutler.config.format_plugins import (
    FORMATTER_GROUP,
    STORAGE_CLASS_GROUP,
    PluginFormatters,
    PluginStorageClasses,
)
from databutler.domain.storage_class import BUILTIN_STORAGE_CLASSES
from databutler.testing.entry_points import fake_distribution

FORMATTER_SOURCE = '''
import json
from databutler.ports import Formatter
from databutler.domain import StorageClass

class UpperJson(Formatter):
    name = "{name}"
    extension = ".ujson"
    storage_classes = frozenset({{"StructuredData", "StructuredDataDict", "Ledger"}})
    def write(self, obj, stream, storage_class):
        stream.write(json.dumps(obj).encode())
    def read_full(self, stream, storage_class):
        return json.loads(stream.read())

LEDGER = StorageClass("Ledger", ("builtins.dict",), doc="a plug-in StorageClass")
'''

Install = Callable[[Mapping[str, str], Mapping[str, Mapping[str, str]]], str]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Install:
    """Installs a throwaway distribution of one module with the given source; returns the module name."""
    def make(sources: Mapping[str, str], groups: Mapping[str, Mapping[str, str]]) -> str:
        module = f"fake_plugin_{uuid.uuid4().hex[:8]}"
        modules = dict.fromkeys([module], "\n".join(sources.values()))
        entries = {g: {k: v.replace("MOD", module) for k, v in e.items()} for g, e in groups.items()}
        monkeypatch.syspath_prepend(str(fake_distribution(tmp_path, module.replace("_", "-"), modules, entries)))
        monkeypatch.delitem(sys.modules, module, raising=False)
        return module
    return make


def _repo(tmp_path: Path, config: Mapping[str, object] | None = None) -> Butler:
    butler = Butler.create(tmp_path / "repo", dict(config or {}), run="r")
    butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
    return butler


def test_a_plugin_formatter_is_imported_by_name_only_when_named(install: Install) -> None:
    module = install({"m": FORMATTER_SOURCE.format(name="ujson")}, {FORMATTER_GROUP: {"ujson": "MOD:UpperJson"}})
    formatters = default_formatter_set().with_plugins(PluginFormatters())
    assert formatters.by_name("json").name == "json"
    assert module not in sys.modules  # a bundled name imports no plug-in
    assert formatters.by_name("ujson").extension == ".ujson"
    assert module in sys.modules


def test_butler_yaml_chooses_a_plugin_formatter_for_a_dataset_type(tmp_path: Path, install: Install) -> None:
    install({"m": FORMATTER_SOURCE.format(name="ujson")}, {FORMATTER_GROUP: {"ujson": "MOD:UpperJson"}})
    butler = _repo(tmp_path, {"formatters": {"dataset_types": {"special": "ujson"}}})
    for name in ("special", "plain"):
        butler.registry.register_dataset_type(DatasetType(name, ("instrument",), "StructuredDataDict"))
        butler.put({"a": 1}, name, instrument="Cam1")
        assert butler.get(name, instrument="Cam1") == {"a": 1}
    assert butler.uri("special", instrument="Cam1").endswith(".ujson")
    assert butler.uri("plain", instrument="Cam1").endswith(".json")
    butler.close()
    reopened = Butler(tmp_path / "repo", collections="r")  # the recorded formatter name imports it again
    assert reopened.get("special", instrument="Cam1") == {"a": 1}
    reopened.close()


def test_a_plugin_that_fails_to_import_is_a_config_error_naming_it(tmp_path: Path, install: Install) -> None:
    install({"m": "raise ImportError('needs libfoo')"}, {FORMATTER_GROUP: {"broken": "MOD:Nothing"}})
    formatters = default_formatter_set().with_plugins(PluginFormatters())
    with pytest.raises(ConfigError, match=r"plug-in 'broken' .*databutler.formatters.*failed to import.*libfoo"):
        formatters.by_name("broken")
    # Still true afterwards: the bundled formatters serve, and a repo not naming the plug-in opens and works.
    assert formatters.by_name("yaml").name == "yaml"
    with pytest.raises(ConfigError, match="broken"):
        Butler.create(tmp_path / "bad", {"formatters": {"storage_classes": {"StructuredData": "broken"}}})
    assert not (tmp_path / "bad" / "butler.yaml").exists()
    butler = _repo(tmp_path)
    butler.registry.register_dataset_type(DatasetType("d", ("instrument",), "StructuredData"))
    butler.put({"x": 1}, "d", instrument="Cam1")
    assert butler.get("d", instrument="Cam1") == {"x": 1}
    butler.close()


def test_a_plugin_giving_something_else_than_a_formatter_is_refused(install: Install) -> None:
    install({"m": "NOT_A_FORMATTER = 42"}, {FORMATTER_GROUP: {"odd": "MOD:NOT_A_FORMATTER"}})
    formatters = default_formatter_set().with_plugins(PluginFormatters())
    with pytest.raises(ConfigError, match=r"plug-in 'odd'.*42"):
        formatters.by_name("odd")
    assert "odd" not in formatters.names()


def test_a_plugin_storage_class_is_imported_at_dataset_type_registration(tmp_path: Path, install: Install) -> None:
    module = install({"m": FORMATTER_SOURCE.format(name="ujson")},
                     {STORAGE_CLASS_GROUP: {"Ledger": "MOD:LEDGER"}, FORMATTER_GROUP: {"ujson": "MOD:UpperJson"}})
    butler = _repo(tmp_path)
    assert module not in sys.modules  # opening a repository imports no plug-in
    butler.registry.register_dataset_type(DatasetType("ledger", ("instrument",), "Ledger"))
    butler.put({"balance": 3}, "ledger", instrument="Cam1")  # its only writer is the plug-in formatter
    assert butler.get("ledger", instrument="Cam1") == {"balance": 3}
    assert butler.uri("ledger", instrument="Cam1").endswith(".ujson")
    butler.close()


def test_an_unknown_storage_class_is_refused_at_registration_with_the_closest_names(
        tmp_path: Path, install: Install) -> None:
    install({"m": FORMATTER_SOURCE.format(name="ujson")}, {STORAGE_CLASS_GROUP: {"Ledger": "MOD:LEDGER"}})
    butler = _repo(tmp_path)
    with pytest.raises(StorageClassError, match=r"'Ledgr'.*did you mean 'Ledger'"):
        butler.registry.register_dataset_type(DatasetType("ledger", ("instrument",), "Ledgr"))
    with pytest.raises(StorageClassError, match="did you mean 'StructuredDataDict'"):
        butler.registry.register_dataset_type(DatasetType("meta", ("instrument",), "StructuredDataDic"))
    # Still true afterwards: nothing was registered.
    assert [t.name for t in butler.registry.query_dataset_types()] == []
    butler.close()


def test_a_broken_storage_class_plugin_is_named_only_when_a_name_is_missing(install: Install) -> None:
    install({"m": "raise RuntimeError('half installed')"}, {STORAGE_CLASS_GROUP: {"Broken": "MOD:X"}})
    storage_classes = PluginStorageClasses(BUILTIN_STORAGE_CLASSES)
    assert "StructuredData" in storage_classes  # known names never import plug-ins
    with pytest.raises(ConfigError, match=r"plug-in 'Broken'.*half installed"):
        storage_classes["Unheard"]
    assert storage_classes["NumpyArray"].name == "NumpyArray"  # still true: the known ones serve
    with pytest.raises(ConfigError, match="plug-in 'Broken'"):  # and the broken plug-in is named again
        storage_classes["Unheard"]


def test_butler_from_parts_restricts_a_fresh_registry_to_its_storage_classes(tmp_path: Path) -> None:
    from databutler.adapters.memory import make_datastore
    from databutler.adapters.sql import SqlRegistry
    from databutler.config.universe import load_universe

    registry = SqlRegistry.create("sqlite://", load_universe("default"))
    datastore = make_datastore({"adapter": "memory"}, storage_classes=PluginStorageClasses(BUILTIN_STORAGE_CLASSES),
                               formatters=default_formatter_set(), create=True, writeable=True)
    butler = Butler.from_parts(registry, datastore, run="r")
    with pytest.raises(StorageClassError, match="not known"):
        butler.registry.register_dataset_type(DatasetType("x", ("instrument",), "NoSuchClass"))
    assert list(butler.registry.query_dataset_types()) == []  # still true: nothing was registered

