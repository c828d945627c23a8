"""The universe's skypix and topology sections: parsed, validated, round-tripped; absent means no spatial joins."""

from __future__ import annotations

from typing import Any

import pytest

from databutler.config.universe import default_universe
from databutler.domain.errors import UniverseError
from databutler.domain.topology import SkyPixUnit
from databutler.domain.universe import Universe


def _with(**sections: Any) -> dict[str, Any]:
    data = default_universe().to_mapping()
    data.pop("skypix", None)
    data.pop("topology", None)
    data.update(sections)
    return data


def test_the_default_universe_has_the_references_skypix_and_families() -> None:
    topology = default_universe().topology
    assert topology.common == SkyPixUnit("htm", 7)
    assert {s.name: s.max_level for s in topology.systems} == {"htm": 24, "healpix": 17}
    assert dict(topology.spatial) == {"observation_regions": ("visit_detector_region", "visit"),
                                      "skymap_regions": ("patch", "tract")}
    assert topology.skypix("htm7") == SkyPixUnit("htm", 7)
    assert topology.skypix("healpix17") is not None
    assert topology.skypix("htm25") is None and topology.skypix("q3c3") is None and topology.skypix("visit") is None


def test_the_sections_round_trip_through_to_mapping() -> None:
    universe = default_universe()
    again = Universe.from_mapping(universe.to_mapping())
    assert again == universe and again.topology == universe.topology


def test_a_universe_without_the_sections_has_no_spatial_relations_and_differs() -> None:
    old = Universe.from_mapping(_with())
    assert not old.topology.has_spatial
    assert "skypix" not in old.to_mapping() and "topology" not in old.to_mapping()
    assert old != default_universe()


@pytest.mark.parametrize(("sections", "message"), [
    ({"skypix": {"common": "htm7", "htm": {"max_level": 24}, "s2": {"max_level": 30}}}, "'s2' is not one of"),
    ({"skypix": {"common": "htm30", "htm": {"max_level": 24}}}, "'common' 'htm30'"),
    ({"skypix": {"htm": {"max_level": "deep"}}}, "integer 'max_level'"),
    ({"skypix": {"htm": {"max_level": 24, "class": "my.Pixelization"}}}, "must be lsst.sphgeom.HtmPixelization"),
    ({"topology": {"spatial": {"f": ["visit"]}}}, "needs a 'skypix.common'"),
    ({"skypix": {"common": "htm7", "htm": {"max_level": 24}}, "topology": {"spatial": {"f": ["nope"]}}},
     "'nope', which is not an element"),
    ({"skypix": {"common": "htm7", "htm": {"max_level": 24}}, "topology": {"spatial": {"f": ["instrument"]}}},
     "has no 'region' field"),
    ({"skypix": {"common": "htm7", "htm": {"max_level": 24}},
      "topology": {"spatial": {"a": ["visit"], "b": ["visit", "patch"]}}}, "in two families"),
    ({"topology": {"spatial": {"f": "visit"}, "weird": {}}}, "'topology' must be a mapping"),
])
def test_bad_sections_are_refused_by_name(sections: dict[str, Any], message: str) -> None:
    with pytest.raises(UniverseError, match=message):
        Universe.from_mapping(_with(**sections))
