"""How long the where language takes on the adversarial inputs of tests/unit/test_where_hostile.py.

Run: ``.venv/bin/python bench/where_bench.py``; prints one line per input: its first characters,
its length and the median of 5 parse-bind-resolve runs in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))

from test_where_hostile import ADVERSARIAL, check


def main() -> None:
    """Print the median time of each adversarial input."""
    for text in ADVERSARIAL:
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            check(text, {"v": [1, 2, 3]})
            runs.append(time.perf_counter() - start)
        print(f"{text[:24]!r:32} {len(text):6d} chars {statistics.median(runs) * 1e3:9.2f} ms")


if __name__ == "__main__":
    main()
