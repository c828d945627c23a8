"""The SQL schema generated from a universe, and the translation of driver errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from databutler.adapters.sql.errors import translate, translated
from databutler.adapters.sql.schema import build_schema
from databutler.config.universe import default_universe
from databutler.domain import ConflictingDefinitionError, RegistryError, Universe, UniverseError
from databutler.testing.data import standard_universe


def foreign_keys(table: sa.Table) -> set[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    return {(tuple(fk.column_keys), fk.referred_table.name, tuple(e.column.name for e in fk.elements))
            for fk in table.foreign_key_constraints}


def test_unit_tables_have_their_key_fields_as_primary_key_and_point_at_required_and_implied_units() -> None:
    schema = build_schema(default_universe())
    visit = schema.elements["visit"]
    assert [c.name for c in visit.primary_key.columns] == ["instrument", "id"]
    assert foreign_keys(visit) == {(("instrument",), "instrument", ("name",)),
                                   (("instrument", "physical_filter"), "physical_filter", ("instrument", "name")),
                                   (("instrument", "day_obs"), "day_obs", ("instrument", "id"))}
    assert {"timespan_begin", "timespan_end", "region"} <= set(visit.c.keys())
    patch = schema.elements["patch"]
    assert [c.name for c in patch.primary_key.columns] == ["skymap", "tract", "id"]
    assert (("skymap", "tract"), "tract", ("skymap", "id")) in foreign_keys(patch)


def test_join_element_tables_point_at_the_units_they_join() -> None:
    overlap = build_schema(standard_universe()).elements["visit_patch_overlap"]
    assert [c.name for c in overlap.primary_key.columns] == ["instrument", "visit", "skymap", "tract", "patch"]
    assert foreign_keys(overlap) == {(("instrument", "visit"), "visit", ("instrument", "id")),
                                     (("skymap", "tract", "patch"), "patch", ("skymap", "tract", "id"))}


def test_alternate_keys_are_unique_constraints_within_the_parents() -> None:
    schema = build_schema(default_universe())
    unique = {(t.name, tuple(c.name for c in uc.columns)) for t in schema.elements.values()
              for uc in t.constraints if isinstance(uc, sa.UniqueConstraint)}
    assert unique == {("detector", ("instrument", "full_name")), ("visit", ("instrument", "name")),
                      ("exposure", ("instrument", "obs_id")), ("visit_system", ("instrument", "name")),
                      ("skymap", ("hash",))}


def test_dataset_table_has_a_column_per_unit_and_provenance_has_no_foreign_key_to_it() -> None:
    universe = default_universe()
    schema = build_schema(universe)
    assert {u.name for u in universe.units} <= set(schema.dataset.c.keys())
    assert all(schema.dataset.c[u.name].nullable for u in universe.units)
    assert {uc.name for uc in schema.dataset.constraints if isinstance(uc, sa.UniqueConstraint)} == {
        "uq_dataset_type_run_data_id"}
    for table in (schema.quantum_input, schema.quantum_output):
        assert {fk.referred_table.name for fk in table.foreign_key_constraints} == {"quantum"}


def test_a_namespace_puts_every_table_in_that_schema() -> None:
    schema = build_schema(default_universe(), "butler")
    assert {t.schema for t in schema.metadata.sorted_tables} == {"butler"}


def test_element_names_that_clash_with_registry_tables_are_refused() -> None:
    clashing = Universe.from_mapping({"elements": {"dataset": {"key": {"name": "id", "type": "int"}}}})
    with pytest.raises(UniverseError, match="dataset"):
        build_schema(clashing)
    clashing_unit = Universe.from_mapping({"elements": {"run_id": {"key": {"name": "id", "type": "int"}}}})
    with pytest.raises(UniverseError, match="run_id"):
        build_schema(clashing_unit)


def test_integrity_errors_become_conflicts_and_other_driver_errors_registry_errors() -> None:
    integrity = sa.exc.IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed: dataset.id"))
    conflict = translate(integrity, "insert datasets")
    assert isinstance(conflict, ConflictingDefinitionError)
    assert "UNIQUE constraint failed" in str(conflict) and "INSERT" not in str(conflict)
    locked = translate(sa.exc.OperationalError("BEGIN", {}, Exception("database is locked")), "insert")
    assert isinstance(locked, RegistryError) and "busy_timeout_s" in str(locked)
    with pytest.raises(RegistryError, match="cannot do it"), translated("do it"):
        raise sa.exc.ResourceClosedError("closed")


def test_a_server_refusing_connections_is_a_registry_error_that_says_why_and_what_to_do() -> None:
    refused = translate(sa.exc.OperationalError("connect", {}, Exception("FATAL:  sorry, too many clients already")),
                        "find datasets")
    assert isinstance(refused, RegistryError)
    assert "refused a new connection" in str(refused) and "max_connections" in str(refused)
    exhausted = translate(sa.exc.TimeoutError("QueuePool limit of size 2 overflow 2 reached"), "query datasets")
    assert "connections of this registry stayed busy" in str(exhausted)
