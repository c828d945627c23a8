"""The error hierarchy: every failure a user of databutler can see is one of these."""

from __future__ import annotations

from collections.abc import Callable

from .remedies import PYTHON, Action, Remedy


class DataButlerError(Exception):
    """Base of every databutler error.

    ``remedy`` (keyword-only), when given, is the fix the message ends with; ``str(error)``
    phrases it for Python callers, and ``message(phrases)`` in another front end's words.
    """

    remedy: Remedy | None = None

    def __init__(self, *args: object, remedy: Remedy | None = None) -> None:
        super().__init__(*args)
        if remedy is not None:
            self.remedy = remedy

    def plain_message(self) -> str:
        """The message without its remedy."""
        return super().__str__()

    def message(self, phrases: dict[Action, str] | None = None) -> str:
        """The message, ending with the remedy phrased by ``phrases`` (default: for Python callers)."""
        if self.remedy is None:
            return self.plain_message()
        return f"{self.plain_message()}; {self.remedy.phrase(PYTHON if phrases is None else phrases)}"

    def __str__(self) -> str:
        return self.message()


class ArgumentError(DataButlerError, TypeError):
    """An argument of the wrong kind: a number where refs were expected, a string for a mapping..."""


class ConfigError(DataButlerError):
    """A configuration value is missing, malformed or names an unknown adapter."""


class UniverseError(DataButlerError):
    """A DataUnit universe definition is inconsistent."""


class DataIdError(DataButlerError, ValueError):
    """A DataId is malformed, incomplete, of the wrong type, or names unknown values."""


class UnknownDataUnitError(DataIdError, KeyError):
    """A name is not a DataUnit (or join element) of the universe."""

    def plain_message(self) -> str:
        """The message without its remedy (not quoted, as KeyError would)."""
        return str(self.args[0]) if self.args else ""


class DatasetTypeError(DataButlerError):
    """A DatasetType is unknown or inconsistent with its registered definition."""


class MissingDatasetTypeError(DatasetTypeError, LookupError):
    """A DatasetType is not registered."""


class StorageClassError(DataButlerError):
    """A StorageClass is unknown, or an object does not match it."""


class ConflictingDefinitionError(DataButlerError):
    """Something with the same identity already exists with different content."""


class DatasetNotFoundError(DataButlerError, LookupError):
    """No dataset matches, or a dataset is known but its artifact is missing."""


class CollectionError(DataButlerError):
    """A collection is unknown, of the wrong kind, or cannot be changed as asked."""


class MissingCollectionError(CollectionError, LookupError):
    """A collection is not registered."""


class CollectionKindError(CollectionError):
    """An operation needs a collection of another kind (RUN, TAGGED, CHAINED)."""


class CalibrationConflictError(ConflictingDefinitionError):
    """A certification would overlap another validity range of the same DatasetType and DataId in a collection."""


class CalibrationLookupError(DataButlerError, LookupError):
    """A calibration lookup matched more than one validity range in one collection (it needs a narrower time)."""


class CapabilityError(DataButlerError):
    """An adapter was asked for a capability it does not declare."""


class ReadOnlyError(CapabilityError):
    """A write was attempted on something opened or declared read-only."""


class ReleaseWriteError(ReadOnlyError):
    """A write was aimed at the read-only release registry under a layered personal registry."""


class DatastoreError(DataButlerError):
    """A datastore could not read, write or remove an artifact."""


class PathTemplateError(DatastoreError):
    """A file template rendered to a path that is unsafe or outside the datastore root."""


class FileIntegrityError(DatastoreError):
    """An artifact does not match its recorded checksum or size."""


class BadFileError(DatastoreError):
    """An ingest gateway refused files (a duplicate name, a checksum changed in the copy); ``names`` are theirs.

    ``pending`` is set when the refusal could not be recorded at once because the caller's own
    transaction holds the database (SQLite allows one writer): whoever rolls that transaction back
    calls ``record_pending()`` afterwards (``Butler.ingest`` does).
    """

    def __init__(self, message: str, names: tuple[str, ...] = (), *, remedy: Remedy | None = None,
                 pending: Callable[[], None] | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.names = names
        self.pending = pending

    def record_pending(self) -> None:
        """Record the refusal now, if it is still pending (raises what the recording raises)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending()


class FormatterError(DatastoreError):
    """A formatter could not turn an object into bytes, or bytes into an object."""


class RegistryError(DataButlerError):
    """The registry's backing store failed in a way no more specific error describes."""


class QueryError(DataButlerError, ValueError):
    """A query expression or its bind values are invalid."""


class PipelineError(DataButlerError):
    """A pipeline, one of its tasks, or a quantum graph is invalid or does not fit the repository."""


class ArtifactExistsError(ConflictingDefinitionError):
    """A datastore refused to write over an existing file; ``uris`` spell it as a registry may record it."""

    def __init__(self, message: str, uris: tuple[str, ...] = (), *, remedy: Remedy | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.uris = uris


class ExportFormatError(DataButlerError):
    """An export file databutler cannot read, or whose content this repository cannot hold.

    Not YAML, truncated, an unknown format version, an element the universe lacks, a calibration
    collection.
    """
