"""The typed interfaces databutler needs from the outside world, and their capabilities."""

from .capabilities import DatastoreCapability, RegistryCapability, require
from .datastore import Datastore, IngestRequest, ListedArtifact, ReadRequest, TransferMode
from .formatter import Formatter, FormatterSet
from .registry import DataIdLike, Registry
from .registry_base import RegistryBase
from .repository import Repository, RepositoryLoader

__all__ = [
    "DataIdLike", "Datastore", "DatastoreCapability", "Formatter", "FormatterSet", "IngestRequest", "ListedArtifact",
    "ReadRequest", "Registry", "RegistryBase", "RegistryCapability", "Repository", "RepositoryLoader", "TransferMode",
    "require",
]
