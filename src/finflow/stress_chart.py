"""A self-contained SVG chart of a stress test: cumulative losses by holder class per year.

Drawn by hand from a :class:`~finflow.analysis.stress.StressResult`'s
``cumulative_losses`` table (no JavaScript, no network), so that the report can inline it
and open offline; every piece of text is XML-escaped.
"""
from __future__ import annotations

from typing import Any

from .render import format_number
from .svg import esc as _esc, ticks as _ticks

__all__ = ["stress_chart_svg"]

_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf"]


def stress_chart_svg(result: Any, *, width: int = 760, height: int = 400,
                     title: str | None = None) -> str:
    """Cumulative loss after LGD of each holder class, one line per class, by year.

    Parameters
    ----------
    result : StressResult
    width, height : int
        Size in pixels.
    title : str, optional
        Default: "Cumulative losses by holder class (scenario ...)".

    Returns
    -------
    str
        An ``<svg>`` element with a ``<title>``, one ``<polyline class="series">`` per
        holder class with a loss, and a legend.

    Examples
    --------
    >>> import finflow
    >>> from finflow.analysis.stress import stress
    >>> svg = stress_chart_svg(stress(finflow.load_default(), requirement=False))
    >>> svg.startswith("<svg") and 'class="series"' in svg
    True
    """
    cum = result.cumulative_losses
    years = [int(y) for y in cum["year"]]
    classes = [c for c in cum.columns if c not in ("year", "total") and float(cum[c].max()) > 0]
    title = title or f"Cumulative losses by holder class (scenario {result.scenario})"
    hi = max([float(cum[c].max()) for c in classes] + [0.0])
    ticks = _ticks(0.0, hi if hi > 0 else 1.0)
    top_v = ticks[-1] if ticks[-1] > 0 else 1.0
    left, right, top, bottom = 78, 170, 48, 48
    pw, ph = width - left - right, height - top - bottom

    def x(k: int) -> float:
        return left + (pw * k / (len(years) - 1) if len(years) > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1.0 - max(0.0, v) / top_v)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
           f'font-size="12">', f"<title>{_esc(title)}</title>",
           f'<text x="{left}" y="22" font-size="14" font-weight="bold">{_esc(title)}</text>']
    for t in ticks:
        yt = y(t)
        out.append(f'<line x1="{left}" y1="{yt:.1f}" x2="{left + pw}" y2="{yt:.1f}" '
                   f'stroke="#dddddd"/>')
        out.append(f'<text x="{left - 6}" y="{yt + 4:.1f}" text-anchor="end" fill="#555555">'
                   f'{_esc(f"{t:,.0f}" if top_v >= 5 else format_number(float(t)))}</text>')
    for k, yr in enumerate(years):
        out.append(f'<text x="{x(k):.1f}" y="{top + ph + 16}" text-anchor="middle" '
                   f'fill="#555555">{yr}</text>')
    out.append(f'<text x="{left}" y="{height - 10}" fill="#555555">{_esc(result.unit)}, '
               f'cumulative loss after LGD, end of each year</text>')
    if not classes:
        out.append(f'<text x="{left + pw / 2:.1f}" y="{top + ph / 2:.1f}" text-anchor="middle" '
                   f'fill="#888888">no losses: nobody defaults</text>')
    for i, c in enumerate(classes):
        colour = _PALETTE[i % len(_PALETTE)]
        pts = " ".join(f"{x(k):.1f},{y(float(v)):.1f}" for k, v in enumerate(cum[c]))
        out.append(f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" '
                   f'points="{pts}"><title>{_esc(c)}: {_esc(format_number(float(cum[c].iloc[-1])))}'
                   f'</title></polyline>')
        ly = top + 14 + 18 * i
        out.append(f'<rect x="{left + pw + 14}" y="{ly - 9}" width="12" height="3" '
                   f'fill="{colour}"/>')
        out.append(f'<text x="{left + pw + 30}" y="{ly}" fill="#333333">{_esc(c)} '
                   f'{_esc(format_number(float(cum[c].iloc[-1])))}</text>')
    out.append("</svg>")
    return "\n".join(out)
