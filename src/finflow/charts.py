"""Small self-contained SVG charts for the report (no JavaScript, no network).

Written by hand from the numbers so that a page can inline them and open offline; every
piece of text is XML-escaped.
"""
from __future__ import annotations

import math
from typing import Sequence

from .text import format_number
from .svg import esc as _esc, ticks as _ticks

__all__ = ["bar_chart_svg"]


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], *, title: str,
                  value_label: str = "", percent: bool = False,
                  marked: Sequence[bool] | None = None, mark_label: str = "",
                  width: int = 720) -> str:
    """A horizontal bar chart, one bar per label, largest first as given.

    Parameters
    ----------
    labels, values : sequences of equal length
        Missing values (NaN or None) are drawn as an empty bar with "n/a".
    title : str
    value_label : str
        The axis caption (for example "share of equity lost").
    percent : bool
        Values are shares in [0, 1], shown as percentages on a 0-100 % axis.
    marked : sequence of bool, optional
        Bars drawn in the highlight colour (for example: defaulted), explained in the
        legend by ``mark_label``.

    Returns
    -------
    str
        An ``<svg>`` element with a ``<title>`` (its accessible name) and one ``<rect
        class="bar">`` per label.

    Examples
    --------
    >>> svg = bar_chart_svg(["a", "b"], [0.5, 1.0], title="Loss", percent=True)
    >>> svg.count('class="bar"')
    2
    """
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    marked = list(marked) if marked is not None else [False] * len(labels)
    vals = [float(v) if v is not None and math.isfinite(float(v)) else math.nan for v in values]
    finite = [v for v in vals if math.isfinite(v)]
    hi = 1.0 if percent else max([0.0] + finite)
    hi = hi if hi > 0 else 1.0
    ticks = _ticks(0.0, hi) if not percent else [0, 0.25, 0.5, 0.75, 1.0]
    top_tick = ticks[-1] if ticks[-1] > 0 else 1.0
    left, right, top, row = 170, 70, 48, 22
    height = top + row * max(len(labels), 1) + 46
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * max(0.0, v) / top_tick

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="sans-serif" font-size="12">',
           f"<title>{_esc(title)}</title>",
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{_esc(title)}</text>']
    axis_y = top + row * len(labels) + 4
    for t in ticks:
        xt = x(t)
        lab = f"{t:.0%}" if percent else format_number(float(t))
        out.append(f'<line x1="{xt:.1f}" y1="{top - 6}" x2="{xt:.1f}" y2="{axis_y}" '
                   f'stroke="#dddddd"/>')
        out.append(f'<text x="{xt:.1f}" y="{axis_y + 14}" text-anchor="middle" '
                   f'fill="#555555">{_esc(lab)}</text>')
    for k, (lab, v, m) in enumerate(zip(labels, vals, marked)):
        y = top + row * k
        out.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{_esc(lab)}</text>')
        if math.isfinite(v):
            w = max(x(v) - left, 0.0)
            colour = "#c0392b" if m else "#2c7fb8"
            out.append(f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                       f'fill="{colour}"><title>{_esc(lab)}: '
                       f'{_esc(f"{v:.1%}" if percent else format_number(v))}</title></rect>')
            text = f"{v:.1%}" if percent else format_number(v)
            out.append(f'<text x="{left + w + 5:.1f}" y="{y + 14}" fill="#333333">{_esc(text)}</text>')
        else:
            out.append(f'<rect class="bar" x="{left}" y="{y + 3}" width="0" height="{row - 6}"/>')
            out.append(f'<text x="{left + 5}" y="{y + 14}" fill="#888888">n/a</text>')
    foot = axis_y + 32
    if value_label:
        out.append(f'<text x="{left}" y="{foot}" fill="#555555">{_esc(value_label)}</text>')
    if any(marked) and mark_label:
        lx = width - right - 160
        out.append(f'<rect x="{lx}" y="{foot - 10}" width="12" height="12" fill="#c0392b"/>')
        out.append(f'<text x="{lx + 16}" y="{foot}" fill="#555555">{_esc(mark_label)}</text>')
    out.append("</svg>")
    return "\n".join(out)
