"""Directories under a datastore root opened one component at a time, never letting a link lead out.

Writes and deletions work relative to an open directory descriptor reached from the root by
``O_NOFOLLOW`` opens; a symbolic link met on the way is resolved by hand, component by
component, and refused if it leads outside the root. A directory swapped for a link after an
earlier check therefore cannot redirect a later write: there is no gap between checking a path
and using it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator

import attrs

from ...domain.errors import DatastoreError, PathTemplateError

_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_OPEN_ROOT = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
_MAX_LINKS = 40
"""Symbolic links followed in one path at most (the kernel's own limit)."""


@attrs.frozen
class Target:
    """A file name in an open directory of the root: where a write or deletion acts."""

    dir_fd: int
    name: str
    path: str
    """The absolute path, for messages only (never opened)."""


@attrs.define
class Chain:
    """Open descriptors from the root down to a directory, and the names they were opened by."""

    fds: list[int]
    names: list[str]
    """``names[i]`` is the entry of ``fds[i]`` that ``fds[i + 1]`` is."""
    linked: int = 0
    """How many leading descriptors were reached through a symbolic link (never pruned)."""

    @property
    def last(self) -> int:
        """The descriptor of the directory itself."""
        return self.fds[-1]


@contextlib.contextmanager
def open_chain(root: str, real_root: str, relative_dir: str, *, create: bool) -> Iterator[Chain]:
    """The directory ``relative_dir`` of ``root``, opened from the root one component at a time.

    With ``create`` missing directories are made; without it a missing one raises
    FileNotFoundError. A symbolic link inside the root is followed; one leading outside it raises
    PathTemplateError, and a file where a directory should be DatastoreError. The root itself
    may be reached by a link (``real_root`` is where it leads).
    """
    try:
        root_fd = os.open(root, _OPEN_ROOT)
    except FileNotFoundError:
        if not create:
            raise
        os.makedirs(root, exist_ok=True)
        root_fd = os.open(root, _OPEN_ROOT)
    chain = Chain([root_fd], [])
    try:
        _descend(chain, root, real_root, relative_dir.split("/") if relative_dir else [], create=create)
        yield chain
    finally:
        for fd in reversed(chain.fds):
            os.close(fd)


def _descend(chain: Chain, root: str, real_root: str, pending: list[str], *, create: bool) -> None:
    pending.reverse()  # a stack: the next component last
    links = 0
    while pending:
        name = pending.pop()
        if name in ("", "."):
            continue
        where = "/".join([root.rstrip("/"), *chain.names, name])
        if name == "..":
            if not chain.names:
                raise _outside(where, root)
            os.close(chain.fds.pop())
            chain.names.pop()
            chain.linked = min(chain.linked, len(chain.fds))
            continue
        parent = chain.last
        try:
            chain.fds.append(_open_or_make(name, parent, create=create))
            chain.names.append(name)
            continue
        except OSError as err:
            if err.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise
            mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode  # FileNotFoundError: retried
            if not stat.S_ISLNK(mode):
                raise DatastoreError(f"{where} is not a directory; the datastore needs a directory there "
                                     "(move the file away)") from None
        links += 1
        if links > _MAX_LINKS:
            raise DatastoreError(f"too many symbolic links under {where}")
        target = os.readlink(name, dir_fd=parent)
        if os.path.isabs(target):
            inside = _inside(os.path.normpath(target), root, real_root)
            if inside is None:
                raise _outside(where, root)
            while chain.names:  # restart from the root
                os.close(chain.fds.pop())
                chain.names.pop()
            target = inside
        parts = [part for part in target.split("/") if part not in ("", ".")]
        pending.extend(reversed(parts))
        chain.linked = max(chain.linked, len(chain.fds) + len(parts))  # the link's target: never pruned


def _open_or_make(name: str, parent: int, *, create: bool) -> int:
    """Open directory ``name`` of ``parent`` without following a link, making it first if missing and ``create``."""
    try:
        return os.open(name, _OPEN_DIR, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    with contextlib.suppress(FileExistsError):  # made meanwhile by a concurrent writer: as good
        os.mkdir(name, 0o777, dir_fd=parent)
    return os.open(name, _OPEN_DIR, dir_fd=parent)


def _inside(path: str, root: str, real_root: str) -> str | None:
    """``path`` relative to the root if it lies inside it, else None."""
    for prefix in {root.rstrip("/"), real_root.rstrip("/")}:
        if path == prefix:
            return ""
        if path.startswith(prefix + "/"):
            return path[len(prefix) + 1:]
    return None


def _outside(where: str, root: str) -> PathTemplateError:
    return PathTemplateError(f"{where} is a symbolic link leading outside the datastore root {root}; the "
                             "datastore never writes or deletes outside its root (replace the link by a real "
                             "directory)")


def prune(chain: Chain) -> None:
    """Remove the directories of ``chain`` while they are empty, deepest first, never the root or a link's target."""
    for depth in range(len(chain.names) - 1, max(chain.linked, 1) - 2, -1):
        try:
            os.rmdir(chain.names[depth], dir_fd=chain.fds[depth])
        except OSError:
            return


class DirectoryCache:
    """Directories opened for writing, by root-relative path, kept open so each is opened from the root once.

    A descriptor stays valid whatever later happens to the path (a link swapped in cannot redirect
    it). Within one batch a held descriptor is used as it is: a directory pruned meanwhile makes
    creating in it fail with FileNotFoundError, and the caller drops it and opens the path afresh.
    A descriptor held from an earlier batch is first checked to still be the directory its path
    names, by the path the kernel gives for the descriptor (one ``readlink`` of ``/proc/self/fd``,
    instead of opening every component from the root again): moved out and replaced by a link,
    pruned, or reached through a link inside the root, it is dropped and the path opened afresh.
    At most ``limit`` descriptors are held.
    """

    def __init__(self, limit: int = 64) -> None:
        self._fds: dict[str, int] = {}
        self._checked: set[str] = set()
        self._limit = limit

    def new_batch(self) -> None:
        """Start a batch: descriptors held from earlier ones are checked again before use."""
        self._checked.clear()

    def get(self, relative_dir: str, real_path: str) -> int | None:
        """The descriptor held for ``relative_dir`` if still the directory at ``real_path`` (no link on the way)."""
        fd = self._fds.get(relative_dir)
        if fd is None or relative_dir in self._checked:
            return fd
        if _where_open(fd) != real_path:
            self.drop(relative_dir)
            return None
        self._checked.add(relative_dir)
        return fd

    def keep(self, relative_dir: str, fd: int) -> None:
        """Hold a duplicate of ``fd`` as ``relative_dir`` (the oldest is closed beyond the limit)."""
        if relative_dir in self._fds or self._limit <= 0:
            return
        try:
            held = os.dup(fd)
        except OSError:
            return  # out of descriptors: the next write opens its directory from the root again
        if len(self._fds) >= self._limit:
            oldest = next(iter(self._fds))
            self._checked.discard(oldest)
            os.close(self._fds.pop(oldest))
        self._fds[relative_dir] = held
        self._checked.add(relative_dir)

    def drop(self, relative_dir: str) -> None:
        """Close and forget ``relative_dir``."""
        self._checked.discard(relative_dir)
        fd = self._fds.pop(relative_dir, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        """Close every held descriptor."""
        self._checked.clear()
        while self._fds:
            os.close(self._fds.popitem()[1])


def _where_open(fd: int) -> str | None:
    """The absolute path the kernel gives for open directory ``fd`` (no links in it), or None where it cannot."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None  # no /proc (not Linux): every batch opens its directories from the root again
