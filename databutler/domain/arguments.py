"""Argument rules shared by every registry: a batch method takes a sequence, never one mapping."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import DataIdError


def check_many(value: object, call: str, item: str) -> None:
    """Refuse one mapping where ``call`` takes a sequence of ``item``s (a dict would be iterated by its keys)."""
    if isinstance(value, Mapping):
        raise DataIdError(f"{call} takes a sequence of {item}s, not one {item}")
