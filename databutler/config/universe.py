"""Loading DataUnit universes from YAML: the packaged default, a file, or a mapping."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

from ..domain.errors import ConfigError, UniverseError
from ..domain.universe import Universe


@functools.cache
def default_universe() -> Universe:
    """The universe shipped with databutler (``config/default_universe.yaml``)."""
    text = resources.files(__package__).joinpath("default_universe.yaml").read_text(encoding="utf-8")
    return Universe.from_mapping(yaml.safe_load(text))


def load_universe(spec: str | Mapping[str, Any] | None) -> Universe:
    """Return the universe named by ``spec``: ``default``/None, a YAML file path, or a mapping."""
    if spec is None or spec == "default":
        return default_universe()
    try:
        if isinstance(spec, Mapping):
            return Universe.from_mapping(spec)
        with open(spec, encoding="utf-8") as stream:
            return Universe.from_mapping(yaml.safe_load(stream))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read universe {spec!r}: {err}") from None
    except UniverseError as err:
        raise ConfigError(f"universe {spec!r} is invalid: {err}") from None
