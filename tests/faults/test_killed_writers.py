"""Writer processes killed with SIGKILL mid-write, in rounds, on SQLite and PostgreSQL: nothing acknowledged is lost.

Each round starts WRITERS processes that put and put_many onto overlapping DataIds of one run,
each logging what was acknowledged (put returned) and what was refused, then kills them all with
SIGKILL at random moments. Recovery is what a user does: reopen, find the orphans, remove them.
After every round:

- nothing acknowledged is lost: every acknowledged ref exists and reads back its own object;
- a put_many that raised stored none of its objects (all or none);
- no row without its file: ``verify`` is clean for every dataset of the run;
- no DataId has two winners;
- no orphan is left after ``remove_orphans``;
- no writer saw an exception that is not a databutler domain error.
"""

from __future__ import annotations

import collections
import contextlib
import json
import multiprocessing
import os
import random
import signal
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler
from databutler.domain.errors import ConflictingDefinitionError, DataButlerError
from databutler.testing.bulk import BULK_TYPE, bulk_data_ids, insert_bulk_data_units
from databutler.testing.postgres import PostgresServer

from .conftest import ROUNDS, SEED, WRITERS

pytestmark = pytest.mark.slow

VISITS, DETECTORS = 40, 4
POOL = bulk_data_ids(range(VISITS), range(DETECTORS))
"""The DataIds every writer of a round competes for."""
PASSWORD_VARIABLE = "DATABUTLER_FAULTS_PGPASSWORD"
_CONTEXT = multiprocessing.get_context("fork")


def _log(fd: int, entry: dict[str, Any]) -> None:
    os.write(fd, (json.dumps(entry) + "\n").encode())  # one write per line: a kill leaves at most a partial last line


def _writer(root: str, run: str, worker: int, seed: int, log_path: str) -> None:
    """Open a Butler, wait for the go, then put onto random DataIds of POOL until killed, logging what happened."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    rng = random.Random(seed)
    try:
        butler = Butler(root, run=run)
    except BaseException:
        _log(fd, {"fatal": traceback.format_exc()[-2000:]})
        os._exit(1)
    _log(fd, {"ready": worker})
    go = os.path.join(os.path.dirname(log_path), f"{run}.go")
    deadline = time.monotonic() + 120  # never outlive a test that failed to kill it
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.005)
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        chosen = rng.sample(POOL, rng.choice([1, 1, 2, 3, 5]))
        tokens = [f"{worker}.{attempt}.{i}" for i in range(len(chosen))]
        items = [({"token": token, "worker": worker}, BULK_TYPE.name, data_id)
                 for token, data_id in zip(tokens, chosen, strict=True)]
        try:
            single = len(items) == 1 and rng.random() < 0.5
            refs = [butler.put(*items[0])] if single else butler.put_many(items)
        except ConflictingDefinitionError:
            _log(fd, {"refused": tokens})
            continue
        except DataButlerError as err:
            _log(fd, {"refused": tokens, "domain_error": f"{type(err).__name__}: {err}"[:300]})
            continue
        except Exception as err:  # what the suite exists to find
            _log(fd, {"refused": tokens, "non_domain": f"{type(err).__name__}: {err}"[:300]})
            continue
        _log(fd, {"acknowledged": [[str(ref.id), token] for ref, token in zip(refs, tokens, strict=True)]})
    os._exit(0)


def _read_log(path: Path) -> list[dict[str, Any]]:
    entries = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):  # the line a kill cut short: its write was never acknowledged
            entries.append(json.loads(line))
    return entries


def _run_round(root: Path, run: str, round_number: int, logs: Path) -> list[Path]:
    """Start WRITERS writers, kill each at a random moment once all are writing; return their logs."""
    rng = random.Random(SEED * 1_000_003 + round_number)
    paths = [logs / f"{run}-{w}.jsonl" for w in range(WRITERS)]
    processes = [_CONTEXT.Process(target=_writer, args=(str(root), run, w, rng.randrange(2**32), str(path)))
                 for w, path in enumerate(paths)]
    for process in processes:
        process.start()
    try:
        deadline = time.monotonic() + 120
        while not all(path.exists() and b'"ready"' in path.read_bytes() for path in paths):
            fatal = [entry["fatal"] for path in paths if path.exists()
                     for entry in _read_log(path) if "fatal" in entry]
            assert not fatal, fatal[0]
            assert time.monotonic() < deadline, "the writers did not start"
            time.sleep(0.02)
        (logs / f"{run}.go").touch()  # all at once, so none is starved of the lock while opening
        window = rng.uniform(0.3, 2.5)
        start = time.monotonic()
        for kill_at, process in sorted((rng.uniform(0.05, window), p) for p in processes):
            time.sleep(max(0.0, start + kill_at - time.monotonic()))
            assert process.pid is not None
            os.kill(process.pid, signal.SIGKILL)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join(timeout=30)
    return paths


def _check_after_recovery(root: Path, run: str, logs: list[Path], figures: collections.Counter[str]) -> None:
    entries = [entry for path in logs for entry in _read_log(path)]
    acknowledged = {token: ref_id for entry in entries for ref_id, token in entry.get("acknowledged", [])}
    refused = {token for entry in entries for token in entry.get("refused", [])}
    non_domain = [entry["non_domain"] for entry in entries if "non_domain" in entry]
    figures["writes_refused_with_a_domain_error"] += len([e for e in entries if "domain_error" in e])
    figures["acknowledged_writes"] += len(acknowledged)
    figures["non_domain_exceptions"] += len(non_domain)
    with Butler(root, collections=[run]) as butler:
        orphans = butler.find_orphans(older_than_s=0)
        figures["orphans_found_after_kills"] += len(orphans)
        butler.remove_orphans(orphans)
        left = butler.find_orphans(older_than_s=0)
        figures["orphans_left_after_recovery"] += len(left)
        refs = butler.registry.datasets_in_collection(run)
        problems = butler.verify(refs)
        stored = {butler.get(ref)["token"]: str(ref.id) for ref in refs if ref.id not in problems}
    lost = {token: ref_id for token, ref_id in acknowledged.items() if stored.get(token) != ref_id}
    figures["data_lost"] += len(lost)
    winners = collections.Counter(tuple(sorted(dict(ref.data_id).items())) for ref in refs)
    assert non_domain == [], non_domain[:5]
    assert lost == {}, f"{len(lost)} acknowledged writes lost"
    assert problems == {}, list(problems.values())[:5]  # no row without its (intact) file
    assert [key for key, count in winners.items() if count > 1] == []  # no DataId with two winners
    assert sorted(refused & set(stored)) == []  # a put_many that raised stored none of its objects
    assert left == []


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with the bulk DataUnits, on the SQLite default or on the throwaway PostgreSQL cluster."""
    config: dict[str, Any] | None = None
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        schema: str = request.getfixturevalue("postgres_schema")
        monkeypatch.setenv(PASSWORD_VARIABLE, server.password)
        url = f"postgresql://{server.user}:${{{PASSWORD_VARIABLE}}}@{server.host}:{server.port}/{server.database}"
        config = {"registry": {"adapter": "sql", "url": url, "namespace": schema}}
    root = tmp_path / "repo"
    with Butler.create(root, config=config) as butler:
        insert_bulk_data_units(butler.registry, visits=VISITS, detectors=DETECTORS)
    return root


def test_writers_killed_mid_write_lose_nothing_acknowledged_and_leave_nothing_behind(
        repo: Path, tmp_path: Path, figures: collections.Counter[str]) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for round_number in range(ROUNDS):
        run = f"round{round_number}"
        paths = _run_round(repo, run, round_number, logs)
        figures["kills"] += len(paths)
        _check_after_recovery(repo, run, paths, figures)
