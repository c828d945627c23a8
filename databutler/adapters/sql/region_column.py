"""The SQL column type of ``region`` fields: the reference's encoded bytes in a binary column, Regions in Python."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...domain.errors import RegistryError
from ...domain.region import Region, decode_region, encode_region


class RegionColumn(sa.types.TypeDecorator[Region]):
    """Binds a sphgeom Region as its encoding and reads it back as a Region (BLOB on SQLite, BYTEA on PostgreSQL)."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> bytes | None:
        """A Region (or its bytes, already checked by the domain) as the bytes to store."""
        if value is None or isinstance(value, bytes):
            return value
        return encode_region(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Region | None:
        """The stored bytes as a Region."""
        if value is None:
            return None
        try:
            return decode_region(value, "stored region")
        except Exception as err:
            raise RegistryError(f"a stored region cannot be read ({err}); the registry may need "
                                "`databutler migrate`") from None
