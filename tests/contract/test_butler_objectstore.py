"""The Butler contract suite over the SQL registry and S3 (moto server): plain and cached, from butler.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler
from databutler.testing.butler import ButlerContract
from databutler.testing.s3 import S3Fixtures


def s3_datastore(bucket: str, number: int) -> dict[str, Any]:
    """The datastore section of an objectstore repo under ``bucket`` (endpoint and credentials from the environment)."""
    return {"adapter": "objectstore", "root": f"{bucket}/repo{number}"}


def cached_s3_datastore(bucket: str, number: int) -> dict[str, Any]:
    """The datastore section of a cache (in the repo directory, at most 40 files) over S3."""
    return {"adapter": "cache", "directory": "{root}/cache", "max_files": 40, "child": s3_datastore(bucket, number)}


class TestButlerSqliteOverS3(ButlerContract, S3Fixtures):
    """SQLite registry + objectstore datastore on the moto server."""

    datastore_section = staticmethod(s3_datastore)

    @pytest.fixture
    def make_butler(self, s3_bucket: str, tmp_path: Path) -> Iterator[Any]:
        made: list[Butler] = []

        def make(run: str | None = None, collections: Any = None) -> Butler:
            config = {"datastore": self.datastore_section(s3_bucket, len(made))}
            butler = Butler.create(tmp_path / f"repo{len(made)}", config, run=run, collections=collections)
            made.append(butler)
            return butler

        yield make
        for butler in made:
            butler.close()


class TestButlerSqliteOverCachedS3(TestButlerSqliteOverS3):
    """SQLite registry + cache datastore over the objectstore datastore on the moto server."""

    datastore_section = staticmethod(cached_s3_datastore)
