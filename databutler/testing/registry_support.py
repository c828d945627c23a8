"""What every Registry contract group shares: the fixtures an adapter provides, the suite's own, and test data.

Fixtures the adapter's test class provides (``RegistryFixtures`` holds the defaults):

- ``make_registry`` (must override): a callable ``make(universe=None)`` returning a fresh, empty,
  writeable registry on ``universe`` (the standard universe, ``testing.data.standard_universe()``,
  when None); the fixture closes what it made at teardown.
- ``reopen_registry`` (optional): a callable ``reopen(registry, writeable=True)`` returning another
  registry on the same store. Without it, tests that require ``Harness.REOPEN_REGISTRY`` are skipped
  at collection.
- ``populated`` (optional): override to copy a prepared store holding the standard data instead of
  inserting it.

The class declares what its registry reports as ``capabilities = {RegistryCapability...}`` (see
``databutler.testing.requirements``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..ports.registry import Registry
from .data import insert_standard_data_units, standard_records
from .requirements import Declaring, Reported, check_declared, decided_when_built, declared_of, placeholder

RUN, TAGGED, CHAINED = CollectionKind.RUN, CollectionKind.TAGGED, CollectionKind.CHAINED
CALEXP = DatasetType("calexp", ("instrument", "detector", "visit"), "StructuredData")
RAW = DatasetType("raw", ("instrument", "detector", "exposure"), "StructuredData")
COADD = DatasetType("deepCoadd", ("band", "skymap", "tract", "patch"), "StructuredData")

TINY_UNIVERSE = {
    "namespace": "tiny", "version": 3,
    "elements": {
        "camera": {"key": {"name": "name", "type": "string", "length": 16}},
        "ccd": {"key": {"name": "id", "type": "int"}, "requires": ["camera"],
                "metadata": [{"name": "gain", "type": "float"}]},
    },
}

MakeRegistry = Callable[..., Registry]
ReopenRegistry = Callable[..., Registry]


class BoomError(Exception):
    """Raised by tests to abandon a transaction."""


def calexp_id(visit: int = 1, detector: int = 1, instrument: str = "Cam1") -> dict[str, Any]:
    """A calexp DataId of the standard data."""
    return {"instrument": instrument, "visit": visit, "detector": detector}


def artifact(ref: DatasetRef, component: str | None = None) -> StoredArtifact:
    """A plausible artifact record for ``ref``."""
    suffix = f".{component}" if component else ""
    return StoredArtifact(ref.id, f"{ref.run}/{ref.dataset_type.name}/{ref.id}{suffix}.json",
                          "databutler.formats.json.JsonFormatter", "StructuredData", "sha256:00ff", 42, component)


def all_records(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    """Every record of every element, to check that a refused write changed nothing."""
    return {e.name: registry.fetch_data_unit_records(e.name) for e in registry.universe.elements}


def registry_records_of(registry: Registry, element: str) -> list[dict[str, Any]]:
    """The standard records of ``element`` as the registry returns them (missing fields as None)."""
    fields = [f.name for f in registry.universe.record_fields(element)]
    return sorted(({f: r.get(f) for f in fields} for r in standard_records()[element]),
                  key=lambda r: tuple(r[k] for k in registry.universe.key_fields(element)))


class RegistryFixtures(Declaring):
    """The fixtures of every Registry contract group; subclass a group and provide ``make_registry``."""

    # -- fixtures the adapter provides --------------------------------------------------------

    @pytest.fixture
    def make_registry(self) -> MakeRegistry:
        """Override: a callable returning a fresh, empty, writeable registry (``universe=`` optional)."""
        pytest.fail("the adapter's test class must provide a make_registry fixture", pytrace=False)

    @placeholder
    @pytest.fixture
    def reopen_registry(self) -> ReopenRegistry | None:
        """Override: a callable returning another registry on the same store (``writeable=`` optional)."""
        return None

    # -- fixtures of the suite ----------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _undeclared_needs(self, request: pytest.FixtureRequest) -> None:
        """For a class that declares no capabilities: build a registry first, to decide the test's marks."""
        if decided_when_built(request.node):
            request.getfixturevalue("registry")

    @pytest.fixture
    def registry(self, make_registry: MakeRegistry, request: pytest.FixtureRequest) -> Iterator[Registry]:
        """A fresh, empty, writeable registry on the standard universe (checked against the declaration)."""
        registry = make_registry()
        check_declared(request.node, Reported.of_registry(registry))
        yield registry
        registry.close()

    @pytest.fixture
    def populated(self, registry: Registry) -> Registry:
        """A registry holding the standard DataUnit records."""
        insert_standard_data_units(registry)
        return registry

    @pytest.fixture
    def with_runs(self, populated: Registry) -> Registry:
        """The standard data plus calexp/raw dataset types and RUN collections run1 and run2."""
        populated.register_dataset_type(CALEXP)
        populated.register_dataset_type(RAW)
        populated.register_collection("run1", RUN)
        populated.register_collection("run2", RUN)
        return populated

    def test_the_class_declares_what_the_registry_reports(self, make_registry: MakeRegistry,
                                                          request: pytest.FixtureRequest) -> None:
        """A class that declares capabilities declares exactly those its registry reports."""
        if declared_of(request.node) is not None:
            check_declared(request.node, Reported.of_registry(make_registry()))
