"""butler.yaml: the per-repository configuration, its defaults and its interpolation."""

from __future__ import annotations

import copy
import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import yaml

from ..domain.errors import ConfigError
from ..domain.redaction import mask_url_passwords

CONFIG_FILE = "butler.yaml"

DEFAULT_CONFIG: dict[str, Any] = {
    "registry": {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3"},
    "datastore": {"adapter": "posix", "root": "{root}/datasets",
                  "template": "{run}/{dataset_type}/{data_id}", "checksum": "blake2b"},
    "universe": "default",
}
TOP_LEVEL_KEYS = frozenset({"registry", "datastore", "universe", "storage_classes", "formatters"})

_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_ENV = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively by ``override`` (an adapter change replaces the section)."""
    result = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = result.get(key)
        same_adapter = (isinstance(value, Mapping) and isinstance(current, Mapping)
                        and value.get("adapter", current.get("adapter")) == current.get("adapter"))
        if isinstance(value, Mapping) and isinstance(current, Mapping) and same_adapter:
            result[key] = merge(current, value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def read_config_file(path: str) -> dict[str, Any]:
    """Read a YAML configuration file into a mapping, with a ConfigError for anything wrong."""
    problem: str | None = None
    try:
        with open(path, encoding="utf-8") as stream:
            data = yaml.safe_load(stream)
    except FileNotFoundError:
        raise ConfigError(f"no configuration file at {path!r}") from None
    except (OSError, yaml.YAMLError) as err:
        problem = mask_url_passwords(f"cannot read configuration {path!r}: {err}")  # the parser quotes lines
    if problem is not None:
        raise ConfigError(problem)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"configuration {path!r} must be a mapping at top level")
    return dict(data)


def validate(config: Mapping[str, Any], where: str) -> None:
    """Raise ConfigError if ``config`` lacks a section or has unknown top-level keys."""
    unknown = set(config) - TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown configuration keys {sorted(unknown)}; "
                          f"known: {sorted(TOP_LEVEL_KEYS)}")
    for section in ("registry", "datastore"):
        value = config.get(section)
        if not isinstance(value, Mapping) or not isinstance(value.get("adapter"), str):
            raise ConfigError(f"{where}: section {section!r} needs an 'adapter' name")


def _userinfo_spans(value: str) -> list[tuple[int, int]]:
    """Where the ``user:password`` part of each URL in ``value`` is, placeholders taken as opaque."""
    opaque = _ENV.sub(lambda m: "x" * len(m.group()), value)  # a default may hold '/' or '@'
    spans = []
    for scheme in _URL_SCHEME.finditer(opaque):
        start = scheme.end()
        host_end = min((i for i in (opaque.find(c, start) for c in "/?#") if i != -1), default=len(opaque))
        at = opaque.rfind("@", start, host_end)
        if at != -1:
            spans.append((start, at))
    return spans


def _interpolate_string(value: str, root: str, where: str) -> str:
    userinfo = _userinfo_spans(value)

    def env(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        found = os.environ.get(name, default)
        if found is None:
            raise ConfigError(f"{where}: environment variable {name!r} is not set "
                              f"(use ${{{name}:-default}} for a default)")
        if any(start <= match.start() and match.end() <= end for start, end in userinfo):
            # A user name or password, such as PGPASSWORD, is taken as it is: encoded for the URL here.
            return urllib.parse.quote(found, safe="")
        return found

    return _ENV.sub(env, value).replace("{root}", root)


def interpolate(value: Any, root: str, where: str = CONFIG_FILE) -> Any:
    """Replace ``{root}`` and ``${ENV}`` / ``${ENV:-default}`` in every string of ``value``.

    A variable in the ``user:password@`` part of a URL is percent-encoded there: it holds the
    password itself, whatever characters it has.
    """
    if isinstance(value, str):
        return _interpolate_string(value, root, where)
    if isinstance(value, Mapping):
        return {k: interpolate(v, root, where) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, root, where) for v in value]
    return value


def redact(config: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` with passwords in URLs and secret-looking keys masked, for display."""
    def clean(value: Any, key: str = "") -> Any:
        if isinstance(value, Mapping):
            return {k: clean(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            if any(s in key.lower() for s in ("password", "secret", "token", "key_id", "access_key")):
                return "***"
            return mask_url_passwords(value)
        return value

    return dict(clean(config))
