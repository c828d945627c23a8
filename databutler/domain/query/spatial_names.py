"""The spatial functions of the where language and how many arguments each takes (see ``spatial``)."""

from __future__ import annotations

FUNCTIONS = {"POINT": "(ra, dec)", "CIRCLE": "(ra, dec, radius)", "BOX": "(ra, dec, width, height)",
             "POLYGON": "(ra1, dec1, ra2, dec2, ra3, dec3, ...)", "REGION": "('IVOA POS string')"}
"""The spatial functions of the language and their arguments."""

MAX_POLYGON_VERTICES = 1000


def argument_count_problem(function: str, count: int) -> str | None:
    """Why ``count`` arguments do not fit ``function``, or None."""
    fixed = {"POINT": 2, "CIRCLE": 3, "BOX": 4, "REGION": 1}
    if function in fixed:
        if count == fixed[function]:
            return None
        return f"{function} takes {fixed[function]} arguments {FUNCTIONS[function]}"
    if count % 2 or count < 6:
        return "POLYGON takes an even number of arguments, at least three (ra, dec) vertices"
    if count > 2 * MAX_POLYGON_VERTICES:
        return f"POLYGON takes at most {MAX_POLYGON_VERTICES} vertices"
    return None
