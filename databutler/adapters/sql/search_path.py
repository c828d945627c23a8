"""A resolved collection search path, with the id lists every search through it needs computed once."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ...domain.collection import CollectionKind

if TYPE_CHECKING:
    from .collections import CollectionRecord

__all__ = ["SearchPath"]


class SearchPath(tuple["CollectionRecord", ...]):
    """RUN, TAGGED and CALIBRATION collections in search order, chains expanded.

    A chain of thousands of runs is resolved once and searched many times: listing its run ids,
    or ranking them, on every search cost more than the search itself. The registry remembers
    the path (with the chain version it was resolved at), so these are computed once per path.
    Treat the lists as read-only.
    """

    chain_id: int | None = None
    """The chain this path is, when a statement may search it through ``chain_search`` (see ``chain_search``)."""

    @functools.cached_property
    def ids(self) -> list[int]:
        """Every collection's id, in search order."""
        return [r.id for r in self]

    @functools.cached_property
    def run_ids(self) -> list[int]:
        """The RUN collections' ids, in search order."""
        return [r.id for r in self if r.kind is CollectionKind.RUN]

    @functools.cached_property
    def tagged_ids(self) -> list[int]:
        """The TAGGED collections' ids, in search order."""
        return [r.id for r in self if r.kind is CollectionKind.TAGGED]

    @functools.cached_property
    def calibration_ids(self) -> list[int]:
        """The CALIBRATION collections' ids, in search order."""
        return [r.id for r in self if r.kind is CollectionKind.CALIBRATION]

    @functools.cached_property
    def rank(self) -> dict[int, int]:
        """Each collection id's position in the path."""
        return {r.id: i for i, r in enumerate(self)}

    @property
    def only_runs(self) -> bool:
        """Whether every collection is a RUN."""
        return len(self.run_ids) == len(self)
