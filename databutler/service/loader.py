"""The hook through which the configuration layer lets ``Butler`` open repositories by path."""

from __future__ import annotations

from ..domain.errors import ConfigError
from ..ports.repository import RepositoryLoader

_installed: list[RepositoryLoader] = []


def use_repository_loader(loader: RepositoryLoader) -> None:
    """Make ``loader`` the one ``Butler`` uses to create and open repositories by path."""
    _installed[:] = [loader]


def repository_loader() -> RepositoryLoader:
    """The installed loader (``import databutler`` installs the configuration-driven one)."""
    if not _installed:
        raise ConfigError("no repository loader is installed; import databutler (not only "
                          "databutler.service) or pass a Repository explicitly")
    return _installed[0]
