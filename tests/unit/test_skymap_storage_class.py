"""The SkyMap StorageClass: lsst.skymap's sky maps, pickled as the reference stores them."""

from __future__ import annotations

import pickle
import sys
import types
import urllib.parse
from pathlib import Path

import pytest

from databutler import Butler, DatasetType
from databutler.domain.errors import StorageClassError


def fake_skymap_module(monkeypatch: pytest.MonkeyPatch) -> type:
    """A stand-in ``lsst.skymap.baseSkyMap`` module with a BaseSkyMap class (lsst.skymap is not a dependency)."""
    module = types.ModuleType("lsst.skymap.baseSkyMap")

    class BaseSkyMap:
        def __init__(self, tracts: int) -> None:
            self.tracts = tracts

        def __eq__(self, other: object) -> bool:
            return isinstance(other, BaseSkyMap) and other.tracts == self.tracts

        def __hash__(self) -> int:
            return hash(self.tracts)

    BaseSkyMap.__module__, BaseSkyMap.__qualname__ = module.__name__, "BaseSkyMap"
    module.BaseSkyMap = BaseSkyMap  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lsst.skymap", types.ModuleType("lsst.skymap"))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return BaseSkyMap


def test_a_sky_map_round_trips_and_other_objects_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sky_map_class = fake_skymap_module(monkeypatch)
    with Butler.create(tmp_path / "repo", run="skymaps") as butler:
        butler.registry.insert_data_units("skymap", [{"name": "discrete/ci_hsc", "hash": "ab12"}])
        butler.registry.register_dataset_type(DatasetType("skyMap", ("skymap",), "SkyMap"))
        ref = butler.put(sky_map_class(7), "skyMap", skymap="discrete/ci_hsc")
        assert butler.get(ref) == sky_map_class(7)
        stored = Path(urllib.parse.unquote(urllib.parse.urlparse(butler.uri(ref)).path))
        assert pickle.loads(stored.read_bytes()) == sky_map_class(7)  # a plain pickle, as the reference writes
        with pytest.raises(StorageClassError, match="SkyMap"):
            butler.put({"tracts": 7}, "skyMap", skymap="discrete/ci_hsc", run="other")
        assert butler.registry.query_collections("other") == []  # the refused put wrote nothing
