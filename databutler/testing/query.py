"""The query contract suite: query_data_ids, query_datasets, query_data_unit_records, select_sql, in topic groups.

An adapter plugs in like the Registry suite: subclass ``QueryContract`` (or only the groups it is
ready for), provide ``make_registry`` (or, faster, override ``populated`` with a registry already
holding the standard data of ``databutler.testing.data``) and declare ``capabilities``. Tests of a
capability the registry does not declare check that the call is refused with CapabilityError instead.

The groups and their modules (``query_support`` documents the fixtures and the scenario):

- ``QueryDataIdsContract`` (query_data_ids): data IDs, records, governors and typos (QUERIES).
- ``QueryDatasetsContract`` (query_datasets): datasets along search paths, ordering and counting (QUERIES).
- ``QueryJoinRulesContract`` (query_joins): relationships constrain, metadata-only join elements do not (QUERIES).
- ``QuerySqlContract`` (query_sql): read-only SQL over the documented views (SQL_SELECT), refusals.
- ``QuerySpatialContract`` (query_spatial): overlaps computed from regions, spatial where predicates (QUERIES).
"""

from __future__ import annotations

from .query_data_ids import QueryDataIdsContract
from .query_datasets import QueryDatasetsContract
from .query_joins import QueryJoinRulesContract
from .query_spatial import QuerySpatialContract
from .query_sql import QuerySqlContract
from .query_support import CAM1_VISITS, CAM2_VISITS, QueryFixtures, calexp_keys

GROUPS = (QueryDataIdsContract, QueryDatasetsContract, QueryJoinRulesContract, QuerySqlContract,
          QuerySpatialContract)
"""The topic groups of the query contract, in the order ``QueryContract`` runs them."""


class QueryContract(*GROUPS):  # type: ignore[misc]
    """What every Registry declaring QUERIES (and SQL_SELECT) must answer (every topic group)."""


__all__ = ["CAM1_VISITS", "CAM2_VISITS", "GROUPS", "QueryContract", "QueryDataIdsContract", "QueryDatasetsContract",
           "QueryFixtures", "QueryJoinRulesContract", "QuerySpatialContract", "QuerySqlContract", "calexp_keys"]
