"""The pure domain model of databutler: no I/O, no storage technology."""

from .collection import Collection, CollectionKind, check_collection_name
from .data_id import DataId, normalize_data_id
from .dataset import DatasetRef, StoredArtifact
from .dataset_type import DatasetType, split_component
from .errors import (
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
from .quantum import Quantum, QuantumStatus
from .storage_class import (
    BUILTIN_STORAGE_CLASSES,
    StorageClass,
    StorageClassRegistry,
    apply_read_parameters,
    extract_component,
)
from .template import DEFAULT_TEMPLATE, FileTemplate, check_relative_path
from .universe import DataUnitType, Element, FieldSpec, JoinElement, Universe
from .values import FieldType, KeyValue, Timespan

__all__ = [
    "BUILTIN_STORAGE_CLASSES", "DEFAULT_TEMPLATE", "CapabilityError", "Collection", "CollectionError",
    "CollectionKind", "CollectionKindError", "ConfigError", "ConflictingDefinitionError",
    "DataButlerError", "DataId", "DataIdError", "DataUnitType", "DatasetNotFoundError", "DatasetRef",
    "DatasetType", "DatasetTypeError", "DatastoreError", "Element", "FieldSpec", "FieldType",
    "FileIntegrityError", "FileTemplate", "FormatterError", "JoinElement", "KeyValue",
    "MissingCollectionError", "MissingDatasetTypeError", "PathTemplateError", "Quantum",
    "QuantumStatus", "QueryError", "ReadOnlyError", "RegistryError", "StorageClass",
    "StorageClassError", "StorageClassRegistry", "StoredArtifact", "Timespan", "UniverseError",
    "UnknownDataUnitError", "Universe", "apply_read_parameters", "check_collection_name",
    "check_relative_path", "extract_component",
    "normalize_data_id", "split_component",
]
