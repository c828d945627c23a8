"""Creating and opening repositories from butler.yaml: the RepositoryLoader the Butler uses."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import Any

import yaml

from ..domain.errors import ConfigError, ConflictingDefinitionError, DataButlerError
from ..domain.remedies import Action, Remedy
from ..ports.repository import Repository
from .repo_config import CONFIG_FILE, DEFAULT_CONFIG, interpolate, merge, read_config_file, validate
from .secrets import refuse_literal_secrets


def _config_path(root: str) -> tuple[str, str]:
    """Split a repository argument (a directory or its butler.yaml) into (root, config file)."""
    root = os.path.abspath(os.path.expanduser(root))
    if root.endswith((".yaml", ".yml")) and not os.path.isdir(root):
        return os.path.dirname(root), root
    return root, os.path.join(root, CONFIG_FILE)


def repository_exists(root: str, path: str) -> ConflictingDefinitionError:
    """The error for creating a repository where one is: how to open it instead."""
    return ConflictingDefinitionError(f"a repository already exists at {root!r} ({path})",
                                      remedy=Remedy(Action.OPEN_EXISTING, root, f"Butler({root!r})"))


def _write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".butler-", suffix=".yaml", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.link(tmp, path)
    except FileExistsError:
        raise repository_exists(directory, path) from None
    finally:
        os.unlink(tmp)


class ConfigRepositoryLoader:
    """Builds repositories from butler.yaml through the dependency-injector container."""

    def create(self, root: str, config: str | Mapping[str, Any] | None = None) -> Repository:
        """Create a repository at ``root``: write butler.yaml (defaults + ``config``) and the registry."""
        root, path = _config_path(root)
        if os.path.exists(path):
            raise repository_exists(root, path)
        user = read_config_file(os.fspath(config)) if isinstance(config, str | os.PathLike) else dict(config or {})
        merged = merge(DEFAULT_CONFIG, user)
        validate(merged, "repository configuration")
        refuse_literal_secrets(merged, "repository configuration")
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"cannot create repository directory {root!r}: {err}") from None
        # Placeholders ({root}, ${ENV}) stay in the file: repos can move, secrets stay in the environment.
        _write_atomically(path, yaml.safe_dump(merged, sort_keys=False))
        try:
            return self._build(root, merged, create=True, writeable=True)
        except BaseException:
            os.unlink(path)
            raise

    def open(self, root: str, *, writeable: bool = True) -> Repository:
        """Open the repository whose butler.yaml is at (or in) ``root``."""
        root, path = _config_path(root)
        if not os.path.exists(path):
            raise ConfigError(f"no repository at {root!r}: {path} does not exist",
                              remedy=Remedy(Action.CREATE_REPO, root))
        raw = read_config_file(path)
        validate(raw, path)
        return self._build(root, raw, create=False, writeable=writeable)

    @staticmethod
    def _build(root: str, raw: Mapping[str, Any], *, create: bool, writeable: bool) -> Repository:
        config = interpolate(raw, root)
        # Imported here: the container imports every bundled adapter (SQLAlchemy, fsspec...), which
        # a command such as `databutler --help` never needs.
        from .container import build_container

        container = build_container(config, create=create, writeable=writeable)
        try:
            storage_classes = container.storage_classes()
            container.formatters()  # refuses an unknown formatter name now, before anything is built
            # The datastore first: creating one checks that its storage is usable (an object store's
            # bucket and credentials), and a refusal then leaves no new registry behind.
            datastore = container.datastore()
            try:
                registry = container.registry()
                registry.restrict_storage_classes(storage_classes)  # live: learns plug-in StorageClasses
            except BaseException:
                datastore.close()
                raise
        except DataButlerError:
            raise
        except (TypeError, KeyError, ValueError) as err:
            raise ConfigError(f"repository configuration at {root!r} is invalid: {err}") from err
        return Repository(root, registry, datastore, storage_classes, config, container.converters())
