"""Faults injected under a put or a get: a full disk, read-only directories, EIO from the OS, damaged files.

Real faults where this machine can make them (a full SQLite database through ``max_page_count``,
a size limit on files through RLIMIT_FSIZE, directories made read-only), OS calls failing with
EIO where it cannot. After each fault, what must still be true:

- the failing call raised a databutler domain error, nothing else;
- no registry row for what failed, and no file without its row (no orphan, without any clean-up);
- what was stored before reads back intact (``verify`` is clean);
- once the fault is gone, the same Butler puts and gets again, the same DataId included.
"""

from __future__ import annotations

import collections
import errno
import multiprocessing
import os
import pwd
import resource
import shutil
import signal
import stat
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler
from databutler.domain.errors import DataButlerError, FileIntegrityError
from databutler.testing.bulk import BULK_TYPE, bulk_data_ids, insert_bulk_data_units

pytestmark = pytest.mark.slow

RUN = "faults"
EARLIER = bulk_data_ids(range(2), range(4))
"""What is stored before every fault (8 datasets) and must read back intact afterwards."""
VICTIM = {"instrument": "BulkCam", "visit": 5, "detector": 0}
"""The DataId the failing put writes, and the put after the fault writes again."""
VISITS = 400
"""Visits 6 and up are there to fill a database that may not grow."""
_CONTEXT = multiprocessing.get_context("fork")


def payload(data_id: dict[str, Any]) -> dict[str, Any]:
    """The object stored for ``data_id``: big enough to take several pages."""
    return {"data_id": data_id, "pixels": list(range(2000))}


@pytest.fixture
def repo() -> Iterator[Path]:
    """A repository (SQLite, POSIX with fsync) holding EARLIER, in a directory any user may enter."""
    base = Path(tempfile.mkdtemp(prefix="databutler-faults-"))
    base.chmod(0o755)  # a writer running as another user (read-only directory faults) must reach it
    root = base / "repo"
    config = {"datastore": {"adapter": "posix", "root": "{root}/datasets", "fsync": True}}
    with Butler.create(root, config=config, run=RUN) as butler:
        insert_bulk_data_units(butler.registry, visits=VISITS, detectors=4)
        butler.put_many([(payload(d), BULK_TYPE.name, d) for d in EARLIER])
    yield root
    shutil.rmtree(base, ignore_errors=True)


def check_afterwards(root: Path, error: BaseException | None, figures: collections.Counter[str], *,
                     victim: dict[str, Any] = VICTIM) -> None:
    """What must be true after a put failed under a fault, and after the fault is gone."""
    figures["faults_injected"] += 1
    if error is not None and not isinstance(error, DataButlerError):
        figures["non_domain_exceptions"] += 1
    assert error is not None, "the put under the fault did not fail"
    assert isinstance(error, DataButlerError), f"{type(error).__name__}: {error}"
    with Butler(root, run=RUN, collections=[RUN]) as butler:
        assert butler.find_dataset(BULK_TYPE.name, victim) is None  # no row for what failed
        orphans = butler.find_orphans(older_than_s=0)
        figures["orphans_left_by_failed_puts"] += len(orphans)
        assert [o.uri for o in orphans] == []  # no file without its row, with no clean-up run
        earlier = [butler.find_dataset(BULK_TYPE.name, d) for d in EARLIER]
        assert None not in earlier
        refs = [ref for ref in earlier if ref is not None]
        assert butler.verify(refs) == {}
        lost = [d for d, ref in zip(EARLIER, refs, strict=True) if butler.get(ref) != payload(d)]
        figures["data_lost"] += len(lost)
        assert lost == []


def put_victim(butler: Butler, victim: dict[str, Any] = VICTIM) -> BaseException | None:
    """Put ``victim``; the exception it raised, or None."""
    try:
        butler.put(payload(victim), BULK_TYPE.name, victim)
    except Exception as err:
        return err
    return None


def put_and_get_again(butler: Butler, victim: dict[str, Any] = VICTIM) -> None:
    """Once the fault is gone, the same Butler stores ``victim`` and reads it back."""
    ref = butler.put(payload(victim), BULK_TYPE.name, victim)
    assert butler.get(ref) == payload(victim)
    assert butler.verify([ref]) == {}


def in_child(work: Callable[[], None], *, user: str | None = None) -> None:
    """Run ``work`` in a forked process (as OS ``user`` if given); re-raise what failed there."""
    results = _CONTEXT.Queue()

    def child() -> None:
        try:
            if user is not None:
                entry = pwd.getpwnam(user)
                os.setgroups([])
                os.setgid(entry.pw_gid)
                os.setuid(entry.pw_uid)
            work()
            results.put(None)
        except BaseException:
            results.put(traceback.format_exc())

    process = _CONTEXT.Process(target=child)
    process.start()
    outcome = results.get(timeout=120)
    process.join(timeout=60)
    assert outcome is None, outcome


# -- a full disk ----------------------------------------------------------------------------------


def _sqlite_connection(butler: Butler) -> Any:
    """The DB-API connection of the Butler's SQLite registry (a backdoor: no port sets page limits)."""
    return butler.registry._session._connection.connection.dbapi_connection  # type: ignore[attr-defined]


def test_a_full_registry_database_fails_the_put_cleanly_and_recovers_by_itself(
        repo: Path, figures: collections.Counter[str]) -> None:
    with Butler(repo, run=RUN) as butler:
        connection = _sqlite_connection(butler)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: full
        error = victim = None
        for visit in range(6, VISITS):  # puts succeed while the pages have room
            victim = {"instrument": "BulkCam", "visit": visit, "detector": 0}
            error = put_victim(butler, victim)
            if error is not None:
                break
        assert victim is not None
        connection = _sqlite_connection(butler)
        connection.execute("PRAGMA max_page_count = 1073741823")  # space freed
        check_afterwards(repo, error, figures, victim=victim)
        put_and_get_again(butler, victim)


def test_a_file_size_limit_fails_the_put_cleanly_and_recovers_by_itself(
        repo: Path, figures: collections.Counter[str]) -> None:
    def work() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        with Butler(repo, run=RUN) as butler:
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1024, hard))
            error = put_victim(butler)
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            check_afterwards(repo, error, collections.Counter())
            put_and_get_again(butler)

    in_child(work)
    figures["faults_injected"] += 1


def test_a_full_disk_at_the_registry_commit_fails_the_put_cleanly_and_recovers_by_itself(
        repo: Path, figures: collections.Counter[str]) -> None:
    small = {"tiny": True}

    def work() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        with Butler(repo, run=RUN) as butler:
            _sqlite_connection(butler).execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL starts empty
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (2048, hard))  # room for the file, not for a WAL frame
            try:
                butler.put(small, BULK_TYPE.name, VICTIM)
                error: BaseException | None = None
            except Exception as err:
                error = err
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space freed
            assert isinstance(error, DataButlerError), repr(error)
            assert butler.find_dataset(BULK_TYPE.name, VICTIM, collections=[RUN]) is None
            assert butler.find_orphans(older_than_s=0) == []
            ref = butler.put(small, BULK_TYPE.name, VICTIM)  # the same Butler, without reopening
            assert butler.get(ref) == small

    figures["faults_injected"] += 1
    in_child(work)


# -- a read-only directory ------------------------------------------------------------------------


def test_a_read_only_directory_fails_the_put_cleanly_and_recovers_once_writable(
        repo: Path, figures: collections.Counter[str]) -> None:
    user = None
    if os.geteuid() == 0:  # root ignores permissions: write as another user
        user = "nobody"
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            pytest.skip("running as root and there is no 'nobody' user to write as (root ignores permissions)")
        for directory, _, files in os.walk(repo):
            for name in [directory, *(os.path.join(directory, f) for f in files)]:
                os.chown(name, entry.pw_uid, entry.pw_gid)
    datasets = repo / "datasets"

    def set_mode(mode: int) -> None:
        for directory in (datasets, *datasets.rglob("*")):
            if directory.is_dir():
                directory.chmod(mode)

    def work() -> None:
        with Butler(repo, run=RUN) as butler:
            set_mode(0o555)
            try:
                error = put_victim(butler)
            finally:
                set_mode(0o755)
            check_afterwards(repo, error, collections.Counter())
            put_and_get_again(butler)

    in_child(work, user=user)
    figures["faults_injected"] += 1


# -- EIO from the operating system --------------------------------------------------------------


def _is_directory(fd: int) -> bool:
    return stat.S_ISDIR(os.fstat(fd).st_mode)


FAILING_CALLS: dict[str, tuple[str, Callable[..., bool]]] = {
    "fsync of the new file": ("fsync", lambda fd: not _is_directory(fd)),
    "fsync of the directory after publishing": ("fsync", _is_directory),
    "link of the temporary file to its name": ("link", lambda *args, **kwargs: True),
    "unlink of the temporary file after linking": ("unlink", lambda path, *args, **kwargs: ".tmp" in str(path)),
    "rename where there are no hard links": ("replace", lambda *args, **kwargs: True),
}


@pytest.mark.parametrize("failing", FAILING_CALLS)
def test_eio_from_the_os_fails_the_put_cleanly_and_the_next_put_succeeds(
        repo: Path, figures: collections.Counter[str], monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    name, matches = FAILING_CALLS[failing]
    real = getattr(os, name)
    real_link = os.link
    calls = collections.Counter[str]()

    def failing_call(*args: Any, **kwargs: Any) -> Any:
        if calls["failed"] == 0 and matches(*args, **kwargs):
            calls["failed"] += 1
            raise OSError(errno.EIO, "Input/output error (injected)")
        return real(*args, **kwargs)

    def no_hard_links(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EPERM, "Operation not permitted (no hard links here)")

    with Butler(repo, run=RUN) as butler:
        monkeypatch.setattr(os, name, failing_call)
        if name == "replace":
            monkeypatch.setattr(os, "link", no_hard_links)
        error = put_victim(butler)
        monkeypatch.undo()
        assert os.link is real_link
        assert calls["failed"] == 1, f"os.{name} was never called as expected"
        check_afterwards(repo, error, figures)
        put_and_get_again(butler)


# -- damaged files ------------------------------------------------------------------------------


def flipped(data: bytes) -> bytes:
    """``data`` with one bit of its middle byte changed."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x20]) + data[middle + 1:]


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:-7]),
    "a byte flipped": lambda path: path.write_bytes(flipped(path.read_bytes())),
    "emptied": lambda path: path.write_bytes(b""),
    "grown": lambda path: path.write_bytes(path.read_bytes() + b" "),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_file_is_refused_on_get_and_reported_by_verify_while_the_rest_reads(
        repo: Path, figures: collections.Counter[str], damage: str) -> None:
    with Butler(repo, run=RUN, collections=[RUN]) as butler:
        refs = [butler.find_dataset(BULK_TYPE.name, d) for d in EARLIER]
        victim, *others = [ref for ref in refs if ref is not None]
        path = Path(butler.uri(victim).removeprefix("file://"))
        DAMAGE[damage](path)
        figures["faults_injected"] += 1
        with pytest.raises(FileIntegrityError):
            butler.get(victim)
        assert list(butler.verify(refs)) == [victim.id]
        assert [butler.get(ref) for ref in others] == [payload(dict(ref.data_id)) for ref in others]
