"""Lineage across the release boundary: a personal registry's datasets derived from a release's, and back.

The release (SQLite file, or PostgreSQL schema ``dr1``) holds ``raw -isr-> calexp`` with its
quantum; the personal registry over it derives ``src`` from the release calexp and a summary from
the src. Ancestors of the personal summary reach the release raw; descendants of the release raw
reach the personal summary; both through one recursive query over the union views.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from databutler.adapters.sql import Release, SqlRegistry
from databutler.domain import CollectionKind, DatasetRef, Quantum
from databutler.domain.lineage import Direction
from databutler.ports import Registry
from databutler.testing.data import insert_standard_data_units, standard_universe
from databutler.testing.postgres import PostgresServer
from databutler.testing.registry import CALEXP, RAW, calexp_id
from databutler.testing.registry_lineage import SRC, SUMMARY

RUN = CollectionKind.RUN


@attrs.frozen
class Crossing:
    """The personal registry and the refs and quanta of both layers."""

    personal: Registry
    refs: dict[str, DatasetRef]
    quanta: dict[str, Quantum]

    def id(self, name: str) -> uuid.UUID:
        return self.refs[name].id


def fill_release(release: Registry) -> tuple[dict[str, DatasetRef], Quantum]:
    """The release's raw and calexp, and the isr quantum between them."""
    insert_standard_data_units(release)
    release.register_dataset_type(RAW)
    release.register_dataset_type(CALEXP)
    release.register_collection("dr1/raw", RUN)
    release.register_collection("dr1/calexp", RUN)
    (raw,) = release.insert_datasets("raw", "dr1/raw", [{"instrument": "Cam1", "exposure": 101, "detector": 1}])
    (calexp,) = release.insert_datasets("calexp", "dr1/calexp", [calexp_id(1)])
    isr = Quantum("isr", "dr1/calexp", None, inputs=[raw.id], outputs=[calexp.id])
    release.insert_quanta([isr])
    return {"raw": raw, "calexp": calexp}, isr


def fill_personal(personal: Registry, refs: dict[str, DatasetRef], isr: Quantum) -> Crossing:
    """Personal src from the release calexp, and a summary from the src."""
    personal.register_dataset_type(SRC)
    personal.register_dataset_type(SUMMARY)
    personal.register_collection("u/alice/run", RUN)
    (src,) = personal.insert_datasets("src", "u/alice/run", [calexp_id(1)])
    (summary,) = personal.insert_datasets("visitSummary", "u/alice/run", [{"instrument": "Cam1", "visit": 1}])
    measure = Quantum("measure", "u/alice/run", None, inputs=[refs["calexp"].id], outputs=[src.id])
    summarize = Quantum("summarize", "u/alice/run", None, inputs=[src.id], outputs=[summary.id])
    personal.insert_quanta([measure, summarize])
    return Crossing(personal, {**refs, "src": src, "summary": summary},
                    {"isr": isr, "measure": measure, "summarize": summarize})


@pytest.fixture
def sqlite_crossing(tmp_path: Path) -> Iterator[Crossing]:
    release_path = tmp_path / "release.sqlite3"
    with SqlRegistry.create(f"sqlite:///{release_path}", standard_universe()) as release:
        refs, isr = fill_release(release)
    with SqlRegistry.create(f"sqlite:///{tmp_path / 'personal.sqlite3'}", standard_universe(),
                            release=Release(url=f"sqlite:///{release_path}")) as personal:
        yield fill_personal(personal, refs, isr)


@pytest.fixture
def postgres_crossing(postgres_server: PostgresServer) -> Iterator[Crossing]:
    database = postgres_server.create_database()
    url = postgres_server.url(database=database)
    try:
        with SqlRegistry.create(url, standard_universe(), namespace="dr1") as release:
            refs, isr = fill_release(release)
        with SqlRegistry.create(url, standard_universe(), namespace="personal",
                                release=Release(namespace="dr1")) as personal:
            yield fill_personal(personal, refs, isr)
    finally:
        postgres_server.drop_database(database)


@pytest.fixture(params=["sqlite_crossing", "postgres_crossing"])
def crossing(request: pytest.FixtureRequest) -> Crossing:
    found: Crossing = request.getfixturevalue(request.param)
    return found


def test_ancestors_of_a_personal_dataset_reach_into_the_release(crossing: Crossing) -> None:
    lineage = crossing.personal.lineage(crossing.id("summary"))
    assert lineage.depths == {crossing.id("summary"): 0, crossing.id("src"): 1, crossing.id("calexp"): 2,
                              crossing.id("raw"): 3}
    assert lineage.datasets[crossing.id("raw")] == crossing.refs["raw"]
    assert set(lineage.quanta.values()) == set(crossing.quanta.values())
    assert lineage.quanta[crossing.quanta["isr"].id].run == "dr1/calexp", "the release's own quantum"


def test_descendants_of_a_release_dataset_reach_into_the_personal_registry(crossing: Crossing) -> None:
    lineage = crossing.personal.lineage(crossing.id("raw"), direction=Direction.DOWN)
    assert lineage.depths == {crossing.id("raw"): 0, crossing.id("calexp"): 1, crossing.id("src"): 2,
                              crossing.id("summary"): 3}
    assert lineage.datasets[crossing.id("summary")] == crossing.refs["summary"]
    limited = crossing.personal.lineage(crossing.id("calexp"), direction="down", depth=1)
    assert set(limited.datasets) == {crossing.id("calexp"), crossing.id("src")}
    assert set(limited.quanta) == {crossing.quanta["measure"].id}


def test_the_provenance_of_a_run_of_either_layer(crossing: Crossing) -> None:
    mine = crossing.personal.run_provenance("u/alice/run")
    assert set(mine.quanta) == {crossing.quanta["measure"].id, crossing.quanta["summarize"].id}
    assert crossing.id("calexp") in mine.datasets, "a release input of a personal quantum"
    theirs = crossing.personal.run_provenance("dr1/calexp")
    assert set(theirs.quanta) == {crossing.quanta["isr"].id}
    assert set(theirs.datasets) == {crossing.id("raw"), crossing.id("calexp")}
