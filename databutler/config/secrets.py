"""Keeping credentials out of butler.yaml: a literal password in a URL is refused when a repo is created."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..domain.errors import ConfigError
from ..domain.redaction import url_password_spans

_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}")


def refuse_literal_secrets(config: Mapping[str, Any], where: str) -> None:
    """Raise ConfigError if a URL in ``config`` holds a password that is not a ``${ENV}`` placeholder."""
    def visit(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                visit(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                visit(item, f"{path}[{i}]")
        elif isinstance(value, str):
            for start, end in url_password_spans(value):
                if not _PLACEHOLDER.fullmatch(value[start:end]):
                    raise ConfigError(
                        f"{where}: {path} holds a literal password, which would be written into butler.yaml; "
                        "use a placeholder such as ${PGPASSWORD} (read from the environment) or the registry "
                        "option credentials_file (a file only you may read)")

    visit(config, "")
