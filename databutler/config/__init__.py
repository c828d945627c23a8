"""Configuration: butler.yaml, universes, the dependency-injector container and adapter plugins."""

from .loader import ConfigRepositoryLoader
from .repo_config import CONFIG_FILE, DEFAULT_CONFIG
from .universe import default_universe, load_universe

__all__ = ["CONFIG_FILE", "DEFAULT_CONFIG", "ConfigRepositoryLoader", "default_universe", "load_universe"]
