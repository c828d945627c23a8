"""What every Butler contract group shares: the fixture an adapter pair provides, the suite's ``butler``, test data.

The test class provides ``make_butler`` (must override): a callable ``make(run=None,
collections=None)`` returning a fresh, empty Butler over the pair under test. It declares what the
pair reports (the registry's and the datastore's capabilities, the datastore's ingest modes, and
``Harness.BUTLER_YAML`` when its Butlers are created from a ``butler.yaml``) as ``capabilities``, or
per parameter by overriding ``declared_needs`` (see ``databutler.testing.requirements``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import pytest

from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..service.butler import Butler
from .requirements import Declaring, Reported, check_declared, decided_when_built

MakeButler = Callable[..., Butler]
RUN = "test/run"
INSTRUMENT = "ContractCam"
HAS_NUMPY = importlib.util.find_spec("numpy") is not None


class InjectedFaultError(RuntimeError):
    """The failure the fault-injection tests raise on purpose."""


def setup_units(butler: Butler) -> None:
    """Insert one instrument, two filters, four detectors, one night and three visits."""
    registry = butler.registry
    registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 4}])
    registry.insert_data_units("physical_filter", [
        {"instrument": INSTRUMENT, "name": "CC-r", "band": "r"},
        {"instrument": INSTRUMENT, "name": "CC-g", "band": "g"},
    ])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d, "purpose": "SCIENCE"}
                                            for d in range(1, 5)])
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": 20240101}])
    registry.insert_data_units("visit", [
        {"instrument": INSTRUMENT, "id": v, "physical_filter": "CC-r" if v < 3 else "CC-g",
         "day_obs": 20240101, "exposure_time": 30.0} for v in (1, 2, 3)
    ])
    for name, storage_class in (("summary", "StructuredDataDict"), ("catalog", "StructuredData"),
                                ("image", "NumpyArray"), ("composite", "ArrayWithMetadata")):
        registry.register_dataset_type(DatasetType(name, ("instrument", "visit", "detector"), storage_class))


def payload(visit: int, detector: int) -> dict[str, Any]:
    """A small deterministic dict for one DataId."""
    return {"visit": visit, "detector": detector, "mean": visit * 10.5 + detector, "ok": True,
            "label": f"v{visit}d{detector}"}


def data_id(visit: int, detector: int) -> dict[str, Any]:
    """The DataId of one visit and detector of the contract instrument."""
    return {"instrument": INSTRUMENT, "visit": visit, "detector": detector}


def stored_artifacts(butler: Butler, refs: list[DatasetRef]) -> list[StoredArtifact]:
    """The artifacts the registry records for ``refs``, in their order."""
    found = butler.registry.get_artifacts([r.id for r in refs])
    return [a for r in refs for a in found.get(r.id, [])]


class ButlerFixtures(Declaring):
    """The fixtures of every Butler contract group; subclass a group and provide ``make_butler``."""

    @pytest.fixture
    def make_butler(self) -> MakeButler:
        """Override: a callable returning a fresh, empty Butler (``run=``, ``collections=`` optional)."""
        pytest.fail("the adapter pair's test class must provide a make_butler fixture", pytrace=False)

    @pytest.fixture(autouse=True)
    def _undeclared_needs(self, request: pytest.FixtureRequest) -> None:
        """For a class that declares no capabilities: build the Butler first, to decide the test's marks."""
        if decided_when_built(request.node):
            request.getfixturevalue("butler")

    @pytest.fixture
    def butler(self, make_butler: MakeButler, request: pytest.FixtureRequest) -> Butler:
        """A fresh Butler writing to RUN, with the contract DataUnits and dataset types.

        The pair is checked against the class's declaration before any set-up data is written.
        """
        butler = make_butler(run=RUN)
        check_declared(request.node, Reported.of_pair(butler.registry, butler.datastore, from_yaml=bool(butler.root)))
        setup_units(butler)
        return butler

    @staticmethod
    def _artifacts(butler: Butler, refs: list[DatasetRef]) -> list[StoredArtifact]:
        return stored_artifacts(butler, refs)
