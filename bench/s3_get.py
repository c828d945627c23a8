#!/usr/bin/env python
"""Get throughput of small datasets from S3: direct, through a cold cache, and through a warm cache.

A benchmark, not a test. Starts moto's S3-compatible server in a child process on 127.0.0.1
(fake credentials in the environment) unless ``--root s3://bucket/prefix`` names a store.
One repository (SQLite registry) whose butler.yaml puts a cache datastore over the objectstore
datastore; N datasets (default 2000, a ~10-key dict each) are put, then read by ref three times:

 direct  through a second Butler on the same registry whose datastore is the objectstore alone
 cold    through the cache, empty: every get fetches the object and publishes a local copy
 warm    through the cache again: every get is served from the local copy

Prints ONE JSON object with seconds and gets/s of each pass (and puts/s to S3).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from typing import Any

import yaml


def run(root: str, n: int) -> dict[str, Any]:
    """Put ``n`` datasets under ``root`` and time the three read passes."""
    from databutler import Butler, DatasetType

    work = tempfile.mkdtemp(prefix="databutler-s3-get-")
    remote = {"adapter": "objectstore", "root": f"{root}/{uuid.uuid4().hex[:8]}"}
    config = {"datastore": {"adapter": "cache", "directory": "{root}/cache", "child": remote}}
    butler = Butler.create(os.path.join(work, "repo"), config, run="bench/run")
    butler.registry.insert_data_units("instrument", [{"name": "Cam", "detector_max": n}])
    butler.registry.insert_data_units("detector", [{"instrument": "Cam", "id": d} for d in range(n)])
    butler.registry.register_dataset_type(DatasetType("summary", ("instrument", "detector"), "StructuredDataDict"))
    start = time.perf_counter()
    refs = [butler.put({"detector": d, "mean": d * 1.5, "ok": True, "label": f"d{d}", "values": list(range(6))},
                       "summary", instrument="Cam", detector=d) for d in range(n)]
    put_s = time.perf_counter() - start
    results: dict[str, Any] = {"n": n, "root": remote["root"], "put_s": round(put_s, 2),
                               "puts_per_s": round(n / put_s, 1)}
    direct_config = os.path.join(work, "repo", "direct.yaml")  # beside butler.yaml: same {root}
    with open(os.path.join(work, "repo", "butler.yaml")) as stream:
        repo_config = yaml.safe_load(stream)
    repo_config["datastore"] = remote
    with open(direct_config, "w") as stream:
        yaml.safe_dump(repo_config, stream)
    direct = Butler(direct_config, collections=["bench/run"])
    for label, reader in (("direct", direct), ("cold", butler), ("warm", butler)):
        start = time.perf_counter()
        for d, ref in enumerate(refs):
            assert reader.get(ref)["detector"] == d
        seconds = time.perf_counter() - start
        results[f"{label}_s"] = round(seconds, 2)
        results[f"{label}_gets_per_s"] = round(n / seconds, 1)
    direct.close()
    butler.close()
    return results


def main() -> None:
    """Parse options, start the server if needed, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="number of datasets (default 2000)")
    parser.add_argument("--root", help="an existing store root (s3://bucket/prefix); default: a local moto server")
    args = parser.parse_args()
    if args.root:
        print(json.dumps(run(args.root, args.n)))
        return
    from databutler.testing.s3 import server_process

    with server_process():
        import s3fs

        s3fs.S3FileSystem().mkdir("bench")
        print(json.dumps(run("s3://bench/small", args.n)))


if __name__ == "__main__":
    main()
