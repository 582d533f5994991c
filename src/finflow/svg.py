"""Small helpers of finflow's hand-written SVG charts (timeline, report and stress charts):
XML escaping of text, round tick values and value-to-pixel scales. No JavaScript, no
network: a chart is a string a report can inline.
"""
from __future__ import annotations

import math
from xml.sax.saxutils import escape as _xml_escape

from .text import format_number

__all__ = ["esc", "num", "nice_step", "ticks", "tick_label", "scale"]


def esc(text: object) -> str:
    """``text`` escaped for SVG/XML text and attribute values.

    >>> esc('<b a="1">')
    '&lt;b a=&quot;1&quot;&gt;'
    """
    return _xml_escape(str(text), {'"': "&quot;", "'": "&apos;"})


def num(x: float) -> str:
    """A coordinate with two decimals."""
    return f"{x:.2f}"


def nice_step(span: float, n: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that cuts ``span`` into about
    ``n`` parts."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def ticks(lo: float, hi: float) -> list[float]:
    """Round tick values from the first at or below ``lo`` to the first at or above ``hi``.

    >>> ticks(0, 9)
    [0, 2, 4, 6, 8, 10]
    """
    step = nice_step(hi - lo)
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def tick_label(v: float, step: float) -> str:
    """A tick's label: whole numbers for steps of 1 or more, else the number format."""
    return f"{v:,.0f}" if step >= 1 else format_number(float(v))


def scale(lo: float, hi: float, p0: float, p1: float):
    """Map value -> pixel: lo -> p1 (bottom), hi -> p0 (top)."""
    span = hi - lo if hi > lo else 1.0
    return lambda v: p1 - (v - lo) / span * (p1 - p0)
