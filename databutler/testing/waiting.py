"""A call made in another thread while the test holds a lock it needs: that it waits, and how it ends."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Waiting"]


class Waiting:
    """``call`` started in a thread; after ``grace_s`` it must still be running (waiting for the caller's lock)."""

    def __init__(self, call: Callable[[], object], what: str, grace_s: float = 1.0) -> None:
        self._outcome: list[BaseException | None] = []
        self._thread = threading.Thread(target=self._run, args=(call,))
        self._thread.start()
        self._thread.join(timeout=grace_s)
        assert self._thread.is_alive(), f"{what} must wait for the lock the test holds"

    def _run(self, call: Callable[[], object]) -> None:
        try:
            call()
            self._outcome.append(None)
        except BaseException as err:  # reported to the test's thread by outcome()
            self._outcome.append(err)

    def outcome(self, timeout_s: float = 30) -> BaseException | None:
        """What the call raised once it finished (None if it returned)."""
        self._thread.join(timeout=timeout_s)
        assert len(self._outcome) == 1, f"the call did not finish within {timeout_s} s"
        return self._outcome[0]
