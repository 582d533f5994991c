"""The report's charts of a result, as SVG or drawn with matplotlib (issue 19).

``result.plot_svg()`` gives the chart ``finflow report`` inlines in ``index.html``, from
the same hand-written SVG functions (:func:`finflow.charts.bar_chart_svg`,
:func:`finflow.timeline_chart.timeline_chart_svg`,
:func:`finflow.stress_chart.stress_chart_svg`) and the same choice of data, so that the
two are the same bytes; it needs nothing beyond finflow. ``result.plot(ax=None)`` draws
the same data with matplotlib (an optional extra: ``pip install finflow[plot]``) on
``ax``, or on a new figure, and returns the axes.

Which result draws which chart (:data:`CHARTS`, by result class):

=====================================  ===================================================
result                                  chart
=====================================  ===================================================
CircularFinancing, Decomposition        self-financed share of the 15 entities with the
                                        most circular inflow (bars)
ContagionResult, ContagionComparison    what each entity loses in the default (15
                                        largest losses, defaulted ones highlighted)
FundingGapResult                        one entity's outflows due vs revenue by year
StressResult, StressComparison          cumulative losses by holder class by year
=====================================  ===================================================
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from .errors import FinflowError

__all__ = ["CHARTS", "Chart", "plot", "plot_svg", "circular_share_chart",
           "losses_chart", "PLOT_HINT"]

PLOT_HINT = "pip install finflow[plot]"
#: bars of the report's bar charts
TOP = 15


@dataclass(frozen=True)
class Chart:
    """One chart kind: ``svg(result, **options)`` gives the SVG text, ``draw(result, ax,
    **options)`` draws it on matplotlib axes."""

    svg: Callable[..., str]
    draw: Callable[..., None]


#: dotted result class name -> its chart
CHARTS: dict[str, Chart] = {}


def _for(*names: str) -> Callable[[Chart], Chart]:
    def put(chart: Chart) -> Chart:
        for n in names:
            CHARTS[f"finflow.analysis.{n}"] = chart
        return chart
    return put


# ---- bar charts: the data (shared by SVG and matplotlib) ---------------------------------
def circular_share_chart(decomposition: Any) -> dict[str, Any] | None:
    """The report's circular-share bar chart of a
    :class:`~finflow.analysis.decomposition.Decomposition`: the keyword arguments of
    :func:`finflow.charts.bar_chart_svg` (None when no entity has circular inflow).

    The bars are the self-financed share (circular inflow / inflow, balanced flow
    forwarding) of the :data:`TOP` entities with the most circular inflow, largest first.
    """
    ent = decomposition.entities.dropna(subset=["self_financed_share"])
    ent = ent[ent["circular_inflow"] > 0].sort_values("circular_inflow", ascending=False)
    ent = ent.head(TOP)
    if not len(ent):
        return None
    return dict(labels=list(ent["id"]), values=list(ent["self_financed_share"]), percent=True,
                title="Share of each entity's inflow that came back round (self-financed)",
                value_label="circular inflow / inflow (balanced flow forwarding); the 15 "
                            "entities with the most circular inflow")


def losses_chart(result: Any, unit: str | None = None) -> dict[str, Any] | None:
    """The report's losses bar chart of a
    :class:`~finflow.analysis.contagion.ContagionResult`: the keyword arguments of
    :func:`finflow.charts.bar_chart_svg` (None when nobody beyond the shocked entities
    loses).

    The bars are the :data:`TOP` largest loss amounts of the entities other than the
    shocked ones (equity lost where equity is known, capped at it, else the claims lost),
    defaulted ones highlighted; an entity of unknown equity is labelled with its buffer.
    """
    shocked = [str(s) for s in result.shock]
    e = result.entities.assign(buffer=result.buffer())
    e = e[(e["loss"].fillna(0) > 0) & ~e["id"].isin(shocked)]
    e = e.sort_values(["loss", "id"], ascending=[False, True]).head(TOP)
    if not len(e):
        return None
    who = shocked[0] if len(shocked) == 1 else ", ".join(shocked)
    verb = "defaults" if len(shocked) == 1 else "default"
    labels = [f"{i} ({b})" if b != "known" else str(i) for i, b in zip(e["id"], e["buffer"])]
    return dict(labels=labels, values=list(e["loss"]), percent=False,
                marked=list(e["defaulted"].astype(bool)), mark_label="defaults",
                title=f"What each entity loses if {who} {verb} ({result.model}), "
                      f"in {unit or result.unit}",
                value_label="loss amount: equity lost where equity is known (capped at it), "
                            "else the claims lost; the 15 largest")


def _no_chart(what: str) -> FinflowError:
    return FinflowError(f"nothing to draw: {what}")


def _bar_svg(spec_fn: Callable[..., dict[str, Any] | None], what: str) -> Callable[..., str]:
    def svg(result: Any, **options: Any) -> str:
        from .charts import bar_chart_svg
        spec = spec_fn(result, **options)
        if spec is None:
            raise _no_chart(what)
        return bar_chart_svg(**spec)
    return svg


def _bar_draw(spec_fn: Callable[..., dict[str, Any] | None], what: str) -> Callable[..., None]:
    def draw(result: Any, ax: Any, **options: Any) -> None:
        spec = spec_fn(result, **options)
        if spec is None:
            raise _no_chart(what)
        values = [float(v) if v is not None and math.isfinite(float(v)) else math.nan
                  for v in spec["values"]]
        marked = spec.get("marked") or [False] * len(values)
        ys = list(range(len(values)))
        ax.barh(ys, [0.0 if math.isnan(v) else v for v in values],
                color=["#c0392b" if m else "#2c7fb8" for m in marked])
        ax.set_yticks(ys, labels=[str(x) for x in spec["labels"]])
        ax.invert_yaxis()                      # largest first, at the top, as in the SVG
        ax.set_title(spec["title"], fontsize=10)
        ax.set_xlabel(spec.get("value_label", ""), fontsize=8)
        if spec.get("percent"):
            from matplotlib.ticker import PercentFormatter
            ax.set_xlim(0, 1)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        if any(marked) and spec.get("mark_label"):
            from matplotlib.patches import Patch
            ax.legend(handles=[Patch(color="#c0392b", label=spec["mark_label"])],
                      loc="lower right")
    return draw


# ---- circular share ---------------------------------------------------------------------
def _decomposition_of(result: Any, **_: Any) -> Any:
    dec = getattr(result, "decomposition", result)
    if dec is None:
        raise FinflowError("nothing to draw: the balanced-flow-forwarding split was not "
                           "computed (ask circular_financing for measures including "
                           "'decomposition')")
    return dec


def _circular_spec(result: Any, **_: Any) -> dict[str, Any] | None:
    return circular_share_chart(_decomposition_of(result))


_for("circularity.CircularFinancing", "decomposition.Decomposition")(
    Chart(_bar_svg(_circular_spec, "no entity's inflow comes back round"),
          _bar_draw(_circular_spec, "no entity's inflow comes back round")))


# ---- contagion losses -------------------------------------------------------------------
def _contagion_of(result: Any, model: str | None = None) -> Any:
    results = getattr(result, "results", None)
    if results is None:
        if model is not None and model != result.model:
            raise FinflowError(f"model: this result is of model {result.model!r}")
        return result
    if model is None:
        return results.get("linear-debtrank") or next(iter(results.values()))
    if model not in results:
        raise FinflowError(f"model: no model {model!r} in this comparison; choose from "
                           f"{', '.join(results)}")
    return results[model]


def _losses_spec(result: Any, model: str | None = None, unit: str | None = None
                 ) -> dict[str, Any] | None:
    return losses_chart(_contagion_of(result, model), unit=unit)


_for("contagion.ContagionResult", "contagion.ContagionComparison")(
    Chart(_bar_svg(_losses_spec, "nobody beyond the shocked entities loses"),
          _bar_draw(_losses_spec, "nobody beyond the shocked entities loses")))


# ---- funding timeline --------------------------------------------------------------------
def _timeline_entity(result: Any, entity: str | None) -> str:
    if entity is not None:
        return str(entity)
    over = result.over_committed()
    if over:
        return str(over[0])
    if len(result.entities):
        return str(result.entities["entity"].iloc[0])
    raise _no_chart("the result has no entity")


def _timeline_svg(result: Any, entity: str | None = None) -> str:
    from .timeline_chart import timeline_chart_svg
    return timeline_chart_svg(result, _timeline_entity(result, entity))


def _timeline_draw(result: Any, ax: Any, entity: str | None = None) -> None:
    ent = _timeline_entity(result, entity)
    rows = result.table[result.table["entity"] == ent].sort_values("year")
    if rows.empty:
        _timeline_svg(result, ent)             # raises the chart's own error
    years = rows["year"].astype(int).tolist()
    rev = rows["revenue"].to_numpy(dtype=float)
    ax.bar(years, rows["outflows"].to_numpy(dtype=float), color="#c0504d",
           label="outflows due")
    ax.plot(years, rev, color="#1f77b4", marker="o", label="revenue")
    ax.plot(years, rev + rows["inflows"].to_numpy(dtype=float), color="#2ca02c",
            linestyle="--", marker="o", label="revenue + contracted inflows")
    info = result.entities.set_index("entity").loc[ent]
    if not pd.isna(info["runway_year"]):
        ax.axvline(int(info["runway_year"]), color="#d62728", linestyle=":",
                   label=f"runway ends {int(info['runway_year'])}")
    name = info["name"] if isinstance(info.get("name"), str) and info["name"] else ent
    ax.set_title(f"{name}: commitments due vs revenue, {years[0]}-{years[-1]} "
                 f"({result.unit})", fontsize=10)
    ax.set_xticks(years)
    ax.legend(fontsize=8)


CHARTS["finflow.analysis.timeline.FundingGapResult"] = Chart(_timeline_svg, _timeline_draw)


# ---- stress ------------------------------------------------------------------------------
def _stress_of(result: Any, scenario: str | None = None) -> Any:
    results = getattr(result, "results", None)
    if results is None:
        return result
    if scenario is None:
        return next(iter(results.values()))
    if scenario not in results:
        raise FinflowError(f"scenario: no scenario {scenario!r}; choose from "
                           f"{', '.join(results)}")
    return results[scenario]


def _stress_svg(result: Any, scenario: str | None = None) -> str:
    from .stress_chart import stress_chart_svg
    return stress_chart_svg(_stress_of(result, scenario))


def _stress_draw(result: Any, ax: Any, scenario: str | None = None) -> None:
    res = _stress_of(result, scenario)
    cum = res.cumulative_losses
    years = [int(y) for y in cum["year"]]
    classes = [c for c in cum.columns if c not in ("year", "total") and float(cum[c].max()) > 0]
    for c in classes:
        ax.plot(years, cum[c].to_numpy(dtype=float), marker="o", label=str(c))
    ax.set_title(f"Cumulative losses by holder class (scenario {res.scenario})", fontsize=10)
    ax.set_ylabel(f"{res.unit}, cumulative loss after LGD", fontsize=8)
    ax.set_xticks(years)
    if classes:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no losses: nobody defaults", transform=ax.transAxes,
                ha="center", color="#888888")


_for("stress.StressResult", "stress.StressComparison")(Chart(_stress_svg, _stress_draw))


# ---- entry points ------------------------------------------------------------------------
def _chart(result: Any) -> Chart:
    for cls in type(result).__mro__:
        chart = CHARTS.get(f"{cls.__module__}.{cls.__qualname__}")
        if chart is not None:
            return chart
    kinds = sorted({k.rsplit(".", 1)[1] for k in CHARTS})
    raise FinflowError(f"{type(result).__name__} has no chart; the report draws charts of "
                       f"{', '.join(kinds)}")


def plot_svg(result: Any, **options: Any) -> str:
    """The chart ``finflow report`` draws of ``result``, as SVG text.

    Parameters
    ----------
    result : Result
        One of the classes in :data:`CHARTS` (see the module's table).
    **options
        ``model`` (a contagion comparison: which model's losses; default
        ``linear-debtrank``, the report's ranking model), ``entity`` (a funding gap:
        whose timeline; default the first that runs out of money), ``scenario`` (a stress
        comparison: which scenario; default the first).

    Returns
    -------
    str
        A self-contained ``<svg>`` element, the same text the report inlines.

    Raises
    ------
    FinflowError
        The result has no chart, or nothing to draw (for example nobody loses).

    Examples
    --------
    >>> import finflow
    >>> svg = finflow.circular_financing(finflow.load_default()).plot_svg()
    >>> svg.startswith("<svg"), svg.count('class="bar"')   # 14 entities have circular inflow
    (True, 14)
    """
    return _chart(result).svg(result, **options)


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(f"result.plot() needs matplotlib: {PLOT_HINT} (or use "
                          "result.plot_svg(), which needs nothing more)") from exc
    return plt


def plot(result: Any, ax: Any = None, **options: Any) -> Any:
    """Draw the report's chart of ``result`` with matplotlib.

    Parameters
    ----------
    result : Result
        One of the classes in :data:`CHARTS`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes when None.
    **options
        As :func:`plot_svg`.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` (bar charts: one bar patch per entity; the timeline: one bar per year plus
        the revenue lines; stress: one line per holder class with a loss, a point per
        year).

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install finflow[plot]``).
    FinflowError
        As :func:`plot_svg`.
    """
    chart = _chart(result)
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    chart.draw(result, ax, **options)
    return ax
