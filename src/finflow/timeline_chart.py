"""Self-contained SVG charts of an entity's funding timeline (no JavaScript, no network).

:func:`timeline_chart_svg` draws, from a :class:`~finflow.analysis.timeline.FundingGapResult`,
one entity's outflows due per year as bars against its revenue (a line) and its revenue
plus contracted inflows (a dashed line), and under them its cumulative net position with
the cash line and the runway year. The SVG is written by hand from the numbers, so a
report can inline it and open offline; every piece of text is XML-escaped.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd

from .errors import FinflowError
from .svg import esc as _esc, nice_step as _nice_step, num as _num, scale as _scale
from .svg import tick_label as _tick_label, ticks as _ticks
from .text import format_number

__all__ = ["timeline_chart_svg", "timeline_charts"]

_W, _H = 760, 460
_LEFT, _RIGHT = 78, 24
_TOP_Y0, _TOP_Y1 = 64, 264        # outflows vs revenue panel (pixels, top to bottom)
_BOT_Y0, _BOT_Y1 = 318, 418       # cumulative position panel
_COLORS = {"bar": "#c0504d", "revenue": "#1f77b4", "inflows": "#2ca02c",
           "cum": "#333333", "cash": "#9467bd", "runway": "#d62728", "axis": "#888888"}


def timeline_chart_svg(result, entity: str) -> str:
    """One entity's funding timeline as a self-contained SVG document.

    Parameters
    ----------
    result : FundingGapResult
        From :func:`finflow.funding_gap`.
    entity : str
        An entity in ``result``.

    Returns
    -------
    str
        An ``<svg>`` document: the top panel has one bar per year (outflows due, class
        ``bar``), the revenue line and the revenue + contracted inflows line; the bottom
        panel the cumulative net position, the line at minus the cash when the cash is
        known, and the runway year. No scripts, no external references.

    Raises
    ------
    FinflowError
        ``entity`` is not in the result.

    Notes
    -----
    Missing figures stay missing: without revenue there is no revenue line and the
    bottom panel says the net position is unknown; without cash there is no cash line
    and the runway is labelled as measured against revenue alone.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["lab", "cloud"], "revenue": [10.0, None],
    ...                   "as_of": ["2026", None]}),
    ...     pd.DataFrame({"payer": ["lab"], "payee": ["cloud"], "kind": ["compute"],
    ...                   "amount": [90.0], "start": ["2026"], "end": ["2028"]}))
    >>> svg = timeline_chart_svg(finflow.funding_gap(net, "lab", from_year=2026,
    ...                                              to_year=2028), "lab")
    >>> svg.count('class="bar"')
    3
    """
    rows = result.table[result.table["entity"] == entity].sort_values("year")
    if rows.empty:
        known = ", ".join(result.entities["entity"].astype(str).tolist()[:20])
        raise FinflowError(f"no timeline for entity {entity!r} in this result (has: {known})")
    info = result.entities.set_index("entity").loc[entity]
    years = rows["year"].to_numpy(dtype=int)
    out = rows["outflows"].to_numpy(dtype=float)
    rev = rows["revenue"].to_numpy(dtype=float)
    inflow = rows["inflows"].to_numpy(dtype=float)
    cum = rows["cumulative_net"].to_numpy(dtype=float)
    cash = float(info["cash"]) if not pd.isna(info["cash"]) else None
    runway = None if pd.isna(info["runway_year"]) else int(info["runway_year"])
    name = info["name"] if isinstance(info.get("name"), str) and info["name"] else entity
    n = len(years)
    band = (_W - _LEFT - _RIGHT) / n
    xc = [_LEFT + band * (i + 0.5) for i in range(n)]
    parts: list[str] = []
    add = parts.append
    title = (f"{name}: commitments due vs revenue, {years[0]}-{years[-1]} "
             f"({result.unit})")
    growth = f"{result.revenue_growth:.1%}"
    add(f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" font-family="sans-serif" font-size="11" '
        f'data-entity="{_esc(entity)}">')
    add(f"<title>{_esc(title)}</title>")
    add(f"<desc>{_esc(_description(entity, info, result, growth))}</desc>")
    add(f'<rect x="0" y="0" width="{_W}" height="{_H}" fill="#ffffff"/>')
    add(f'<text x="{_LEFT}" y="22" font-size="14" font-weight="bold">{_esc(title)}</text>')
    add(f'<text x="{_LEFT}" y="40" fill="#555555">{_esc(_subtitle(info, result, growth))}</text>')

    # ---- top panel: outflows (bars) vs revenue and revenue + inflows (lines)
    top_vals = [v for v in np.concatenate([out, rev, rev + inflow]) if math.isfinite(v)]
    hi = max(top_vals + [0.0]) or 1.0
    ticks = _ticks(0.0, hi)
    hi = max(hi, ticks[-1])
    ys = _scale(0.0, hi, _TOP_Y0, _TOP_Y1)
    _axis(add, ticks, ys)
    bw = band * 0.6
    for i, (y, v) in enumerate(zip(years, out)):
        top = ys(v)
        add(f'<rect class="bar" data-year="{y}" x="{_num(xc[i] - bw / 2)}" y="{_num(top)}" '
            f'width="{_num(bw)}" height="{_num(_TOP_Y1 - top)}" fill="{_COLORS["bar"]}">'
            f"<title>{_esc(f'{y}: outflows due {format_number(float(v))}')}</title></rect>")
    _line(add, xc, rev, ys, _COLORS["revenue"], "revenue", "revenue")
    _line(add, xc, rev + inflow, ys, _COLORS["inflows"], "revenue + contracted inflows",
          "inflows", dash="5,3")
    if not np.isfinite(rev).any():
        add(f'<text x="{_W - _RIGHT}" y="{_TOP_Y0 + 12}" text-anchor="end" fill="#555555">'
            f"{_esc('revenue unknown')}</text>")
    _legend(add, [(_COLORS["bar"], "outflows due", None),
                  (_COLORS["revenue"], "revenue", None),
                  (_COLORS["inflows"], "revenue + contracted inflows", "5,3")])

    # ---- bottom panel: cumulative net position, minus cash, runway
    add(f'<text x="{_LEFT}" y="{_BOT_Y0 - 12}" font-weight="bold">'
        f"{_esc('Cumulative net position (revenue + inflows - outflows)')}</text>")
    if np.isfinite(cum).all():
        vals = list(cum) + [0.0] + ([-cash] if cash is not None else [])
        lo, hi2 = min(vals), max(vals)
        t2 = _ticks(lo, hi2) if hi2 > lo else [lo - 1, lo, lo + 1]
        lo, hi2 = min(lo, t2[0]), max(hi2, t2[-1])
        yb = _scale(lo, hi2, _BOT_Y0, _BOT_Y1)
        _axis(add, t2, yb, y0=_BOT_Y0, y1=_BOT_Y1)
        add(f'<line class="zero" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_num(yb(0.0))}" '
            f'y2="{_num(yb(0.0))}" stroke="#000000" stroke-width="1"/>')
        if cash is not None:
            yc = yb(-cash)
            add(f'<line class="cash" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_num(yc)}" '
                f'y2="{_num(yc)}" stroke="{_COLORS["cash"]}" stroke-dasharray="4,3"/>')
            add(f'<text x="{_W - _RIGHT - 4}" y="{_num(yc - 4)}" text-anchor="end" '
                f'fill="{_COLORS["cash"]}">{_esc(f"minus cash ({format_number(cash)})")}</text>')
        _line(add, xc, cum, yb, _COLORS["cum"], "cumulative net", "cumulative")
    else:
        add(f'<text x="{_LEFT}" y="{(_BOT_Y0 + _BOT_Y1) / 2}" fill="#555555">'
            f"{_esc('net position unknown: revenue is missing')}</text>")
    if runway is not None and runway in set(years):
        i = list(years).index(runway)
        basis = "" if cash is not None else " (vs revenue alone: cash unknown)"
        add(f'<line class="runway" x1="{_num(xc[i])}" x2="{_num(xc[i])}" y1="{_TOP_Y0}" '
            f'y2="{_BOT_Y1}" stroke="{_COLORS["runway"]}" stroke-dasharray="2,2"/>')
        anchor = "end" if i > n / 2 else "start"
        add(f'<line x1="{_num(xc[i])}" x2="{_num(xc[i])}" y1="{_BOT_Y1}" y2="{_BOT_Y1 + 34}" '
            f'stroke="{_COLORS["runway"]}" stroke-dasharray="2,2"/>')
        add(f'<text x="{_num(xc[i] + (-4 if anchor == "end" else 4))}" y="{_BOT_Y1 + 34}" '
            f'text-anchor="{anchor}" fill="{_COLORS["runway"]}">'
            f'{_esc(f"runway ends {runway}{basis}")}</text>')

    # ---- year labels
    for i, y in enumerate(years):
        add(f'<text x="{_num(xc[i])}" y="{_BOT_Y1 + 16}" text-anchor="middle">{_esc(y)}</text>')
    add("</svg>")
    return "\n".join(parts) + "\n"


def timeline_charts(result, entities: Iterable[str] | None = None) -> dict[str, str]:
    """SVG charts by entity: the given ones, or every over-committed entity of ``result``
    (runway within the horizon)."""
    ids = list(entities) if entities is not None else result.over_committed()
    return {e: timeline_chart_svg(result, e) for e in ids}


def _axis(add, ticks: list[float], scale, y0: float = _TOP_Y0, y1: float = _TOP_Y1) -> None:
    add(f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{y0}" y2="{y1}" stroke="{_COLORS["axis"]}"/>')
    for t in ticks:
        y = scale(t)
        if y < y0 - 0.5 or y > y1 + 0.5:
            continue
        add(f'<line x1="{_LEFT - 4}" x2="{_W - _RIGHT}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="#e6e6e6"/>')
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        add(f'<text x="{_LEFT - 6}" y="{_num(y + 4)}" text-anchor="end">'
            f"{_esc(_tick_label(t, step))}</text>")


def _line(add, xs, values, scale, color: str, label: str, cls: str,
          dash: str | None = None) -> None:
    pts = [(x, scale(v)) for x, v in zip(xs, values) if math.isfinite(v)]
    if not pts:
        return
    d = f' stroke-dasharray="{dash}"' if dash else ""
    add(f'<polyline class="{cls}" fill="none" stroke="{color}" stroke-width="2"{d} '
        f'points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in pts)}"/>')
    for (x, y), v in zip(pts, [v for v in values if math.isfinite(v)]):
        add(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="2.5" fill="{color}">'
            f"<title>{_esc(f'{label}: {format_number(float(v))}')}</title></circle>")


def _legend(add, items) -> None:
    x = _LEFT
    y = _TOP_Y0 - 10
    for color, label, dash in items:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        add(f'<line x1="{x}" x2="{x + 18}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" '
            f'stroke-width="6"{d}/>')
        add(f'<text x="{x + 22}" y="{y}">{_esc(label)}</text>')
        x += 30 + 6.2 * len(label)


def _subtitle(info, result, growth: str) -> str:
    rev = info["revenue_base"]
    rev_text = ("revenue unknown" if pd.isna(rev) else
                f"revenue {format_number(float(rev))} in {int(info['revenue_year'])}, "
                f"grown {growth} a year")
    cash_text = ("cash unknown" if pd.isna(info["cash"]) else
                 f"cash {format_number(float(info['cash']))}")
    return f"{rev_text}; {cash_text}; statuses {', '.join(result.statuses)}"


def _description(entity: str, info, result, growth: str) -> str:
    runway = info["runway_year"]
    text = (f"Outflows due per year for {entity} against revenue ({growth} growth) and "
            f"contracted inflows, and the cumulative net position. ")
    if pd.isna(runway):
        text += f"No runway end through {result.to_year}."
    else:
        text += f"Runway ends {int(runway)} ({info['runway_basis']})."
    return text
