"""butler.yaml: defaults, interpolation, validation, redaction and adapter plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from databutler import Butler, ConfigError, ConflictingDefinitionError
from databutler.config.plugins import DATASTORE_GROUP, REGISTRY_GROUP, available
from databutler.config.repo_config import DEFAULT_CONFIG, interpolate, merge, redact, validate


def test_interpolation_replaces_root_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_HOST", "127.0.0.1")
    monkeypatch.delenv("DB_PORT", raising=False)
    value = interpolate({"url": "postgresql://${DB_HOST}:${DB_PORT:-5432}/x", "root": "{root}/d"}, "/repo")
    assert value == {"url": "postgresql://127.0.0.1:5432/x", "root": "/repo/d"}


def test_missing_environment_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_VAR_FOR_TEST", raising=False)
    with pytest.raises(ConfigError, match="NO_SUCH_VAR_FOR_TEST"):
        interpolate({"url": "${NO_SUCH_VAR_FOR_TEST}"}, "/repo")


def test_merge_keeps_defaults_unless_the_adapter_changes() -> None:
    same = merge(DEFAULT_CONFIG, {"datastore": {"checksum": "sha256"}})
    assert same["datastore"]["template"] == DEFAULT_CONFIG["datastore"]["template"]
    assert same["datastore"]["checksum"] == "sha256"
    other = merge(DEFAULT_CONFIG, {"datastore": {"adapter": "memory"}})
    assert other["datastore"] == {"adapter": "memory"}


def test_validate_refuses_unknown_keys_and_missing_adapters() -> None:
    with pytest.raises(ConfigError, match="unknown configuration keys"):
        validate({**DEFAULT_CONFIG, "registy": {}}, "test")
    with pytest.raises(ConfigError, match="needs an 'adapter'"):
        validate({**DEFAULT_CONFIG, "registry": {"url": "sqlite://"}}, "test")


def test_redact_masks_passwords_in_urls_and_secret_keys() -> None:
    shown = redact({"registry": {"url": "postgresql://alice:s3cret@db/x", "password": "p"}})
    assert "s3cret" not in str(shown)
    assert shown["registry"]["url"] == "postgresql://alice:***@db/x"
    assert shown["registry"]["password"] == "***"


def test_create_writes_placeholders_not_resolved_paths(tmp_path: Path) -> None:
    Butler.create(tmp_path / "repo").close()
    written = yaml.safe_load((tmp_path / "repo" / "butler.yaml").read_text())
    assert written["registry"]["url"] == "sqlite:///{root}/registry.sqlite3"
    assert written["datastore"]["root"] == "{root}/datasets"


def test_create_twice_is_refused_and_keeps_the_first(tmp_path: Path) -> None:
    Butler.create(tmp_path / "repo").close()
    before = (tmp_path / "repo" / "butler.yaml").read_text()
    with pytest.raises(ConflictingDefinitionError, match="already exists"):
        Butler.create(tmp_path / "repo", {"datastore": {"checksum": "md5"}})
    assert (tmp_path / "repo" / "butler.yaml").read_text() == before


def test_unknown_adapter_names_the_installed_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no adapter 'nosuch'"):
        Butler.create(tmp_path / "repo", {"registry": {"adapter": "nosuch"}})
    assert not (tmp_path / "repo" / "butler.yaml").exists()


def test_opening_a_missing_repository_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="create"):
        Butler(tmp_path / "nothing")


def test_a_repository_moves_with_its_directory(tmp_path: Path) -> None:
    butler = Butler.create(tmp_path / "a", run="r")
    butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
    butler.close()
    (tmp_path / "a").rename(tmp_path / "b")
    moved = Butler(tmp_path / "b")
    assert moved.registry.fetch_data_unit_records("instrument")[0]["name"] == "Cam1"
    moved.close()


def test_entry_point_groups_are_listed() -> None:
    assert isinstance(available(REGISTRY_GROUP), tuple)
    assert isinstance(available(DATASTORE_GROUP), tuple)


def test_one_table_serves_top_level_and_child_datastore_sections(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from databutler.adapters.memory import make_datastore as make_memory_datastore
    from databutler.config.container import DATASTORES, REGISTRIES

    built: list[str] = []

    def tracked(section: Any, **kwargs: Any) -> Any:
        built.append(section["adapter"])
        return make_memory_datastore({"adapter": "memory"}, **kwargs)

    monkeypatch.setitem(DATASTORES.builtin, "tracked", tracked)
    assert "tracked" in DATASTORES.names() and "sql" in REGISTRIES.names()
    Butler.create(tmp_path / "top", {"datastore": {"adapter": "tracked"}}).close()
    chain = {"adapter": "chained", "children": [{"name": "only", "datastore": {"adapter": "tracked"}}]}
    Butler.create(tmp_path / "child", {"datastore": chain}).close()
    assert built == ["tracked", "tracked"], "an adapter added once is found for a top-level and a child section"


def test_an_unknown_registry_adapter_is_refused_before_the_datastore_is_made(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no adapter 'sqll' for the registry; did you mean 'sql'\?"):
        Butler.create(tmp_path / "repo", {"registry": {"adapter": "sqll"}, "datastore": {"root": "{root}/d"}})
    assert not (tmp_path / "repo" / "d").exists(), "nothing of the repository was made"
