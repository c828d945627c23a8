#!/usr/bin/env python
"""Print a side-by-side table of two peer-workload JSON results: rates and the ratio ours/peer."""

from __future__ import annotations

import json
import sys


def main(peer_path: str, ours_path: str) -> None:
    """Print one row per phase: peer ops/s, ours ops/s, ratio."""
    with open(peer_path) as fh:
        peer = json.load(fh)
    with open(ours_path) as fh:
        ours = json.load(fh)
    print(f"{'phase':<14}{'peer ops/s':>14}{'ours ops/s':>14}{'ours/peer':>11}")
    for phase, rate in ours["rates_ops_per_s"].items():
        base = peer["rates_ops_per_s"].get("put" if phase == "put_many" else phase)
        label = "put_many*" if phase == "put_many" else phase
        ratio = f"{rate / base:.1f}x" if base else "-"
        print(f"{label:<14}{base if base is not None else '-':>14}{rate:>14}{ratio:>11}")
    raw, fraction = ours.get("raw_publish_files_per_s", {}), ours.get("fraction_of_raw", {})
    for phase, rate in raw.items():
        print(f"raw file publish beside {phase:<9}{rate:>14}  reached {fraction[phase]:.0%}")
    print("* put_many is compared with the peer's single-put rate, as the issue asks.")
    for key in ("peak_rss_mib", "registry_bytes", "total_s"):
        print(f"{key:<14}{peer.get(key)!s:>14}{ours.get(key)!s:>14}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: compare.py PEER.json OURS.json")
    main(sys.argv[1], sys.argv[2])
