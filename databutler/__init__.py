"""databutler: store, find, read and write Datasets labelled by DataUnits, with provenance."""

from .config import ConfigRepositoryLoader as _ConfigRepositoryLoader
from .domain import (
    CollectionKind,
    DataId,
    DatasetRef,
    DatasetType,
    Quantum,
    QuantumStatus,
    StorageClass,
    Timespan,
)
from .domain.errors import (
    CapabilityError,
    CollectionError,
    CollectionKindError,
    ConfigError,
    ConflictingDefinitionError,
    DataButlerError,
    DataIdError,
    DatasetNotFoundError,
    DatasetTypeError,
    DatastoreError,
    FileIntegrityError,
    FormatterError,
    MissingCollectionError,
    MissingDatasetTypeError,
    PathTemplateError,
    QueryError,
    ReadOnlyError,
    RegistryError,
    StorageClassError,
    UniverseError,
    UnknownDataUnitError,
)
from .service import Butler, FileDataset, use_repository_loader

use_repository_loader(_ConfigRepositoryLoader())

__version__ = "0.1.0"
__all__ = [
    "Butler",
    "CapabilityError",
    "CollectionError",
    "CollectionKind",
    "CollectionKindError",
    "ConfigError",
    "ConflictingDefinitionError",
    "DataButlerError",
    "DataId",
    "DataIdError",
    "DatasetNotFoundError",
    "DatasetRef",
    "DatasetType",
    "DatasetTypeError",
    "DatastoreError",
    "FileDataset",
    "FileIntegrityError",
    "FormatterError",
    "MissingCollectionError",
    "MissingDatasetTypeError",
    "PathTemplateError",
    "Quantum",
    "QuantumStatus",
    "QueryError",
    "ReadOnlyError",
    "RegistryError",
    "StorageClass",
    "StorageClassError",
    "Timespan",
    "UniverseError",
    "UnknownDataUnitError",
]
