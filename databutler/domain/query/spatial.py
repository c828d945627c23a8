"""Regions written in where expressions: ``POINT``, ``CIRCLE``, ``BOX``, ``POLYGON``, ``REGION`` and bound Regions.

The reference's syntax (angles in degrees, ADQL order): ``visit.region OVERLAPS POINT(ra, dec)``,
``CIRCLE(ra, dec, radius)`` (built as the reference builds it: a sphgeom Circle whose opening
angle is twice ``radius``, so the circle is twice as wide as ADQL's; kept for equal answers),
``BOX(ra, dec, width, height)`` (centred), ``POLYGON(ra1, dec1, ra2, dec2, ...)`` (convex, at
least three vertices) and ``REGION('CIRCLE 10 20 1')`` (an IVOA
SIAv2 POS string); or ``:r`` bound to an lsst.sphgeom Region. Bad values are ExpressionTypeErrors
at the function's position.
"""

from __future__ import annotations

import math

from lsst import sphgeom

from ..errors import DataIdError
from ..region import Region, coerce_region, decode_region
from .ast import FloatLiteral, IntegerLiteral, Node, RegionLiteral, SpatialFunction, StringLiteral
from .errors import ExpressionTypeError
from .spatial_names import FUNCTIONS, argument_count_problem


def _number(node: Node, function: SpatialFunction) -> float:
    if not isinstance(node, IntegerLiteral | FloatLiteral):
        raise ExpressionTypeError(f"{function.function} arguments are numbers (degrees), not {node}", node.position,
                                  hint=f"write {function.function}{FUNCTIONS[function.function]}")
    value = float(node.value)
    if not math.isfinite(value):
        raise ExpressionTypeError(f"{function.function} argument {node} is not finite", node.position)
    return value


def _point(ra: float, dec: float, function: SpatialFunction) -> sphgeom.UnitVector3d:
    if not -90.0 <= dec <= 90.0:
        raise ExpressionTypeError(f"{function.function}: declination {dec} is outside [-90, 90] degrees",
                                  function.position)
    return sphgeom.UnitVector3d(sphgeom.LonLat.fromDegrees(ra, dec))


def evaluate(function: SpatialFunction) -> Region:
    """The region ``function`` describes (its bind parameters already replaced by values)."""
    name, args = function.function, function.arguments
    problem = argument_count_problem(name, len(args))
    if problem is not None:
        raise ExpressionTypeError(problem, function.position)
    if name == "REGION":
        (text,) = args
        if not isinstance(text, StringLiteral):
            raise ExpressionTypeError(f"REGION takes a string, not {text}", text.position,
                                      hint="write REGION('CIRCLE 10 20 1') (IVOA SIAv2 POS)")
        try:
            return coerce_region(sphgeom.Region.from_ivoa_pos(text.value), "REGION")
        except (ValueError, RuntimeError, DataIdError) as err:
            raise ExpressionTypeError(f"REGION({text}) is not a valid IVOA POS region: {err}",
                                      text.position) from None
    values = [_number(a, function) for a in args]
    if name == "POINT":
        return sphgeom.Circle(_point(values[0], values[1], function))
    if name == "CIRCLE":
        if not 0.0 < values[2] <= 180.0:
            raise ExpressionTypeError(f"CIRCLE radius {values[2]} must be in (0, 180] degrees", function.position)
        # As the reference (lsst-daf-butler 30.2026.4300) builds it: its opening angle (the angular radius in
        # sphgeom) is twice the written radius, so both systems give the same answers to the same expression.
        return sphgeom.Circle(_point(values[0], values[1], function), sphgeom.Angle.fromDegrees(2 * values[2]))
    if name == "BOX":
        ra, dec, width, height = values
        if not (0.0 < width <= 360.0 and 0.0 < height <= 180.0):
            raise ExpressionTypeError(f"BOX width {width} and height {height} must be positive degrees "
                                      "(width at most 360, height at most 180)", function.position)
        _point(ra, dec, function)
        return sphgeom.Box(sphgeom.LonLat.fromDegrees(ra, dec), sphgeom.Angle.fromDegrees(width / 2),
                           sphgeom.Angle.fromDegrees(height / 2))
    vertices = [_point(values[i], values[i + 1], function) for i in range(0, len(values), 2)]
    try:
        return sphgeom.ConvexPolygon(vertices)
    except (ValueError, RuntimeError) as err:
        raise ExpressionTypeError(f"POLYGON vertices do not make a convex polygon ({err})", function.position,
                                  hint="give the vertices of a convex polygon, in order, without repeats") from None


def region_of(node: Node) -> Region:
    """The region of a spatial function or bound region node."""
    if isinstance(node, RegionLiteral):
        return decode_region(node.encoded, "bound region")
    if isinstance(node, SpatialFunction):
        return evaluate(node)
    raise ExpressionTypeError(f"{node} is not a region", node.position)
