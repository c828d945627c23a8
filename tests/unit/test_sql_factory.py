"""make_registry: building a SqlRegistry from the ``registry:`` section of butler.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from databutler.adapters.sql import SqlRegistry, make_registry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, ConfigError, ReadOnlyError, RegistryError, Universe
from databutler.ports import RegistryCapability
from databutler.testing.registry import TINY_UNIVERSE


def options(path: Path, **extra: Any) -> dict[str, Any]:
    return {"adapter": "sql", "url": f"sqlite:///{path}", **extra}


def test_create_then_open_uses_the_stored_universe(tmp_path: Path) -> None:
    tiny = Universe.from_mapping(TINY_UNIVERSE)
    path = tmp_path / "r.sqlite3"
    with make_registry(options(path, busy_timeout_s=5, echo=False), universe=tiny, create=True,
                       writeable=True) as created:
        assert isinstance(created, SqlRegistry)
        created.register_collection("run1", CollectionKind.RUN)
    with make_registry(options(path), universe=default_universe(), create=False, writeable=True) as opened:
        assert opened.universe == tiny
        assert opened.get_collection("run1").kind is CollectionKind.RUN


def test_open_read_only_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    make_registry(options(path), universe=default_universe(), create=True, writeable=True).close()
    with make_registry(options(path), universe=None, create=False, writeable=False) as reader:
        assert RegistryCapability.WRITE not in reader.capabilities
        with pytest.raises(ReadOnlyError):
            reader.register_collection("run1", CollectionKind.RUN)


def test_open_of_a_missing_registry_is_a_registry_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError):
        make_registry(options(tmp_path / "nothing.sqlite3"), universe=None, create=False, writeable=True)


@pytest.mark.parametrize(("bad", "message"), [
    ({"url": None}, "url"),
    ({"url": ""}, "url"),
    ({"url": "no-scheme"}, "url"),
    ({"namespace": "butler"}, "namespace"),
    ({"namespace": ""}, "namespace"),
    ({"busy_timeout_s": 0}, "busy_timeout_s"),
    ({"busy_timeout_s": "30"}, "busy_timeout_s"),
    ({"busy_timeout_s": True}, "busy_timeout_s"),
    ({"echo": "yes"}, "echo"),
    ({"pool_size": 3}, "pool_size"),
])
def test_bad_options_are_config_errors_naming_the_option(tmp_path: Path, bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_registry({**options(tmp_path / "r.sqlite3"), **bad}, universe=default_universe(), create=True,
                      writeable=True)
    assert not (tmp_path / "r.sqlite3").exists()


def test_creating_needs_a_universe_and_write_access(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="universe"):
        make_registry(options(tmp_path / "r.sqlite3"), universe=None, create=True, writeable=True)
    with pytest.raises(ConfigError, match="read-only"):
        make_registry(options(tmp_path / "r.sqlite3"), universe=default_universe(), create=True, writeable=False)
    with pytest.raises(ConfigError, match="mapping"):
        make_registry("sqlite://", universe=default_universe(), create=True, writeable=True)  # type: ignore[arg-type]
