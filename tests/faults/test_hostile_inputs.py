"""Generated hostile input, DATABUTLER_FAULTS_EXAMPLES examples per kind: only databutler domain errors come out.

Kinds: where expressions, DataIds, DataUnit records, names, bind values (with limits and
orderings). Each example goes through the public API of a Butler on SQLite and POSIX files.
Every exception that is not a DataButlerError is collected (with the smallest input that raised
it), so one run reports all the distinct escapes rather than the first.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from databutler import Butler, DatasetType
from databutler.domain.collection import CollectionKind
from databutler.domain.errors import DataButlerError
from databutler.testing.data import insert_standard_data_units
from databutler.testing.registry import CALEXP

from . import strategies as hostile
from .conftest import EXAMPLES, SEED

pytestmark = pytest.mark.slow

RUN = "run1"
UNITS = list(CALEXP.units)
VALID = {"instrument": ["Cam1", "Cam2"], "visit": [1, 2, 3, 11], "detector": [1, 2, 4]}
"""Values of the standard data (databutler.testing.data) for each unit of a calexp."""
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))


class Escapes:
    """The non-domain exceptions seen, one per (type, place), with the smallest input that raised each."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], tuple[str, str]] = {}
        self.count = 0
        self.inputs = 0

    def run(self, call: Callable[[], Any], given_input: Any) -> None:
        """Call ``call``; a DataButlerError is fine, anything else is recorded."""
        self.inputs += 1
        try:
            call()
        except DataButlerError:
            pass
        except Exception as err:
            self.count += 1
            frame = err.__traceback__
            while frame is not None and frame.tb_next is not None:
                frame = frame.tb_next
            place = f"{frame.tb_frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.tb_lineno}" if frame else "?"
            key = (type(err).__name__, place)
            shown = repr(given_input)[:300]
            if key not in self.found or len(shown) < len(self.found[key][1]):
                self.found[key] = (str(err)[:200], shown)

    def report(self, figures: collections.Counter[str]) -> None:
        """Add to the suite's figures and fail if anything escaped."""
        figures["inputs_generated"] += self.inputs
        figures["non_domain_exceptions"] += self.count
        assert self.found == {}, "\n".join(f"{kind} at {place}: {message}\n    input: {shown}"
                                           for (kind, place), (message, shown) in sorted(self.found.items()))


@pytest.fixture(scope="module")
def butler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Butler]:
    """A Butler on SQLite and POSIX files with the standard DataUnits and a few calexps."""
    root = tmp_path_factory.mktemp("hostile") / "repo"
    with Butler.create(root, run=RUN, collections=[RUN]) as made:
        insert_standard_data_units(made.registry)
        made.registry.register_dataset_type(CALEXP)
        for visit in (1, 2):
            made.put({"visit": visit}, "calexp", instrument="Cam1", visit=visit, detector=1)
        yield made


def consume(results: Any) -> None:
    """Run a query to the end, and count it."""
    list(results)
    results.count()


def test_hostile_where_expressions(butler: Butler, figures: collections.Counter[str]) -> None:
    escapes = Escapes()
    registry = butler.registry

    @SETTINGS
    @seed(SEED)
    @given(where=hostile.where_expressions("instrument = 'Cam1'"), bind=hostile.BINDS, kind=st.integers(0, 2))
    def example(where: str, bind: Any, kind: int) -> None:
        queries = [lambda: registry.query_datasets("calexp", [RUN], where=where, bind=bind),
                   lambda: registry.query_data_ids(("visit", "patch"), where=where, bind=bind),
                   lambda: registry.query_data_unit_records("visit", where=where, bind=bind)]
        escapes.run(lambda: consume(queries[kind]()), (where, bind))

    example()
    escapes.report(figures)


def test_hostile_bind_values_limits_and_orderings(butler: Butler, figures: collections.Counter[str]) -> None:
    escapes = Escapes()
    registry = butler.registry
    templates = ["instrument = 'Cam1'", "instrument = :v", "instrument = 'Cam1' AND visit = :v",
                 "instrument = 'Cam1' AND visit IN (:v)", "visit.exposure_time > :v", "instrument = 'Cam1' AND "
                 "visit IN (:list)", "visit.timespan OVERLAPS :v", "band = :v", "visit.region OVERLAPS :v"]

    @SETTINGS
    @seed(SEED)
    @given(where=st.sampled_from(templates), bind=hostile.BINDS, limit=st.one_of(st.none(), hostile.integers()),
           offset=hostile.integers(), order=st.lists(hostile.names(), max_size=2))
    def example(where: str, bind: Any, limit: Any, offset: Any, order: list[Any]) -> None:
        def query() -> None:
            results = registry.query_data_unit_records("visit", where=where, bind=bind)
            if order:
                results = results.order_by(*order)
            if limit is not None:
                results = results.limit(limit, offset)
            consume(results)

        escapes.run(query, (where, bind, limit, offset, order))

    example()
    escapes.report(figures)


def test_hostile_data_ids(butler: Butler, figures: collections.Counter[str]) -> None:
    escapes = Escapes()
    registry = butler.registry

    @SETTINGS
    @seed(SEED)
    @given(data_id=hostile.data_ids(VALID), kind=st.integers(0, 3), kwargs=st.dictionaries(
        st.sampled_from(UNITS), hostile.SCALARS, max_size=1), content=hostile.TEXT)
    def example(data_id: Any, kind: int, kwargs: dict[str, Any], content: str) -> None:
        calls = [lambda: registry.find_datasets("calexp", [data_id], [RUN]),
                 lambda: registry.expand_data_ids(UNITS, [data_id]),
                 lambda: butler.get("calexp", data_id, **kwargs),
                 lambda: butler.put({"x": content}, "calexp", data_id, run=f"hostile/{uuid.uuid4().hex}", **kwargs)]
        escapes.run(calls[kind], (kind, data_id, kwargs, content))

    example()
    escapes.report(figures)


def test_hostile_data_unit_records(butler: Butler, figures: collections.Counter[str]) -> None:
    escapes = Escapes()
    registry = butler.registry
    numbers = iter(range(1000, 10**9))
    elements: dict[str, Callable[[int], dict[str, Any]]] = {
        "instrument": lambda n: {"name": f"Cam{n}", "visit_max": 100, "detector_max": 10, "class_name": "x.Y"},
        "detector": lambda n: {"instrument": "Cam1", "id": n, "full_name": f"S{n}", "purpose": "SCIENCE"},
        "physical_filter": lambda n: {"instrument": "Cam1", "name": f"Cam1-{n}", "band": "r"},
        "visit": lambda n: {"instrument": "Cam1", "id": n, "physical_filter": "Cam1-r", "day_obs": 20240101,
                            "exposure_time": 15.0, "name": f"v{n}"},
    }

    @SETTINGS
    @seed(SEED)
    @given(element=st.sampled_from([*elements, "bogus", "visit_detector_region"]), data=st.data(),
           skip=st.booleans())
    def example(element: str, data: st.DataObject, skip: bool) -> None:
        valid = elements.get(element, lambda n: {"instrument": "Cam1", "id": n})(next(numbers))
        record = data.draw(hostile.records(valid))
        escapes.run(lambda: registry.insert_data_units(element, [record], skip_existing=skip), (element, record))

    example()
    escapes.report(figures)


def test_hostile_names(butler: Butler, figures: collections.Counter[str]) -> None:
    escapes = Escapes()
    registry = butler.registry

    @SETTINGS
    @seed(SEED)
    @given(name=hostile.names(), kind=st.integers(0, 5), other=hostile.names())
    def example(name: Any, kind: int, other: Any) -> None:
        calls = [lambda: registry.register_dataset_type(DatasetType(name, ("instrument",), "StructuredData")),
                 lambda: registry.register_dataset_type(DatasetType("ok_" + uuid.uuid4().hex, (name,), other)),
                 lambda: registry.register_collection(name, CollectionKind.TAGGED, other),
                 lambda: registry.query_collections(name),
                 lambda: registry.get_dataset_type(name),
                 lambda: registry.find_datasets(name, [{"instrument": "Cam1"}], [other])]
        escapes.run(calls[kind], (kind, name, other))

    example()
    escapes.report(figures)


def test_the_escapes_report_names_each_distinct_escape_once(tmp_path: Path) -> None:
    escapes = Escapes()
    for value in ("long input", "x"):
        escapes.run(lambda: int("not a number"), value)
    escapes.run(lambda: (_ for _ in ()).throw(DataButlerError("fine")), "domain")
    assert escapes.count == 2 and escapes.inputs == 3
    ((kind, _),) = escapes.found
    assert kind == "ValueError" and escapes.found[next(iter(escapes.found))][1] == "'x'"
