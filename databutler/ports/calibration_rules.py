"""The calibration rules of RegistryBase: certify, decertify and find-first lookups through CALIBRATION collections.

The rules run here, once, over three storage hooks (``_certifications``, ``_insert_certifications``,
``_remove_certifications``): which datasets may be certified, that validity ranges of one DatasetType
and DataId never overlap in a collection, how a decertify trims or splits ranges, and the find-first
order of a search path that mixes RUN, TAGGED and CALIBRATION collections.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

from ..domain import calibration
from ..domain.arguments import check_many, check_refs
from ..domain.calibration import Certification
from ..domain.collection import CollectionKind
from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef
from ..domain.dataset_type import DatasetType
from ..domain.errors import ArgumentError, CapabilityError, DatasetNotFoundError
from ..domain.values import Timespan, shown
from . import collection_rules
from .capabilities import RegistryCapability, require
from .registry import DataIdLike, Registry

if TYPE_CHECKING:
    from .registry_base import RegistryBase


def require_calibrations(registry: Registry, action: str) -> None:
    """Refuse ``action`` with CapabilityError unless ``registry`` declares CALIBRATIONS."""
    require(registry.capabilities, RegistryCapability.CALIBRATIONS, type(registry).__name__, action)


def missing_hook(registry: RegistryBase) -> CapabilityError:
    """The error of a calibration storage hook the adapter lacks (it then must not declare CALIBRATIONS)."""
    return CapabilityError(f"{type(registry).__name__} does not store certifications (it lacks the capability "
                           f"{RegistryCapability.CALIBRATIONS.value!r})")


def certify(registry: RegistryBase, collection: str, refs: Sequence[DatasetRef], timespan: Timespan) -> None:
    """Check and store the certification of ``refs`` in ``collection`` for ``timespan`` (see Registry.certify)."""
    action = f"certify datasets into {collection!r}"
    require_calibrations(registry, action)
    registry._check_writeable(action)
    calibration.check_timespan(timespan, action)
    collection_rules.check_kind(registry, collection, CollectionKind.CALIBRATION)
    registry._check_collection_writable(collection, action)
    given = list(dict.fromkeys(refs))
    stored = registry.get_datasets([ref.id for ref in given])
    known: list[DatasetRef] = []
    for ref, found in zip(given, stored, strict=True):
        if found is None:
            raise DatasetNotFoundError(f"cannot {action}: dataset {ref.id} is not in the registry")
        calibration.check_calibration_type(found.dataset_type, action)
        known.append(found)
    known = list({ref.id: ref for ref in known}.values())
    calibration.check_batch(collection, known, timespan)
    with registry.transaction():  # the overlap check and the insert see the same certifications
        registry._lock_certifications(collection)
        for dataset_type, members in _by_type(known).items():
            existing = registry._certifications(collection, dataset_type, [r.data_id for r in members], timespan)
            calibration.check_no_overlap(collection, existing, members, timespan)
        registry._insert_certifications(collection, [Certification(ref, timespan) for ref in known])


def decertify(registry: RegistryBase, collection: str, dataset_type: str, timespan: Timespan,
              data_ids: list[DataId] | None) -> None:
    """Remove ``timespan`` from the certifications of ``dataset_type`` in ``collection``, trimming or splitting."""
    action = f"decertify {dataset_type!r} datasets from {collection!r}"
    require_calibrations(registry, action)
    registry._check_writeable(action)
    definition = registry.get_dataset_type(dataset_type)
    calibration.check_calibration_type(definition, action)
    calibration.check_timespan(timespan, action)
    collection_rules.check_kind(registry, collection, CollectionKind.CALIBRATION)
    registry._check_collection_writable(collection, action)
    with registry.transaction():
        registry._lock_certifications(collection)
        overlapping = registry._certifications(collection, definition, data_ids, timespan)
        kept = [Certification(c.ref, left)
                for c in overlapping for left in calibration.difference(c.timespan, timespan)]
        registry._remove_certifications(collection, overlapping)
        if kept:
            registry._insert_certifications(collection, kept)


def query(registry: RegistryBase, collection: str, dataset_type: str | None,
          timespan: Timespan | None) -> list[Certification]:
    """The certifications in CALIBRATION ``collection`` (see Registry.query_certifications)."""
    require_calibrations(registry, f"read the certifications of {collection!r}")
    collection_rules.check_kind(registry, collection, CollectionKind.CALIBRATION)
    types = [registry.get_dataset_type(dataset_type)] if dataset_type is not None else [
        t for t in registry._dataset_types() if t.is_calibration]
    if timespan is not None and not isinstance(timespan, Timespan):
        calibration.check_timespan(timespan, f"read the certifications of {collection!r}")
    if timespan is not None:
        timespan = calibration.as_lookup(timespan)
    found = [c for t in types for c in registry._certifications(collection, t, None, timespan)]
    return sorted(found, key=lambda c: (c.ref.dataset_type.name, c.ref.data_id.key(),
                                        calibration.show_time(c.timespan.begin, "")))


def find(registry: RegistryBase, definition: DatasetType, data_ids: list[DataId], names: tuple[str, ...],
         timespan: Timespan | None) -> list[DatasetRef | None]:
    """Find-first through a search path that holds CALIBRATION collections (searched only with a timespan)."""
    if timespan is not None:
        timespan = calibration.as_lookup(timespan)
    resolved = registry._resolve_collections(names)
    kinds = {c.name: c.kind for c in registry._collections(list(resolved))}
    segments: list[tuple[bool, tuple[str, ...]]] = []
    for name in resolved:
        is_calibration = kinds.get(name) is CollectionKind.CALIBRATION
        if is_calibration and timespan is None:
            continue  # as the reference: without a time, a CALIBRATION collection cannot choose a dataset
        if segments and not is_calibration and not segments[-1][0]:
            segments[-1] = (False, (*segments[-1][1], name))
        else:
            segments.append((is_calibration, (name,)))
    result: list[DatasetRef | None] = [None] * len(data_ids)
    for is_calibration, part in segments:
        todo = [i for i, ref in enumerate(result) if ref is None]
        if not todo:
            break
        if not is_calibration:
            found = registry._find_datasets(definition, [data_ids[i] for i in todo], part)
            for i, ref in zip(todo, found, strict=True):
                result[i] = ref
            continue
        if not definition.is_calibration:
            continue
        assert timespan is not None
        certified = registry._certifications(part[0], definition, [data_ids[i] for i in todo], timespan)
        by_key: dict[str, list[Certification]] = {}
        for certification in certified:
            by_key.setdefault(certification.ref.data_id.key(), []).append(certification)
        for i in todo:
            matches = by_key.get(data_ids[i].key())
            if matches:
                result[i] = calibration.one_per_collection(definition.name, data_ids[i], part[0], matches, timespan)
    return result


def _by_type(refs: Sequence[DatasetRef]) -> dict[DatasetType, list[DatasetRef]]:
    groups: dict[DatasetType, list[DatasetRef]] = {}
    for ref in refs:
        groups.setdefault(ref.dataset_type, []).append(ref)
    return groups


class CalibrationRules(Registry, abc.ABC):
    """``certify``, ``decertify`` and ``query_certifications`` over three storage hooks; mixed into RegistryBase.

    An adapter that declares CALIBRATIONS implements ``_certifications``, ``_insert_certifications``
    and ``_remove_certifications``; the defaults refuse with CapabilityError.
    """

    def _base(self) -> RegistryBase:
        return cast("RegistryBase", self)  # only RegistryBase mixes this in

    def certify(self, collection: str, refs: Sequence[DatasetRef], timespan: Timespan) -> None:
        """Certify ``refs`` in CALIBRATION ``collection`` for ``timespan``; an overlap is refused, nothing stored."""
        certify(self._base(), collection, check_refs(refs), timespan)

    def decertify(self, collection: str, dataset_type: str, timespan: Timespan, *,
                  data_ids: Sequence[DataIdLike] | None = None) -> None:
        """Clear ``timespan`` in CALIBRATION ``collection`` for ``dataset_type``, trimming or splitting ranges."""
        normalized = None
        if data_ids is not None:
            check_many(data_ids, f"decertify({collection!r}, ...)", "data ID")
            if isinstance(data_ids, str) or not all(isinstance(d, Mapping) for d in data_ids):
                raise ArgumentError(f"decertify({collection!r}, ...) takes data_ids as a list of mappings, not "
                                    f"{shown(data_ids)}")
            normalized = self._base()._normalized(dataset_type, data_ids)[1]
        decertify(self._base(), collection, dataset_type, timespan, normalized)

    def query_certifications(self, collection: str, dataset_type: str | None = None, *,
                             timespan: Timespan | None = None) -> list[Certification]:
        """The certifications in CALIBRATION ``collection`` (of ``dataset_type``, overlapping ``timespan``)."""
        return query(self._base(), collection, dataset_type, timespan)

    def _certifications(self, collection: str, dataset_type: DatasetType, data_ids: Sequence[DataId] | None,
                        timespan: Timespan | None) -> list[Certification]:
        """Storage read (needs CALIBRATIONS): certifications of one type in ``collection``, overlapping ``timespan``.

        Only those of ``data_ids`` (all if None) whose range overlaps ``timespan`` (all if None).
        """
        raise missing_hook(self._base())

    def _insert_certifications(self, collection: str, certifications: list[Certification]) -> None:
        """Storage write (needs CALIBRATIONS): add checked certifications (the database may refuse an overlap too)."""
        raise missing_hook(self._base())

    def _remove_certifications(self, collection: str, certifications: list[Certification]) -> None:
        """Storage write (needs CALIBRATIONS): delete these certifications (by dataset and range begin)."""
        raise missing_hook(self._base())

    def _lock_certifications(self, collection: str) -> None:
        """Optional: keep other writers from changing the certifications of ``collection`` until the transaction ends.

        Needed where the database reads a snapshot that another writer may change before this one
        writes (PostgreSQL); SQLite's write transaction already holds the only write lock.
        """
