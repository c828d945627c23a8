"""The query contract, topic group. Join rules: relationships constrain, metadata elements do not.

A join element declared ``always_join`` (visit_definition, visit_system_membership) defines a
relationship: a query naming its DataUnits returns only the combinations it holds. One that only
holds metadata (visit_detector_region) is joined only when the query reads its records, so a
visit without region records still pairs with every detector of its instrument, as the
reference system answers.

The scenario adds to the standard data a Cam1 visit 5 (exposure 105) that has a region record
for detector 1 only, no visit_definition record, and a visit system 0 that holds visit 1.
Adopt it alone by subclassing ``QueryJoinRulesContract``; ``QueryContract`` includes it.
"""

from __future__ import annotations

import pytest
from lsst import sphgeom

from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import DETECTORS, VISITS
from .query_support import QueryFixtures
from .requirements import requires

NEW_VISIT, NEW_EXPOSURE, REGION_DETECTOR = 5, 105, 1
REGION = sphgeom.Box.fromDegrees(200.0, -10.0, 201.0, -9.0)
"""Visit 5's one region record: far from every patch of the standard data, so it overlaps none."""


class QueryJoinRulesContract(QueryFixtures):
    """Join rules of the query contract."""

    @pytest.fixture
    def joined(self, queried: Registry) -> Registry:
        """The scenario plus visit 5 (one region record, no definition) and visit system 0 holding visit 1."""
        common = {"instrument": "Cam1", "physical_filter": "Cam1-g", "day_obs": 20240101}
        queried.insert_data_units("exposure", [{**common, "id": NEW_EXPOSURE, "obs_id": "Cam1_105"}])
        queried.insert_data_units("visit", [{**common, "id": NEW_VISIT, "name": "visit5"}])
        queried.insert_data_units("visit_detector_region", [{"instrument": "Cam1", "visit": NEW_VISIT,
                                                             "detector": REGION_DETECTOR, "region": REGION}])
        queried.insert_data_units("visit_system", [{"instrument": "Cam1", "id": 0, "name": "one-to-one"}])
        queried.insert_data_units("visit_system_membership", [{"instrument": "Cam1", "visit": 1, "visit_system": 0}])
        return queried

    @requires(RegistryCapability.QUERIES)
    def test_visits_pair_with_every_detector_whatever_region_records_exist(self, joined: Registry) -> None:
        found = joined.query_data_ids(("visit", "detector"), where="instrument = 'Cam1' AND visit = 5")
        assert sorted(d["detector"] for d in found) == list(DETECTORS)
        everything = joined.query_data_ids(("visit", "detector"))
        assert everything.count() == (len(VISITS) + 1) * len(DETECTORS)

    @requires(RegistryCapability.QUERIES)
    def test_records_filtered_by_a_visit_keep_every_detector(self, joined: Registry) -> None:
        detectors = joined.query_data_unit_records("detector", where="instrument = 'Cam1' AND visit = 5")
        assert sorted(r["id"] for r in detectors) == list(DETECTORS)

    @requires(RegistryCapability.QUERIES)
    def test_a_metadata_element_constrains_when_its_fields_are_read(self, joined: Registry) -> None:
        found = joined.query_data_ids(("visit", "detector"), where="instrument = 'Cam1' AND visit = 5 AND "
                                      "visit_detector_region.region IS NOT NULL")
        assert [d["detector"] for d in found] == [REGION_DETECTOR]
        records = joined.query_data_unit_records("visit_detector_region", where="instrument = 'Cam1' AND visit = 5")
        assert [(r["detector"], r["region"]) for r in records] == [(REGION_DETECTOR, REGION)]

    @requires(RegistryCapability.QUERIES)
    def test_relationships_always_constrain(self, joined: Registry) -> None:
        undefined = joined.query_data_ids(("exposure", "visit"), where="instrument = 'Cam1' AND visit = 5")
        assert undefined.count() == 0
        defined = joined.query_data_ids(("exposure", "visit"), where="instrument = 'Cam1'")
        assert sorted((d["exposure"], d["visit"]) for d in defined) == sorted(
            (info["exposure"], v) for (i, v), info in VISITS.items() if i == "Cam1")
        members = joined.query_data_ids(("visit", "visit_system"), where="instrument = 'Cam1'")
        assert [(d["visit"], d["visit_system"]) for d in members] == [(1, 0)]

    @requires(RegistryCapability.QUERIES)
    def test_alternate_keys_select_in_where(self, joined: Registry) -> None:
        by_name = joined.query_data_ids("visit", where="instrument = 'Cam1' AND visit.name = 'visit5'")
        assert [d["visit"] for d in by_name] == [NEW_VISIT]
        by_obs_id = joined.query_data_ids(("exposure", "detector"), where="exposure.obs_id = 'Cam1_105' AND "
                                          "detector.full_name = 'S01'")
        assert [(d["exposure"], d["detector"]) for d in by_obs_id] == [(NEW_EXPOSURE, 2)]

    @requires(RegistryCapability.QUERIES)
    def test_exposures_pair_with_every_detector(self, joined: Registry) -> None:
        found = joined.query_data_ids(("exposure", "detector"), where="instrument = 'Cam1' AND exposure = 105")
        assert sorted(d["detector"] for d in found) == list(DETECTORS)
