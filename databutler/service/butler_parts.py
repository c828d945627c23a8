"""What the Butler's mixins (queries, integrity, ingest) need of the Butler they are mixed into."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..ports.datastore import Datastore
from ..ports.registry import Registry


class ButlerParts(Protocol):
    """The Butler's adapters, root and shared helpers, as its mixins see them."""

    @property
    def registry(self) -> Registry: ...

    @property
    def datastore(self) -> Datastore: ...

    @property
    def root(self) -> str: ...

    def _check_writeable(self, action: str) -> None: ...

    def _search_path(self, collections: Sequence[str] | str | None) -> tuple[str, ...]: ...
