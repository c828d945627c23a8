"""make_datastore for the POSIX adapter: the options of the ``datastore:`` section of butler.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from databutler.adapters.formats import default_formatter_set
from databutler.adapters.posix import PosixDatastore, make_datastore
from databutler.domain import ConfigError, StorageClassRegistry


def make(options: dict[str, Any], *, create: bool = True, writeable: bool = True) -> PosixDatastore:
    return make_datastore(options, storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                          create=create, writeable=writeable)


def test_defaults(tmp_path: Path) -> None:
    datastore = make({"adapter": "posix", "root": str(tmp_path / "new" / "store")})
    assert (tmp_path / "new" / "store").is_dir()
    assert datastore.root == f"file://{tmp_path}/new/store/"


def test_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert make({"root": "store"}).root == f"file://{tmp_path}/store/"


@pytest.mark.parametrize(("options", "message"), [
    ({"root": ""}, "root"),
    ({"root": 3}, "root"),
    ({"checksum": "no-such-hash"}, "no-such-hash"),
    ({"checksum": 5}, "checksum"),
    ({"fsync": "yes"}, "fsync"),
    ({"template": "{run}"}, "template"),
    ({"template": ["{id}"]}, "template"),
    ({"formatters": {"NumpyArray": "json"}}, "json"),
    ({"formatters": {"StructuredData": "hdf5"}}, "hdf5"),
    ({"formatters": ["json"]}, "formatters"),
])
def test_bad_options_are_config_errors(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make({"root": str(tmp_path), **options})


def test_unknown_options_are_refused_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown options \['checksums'\].*'checksum'"):
        make({"root": str(tmp_path), "checksums": "sha256"})


def test_root_is_required() -> None:
    with pytest.raises(ConfigError, match="root"):
        make({"adapter": "posix"})


def test_opening_a_missing_root_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="create the repository first"):
        make({"root": str(tmp_path / "absent")}, create=False)


def test_creating_read_only_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="read-only"):
        make({"root": str(tmp_path)}, create=True, writeable=False)
