"""How results look in a notebook: a one-line ``repr``, an HTML view, Parquet files.

Every analysis result (:class:`finflow.results.Result`) gets from here

* ``repr(result)``: ``<CircularFinancing: 36 cycles, max circulation 616.00 of 2,696 USD
  billions (22.8%)>``, the class and its headline numbers (:func:`headline`), never the
  dump of every field that a dataclass writes by default;
* ``result._repr_html_()``: what Jupyter shows, its summary sentences, the first
  :data:`HTML_ROWS` rows of each table with the row count, and its conventions folded
  in a ``<details>``; tables are rendered by :func:`finflow.render.html_table` (the
  report's renderer, same number formatting) and every piece of data text is
  HTML-escaped;
* :func:`to_parquet`, every table as a Parquet file.

The headline of each result class is one small function in :data:`HEADLINES`, keyed by
the class's dotted name, so that the analysis modules stay as they are; a class without
one shows the start of its first summary sentence.
"""
from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from .text import format_number, format_percent

__all__ = ["HEADLINES", "HTML_ROWS", "REPR_MAX", "headline", "result_repr", "result_html",
           "network_html", "to_parquet"]

#: rows of each table shown by ``_repr_html_``
HTML_ROWS = 10
#: the longest headline ``repr`` shows (characters); longer ones are cut with "…"
REPR_MAX = 200

#: dotted class name -> function(result) -> headline text
HEADLINES: dict[str, Callable[[Any], str]] = {}


def _for(*names: str) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    def put(fn: Callable[[Any], str]) -> Callable[[Any], str]:
        for n in names:
            HEADLINES[f"finflow.analysis.{n}"] = fn
        return fn
    return put


def _n(x: Any) -> str:
    return format_number(x)


def _pct(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return format_percent(float(x))


def _ids(ids: Any, k: int = 3) -> str:
    ids = [str(i) for i in ids]
    return ", ".join(ids[:k]) + (f" and {len(ids) - k} more" if len(ids) > k else "")


def _shock(shock: Any) -> str:
    if isinstance(shock, dict):
        parts = [str(k) if float(v) >= 1 else f"{k} {_pct(float(v))}" for k, v in shock.items()]
        return _ids(parts)
    return str(shock)


# ---- headlines, one per result class --------------------------------------------------
@_for("overview.Overview")
def _overview(r: Any) -> str:
    return (f"{r.n_entities:,} entities, {r.n_commitments:,} commitments ({r.n_counted:,} "
            f"counted: {_n(r.total_amount)} {r.unit})")


@_for("decomposition.Decomposition")
def _decomposition(r: Any) -> str:
    return (f"circular {_n(r.circular_volume)} of {_n(r.total_volume)} {r.unit} "
            f"({_pct(r.circularity)}, balanced flow forwarding)")


def _cycle_text(c: Any) -> str:
    return " > ".join(tuple(c.nodes) + (c.nodes[0],))


@_for("cycles.CycleSet")
def _cycle_set(r: Any) -> str:
    listed = len(r.cycles)
    if r.count is not None:
        head = f"{'at least ' if r.truncated else ''}{r.count:,} cycles"
        if listed != r.count:
            head += f", {listed:,} listed"
    else:
        head = f"{listed:,} cycles listed"
    if listed:
        c = r.cycles[0]
        head += f"; heaviest {_cycle_text(c)}, bottleneck {_n(c.bottleneck)} {r.unit}"
    return head


@_for("circulation.MaxCirculation")
def _max_circulation(r: Any) -> str:
    return f"{_n(r.value)} of {_n(r.total_flow)} {r.unit} ({_pct(r.circularity)})"


@_for("circulation.Netting")
def _netting(r: Any) -> str:
    share = r.excess / r.gross if r.gross else None
    return (f"gross {_n(r.gross)} {r.unit}, net settlement {_n(r.net_settlement)}, excess "
            f"{_n(r.excess)} ({_pct(share)}); netting loops cancels {_n(r.max_circulation)}")


@_for("flowmeasures.FinnCycling")
def _finn(r: Any) -> str:
    return (f"FCI {_n(r.fci)}: {_n(r.cycled_throughflow)} of throughflow {_n(r.tst)} "
            f"{r.unit} has cycled")


@_for("flowmeasures.HodgeDecomposition")
def _hodge(r: Any) -> str:
    return (f"circular share of net flow {_pct(r.circular_share)}, trophic incoherence "
            f"F0 {_n(r.trophic_incoherence)}")


@_for("flowmeasures.Cores")
def _cores(r: Any) -> str:
    comp = r.components
    parts = []
    for core in ("circular", "robust"):
        rows = comp[comp["core"] == core]
        parts.append(f"{core} core {int(rows['size'].sum()):,} entities in {len(rows):,} "
                     f"component{'s' if len(rows) != 1 else ''}")
    return "; ".join(parts)


@_for("circularity.CircularFinancing")
def _circular_financing(r: Any) -> str:
    parts = []
    if r.cycle_count is not None:
        parts.append(f"{'at least ' if r.truncated else ''}{r.cycle_count:,} cycles")
    else:
        parts.append(f"{len(r.cycles):,} heaviest cycles")
    if r.circulation is not None:
        parts.append(f"max circulation {_n(r.max_circulation)} of {_n(r.total_flow)} "
                     f"{r.unit} ({_pct(r.circularity)})")
    else:
        parts.append(f"total flow {_n(r.total_flow)} {r.unit}")
    return ", ".join(parts)


@_for("concentration.Concentration")
def _concentration(r: Any) -> str:
    net = r.network
    out = (f"{net.get('n_active', 0):,} active entities, volume {_n(net.get('total_volume'))} "
           f"{r.unit}, Gini {_n(net.get('gini'))}")
    if net.get("top_entity"):
        out += (f"; largest {net['top_entity']} "
                f"({_pct(net.get('top_entity_volume_share'))} of volume)")
    if net.get("large_exposures") is not None:
        out += f"; {net['large_exposures']:,} exposures above 25% of equity"
    return out


@_for("timeline.ScheduleResult")
def _schedule(r: Any) -> str:
    by = r.by_status
    if by is None or not len(by):
        return "nothing scheduled"
    total = by["total"]
    peak = int(total.to_numpy().argmax())
    return (f"{r.schedule['commitment'].nunique():,} commitments scheduled, "
            f"{_n(float(total.sum()))} {r.unit} due {int(by['year'].iloc[0])}-"
            f"{int(by['year'].iloc[-1])}, peak {int(by['year'].iloc[peak])} "
            f"({_n(float(total.iloc[peak]))})")


@_for("timeline.FundingGapResult")
def _funding_gap(r: Any) -> str:
    over = r.over_committed()
    return (f"{len(r.entities):,} entities, {r.from_year}-{r.to_year}, {r.unit}; "
            + (f"{len(over):,} run out of money: {_ids(over)}" if over
               else "none runs out of money"))


@_for("contagion.ContagionResult")
def _contagion_result(r: Any) -> str:
    return (f"{r.model}, shock {_shock(r.shock)}: {len(r.defaulted):,} defaults in "
            f"{r.rounds:,} rounds, equity lost {_n(r.total_loss)} {r.unit}")


@_for("contagion.ContagionComparison")
def _contagion_comparison(r: Any) -> str:
    return (f"shock {_shock(r.shock)}; defaults by model: "
            + ", ".join(f"{m} {len(res.defaulted):,}" for m, res in r.results.items()))


@_for("ranking.RankingResult")
def _ranking(r: Any) -> str:
    ent = r.entities
    out = f"{int(r.scenarios):,} scenarios ({r.model})"
    top = ent[ent["impact"].notna()].sort_values("impact_rank")
    if len(top):
        first = top.iloc[0]
        out += f"; highest impact {first['id']} {_n(float(first['impact']))} {r.unit}"
    return out


@_for("nullmodel.NullModelResult")
def _null_model(r: Any) -> str:
    st = r.statistics
    if st is None or not len(st):
        return f"{r.samples:,} samples"
    row = st.iloc[0]
    show = _pct if str(row["statistic"]).endswith("share") else _n
    return (f"{row['statistic']} {show(float(row['observed']))} vs {show(float(row['mean']))} "
            f"on average in {r.samples:,} random networks, p = {_n(float(row['p_value']))}")


@_for("uncertainty.UncertaintyResult")
def _uncertainty(r: Any) -> str:
    fig = r.figures
    out = f"{r.draws:,} draws"
    rows = fig[fig["name"] == "max_circulation_share"] if fig is not None and len(fig) else fig
    if rows is not None and len(rows):
        row = rows.iloc[0]
        out += (f"; max circulation share {_pct(row['median'])} (5-95%: {_pct(row['p05'])} "
                f"to {_pct(row['p95'])}; point {_pct(row['point'])})")
    return out


@_for("diff.DiffResult")
def _diff(r: Any) -> str:
    c = r.counts
    changed = int(r.findings["changed"].astype(bool).sum()) if len(r.findings) else 0
    return (f"commitments {c.get('commitments_added', 0):,} added, "
            f"{c.get('commitments_removed', 0):,} removed, {c.get('commitments_changed', 0):,} "
            f"changed; entities {c.get('entities_added', 0):,} added, "
            f"{c.get('entities_removed', 0):,} removed, {c.get('entities_changed', 0):,} "
            f"changed; {changed:,} findings changed")


@_for("stress.StressResult")
def _stress(r: Any) -> str:
    out = f"scenario {r.scenario}, {r.from_year}-{r.to_year}: {len(r.defaults):,} defaults"
    if r.first_default:
        out += f", first {_ids(r.first_default)} in {r.first_default_year}"
    return out


@_for("stress.StressComparison")
def _stress_comparison(r: Any) -> str:
    return (f"{len(r.results):,} scenarios; defaults: "
            + ", ".join(f"{k} {len(v.defaults):,}" for k, v in r.results.items()))


def _key(result: Any) -> str:
    cls = type(result)
    return f"{cls.__module__}.{cls.__qualname__}"


def headline(result: Any) -> str:
    """The headline numbers of ``result`` in a few words: its class's function in
    :data:`HEADLINES`, else the start of its first summary sentence, else the size of its
    tables.

    >>> import finflow
    >>> headline(finflow.max_circulation(finflow.load_default()))
    '616.00 of 2,696 USD billions (22.8%)'
    """
    for cls in type(result).__mro__:
        fn = HEADLINES.get(f"{cls.__module__}.{cls.__qualname__}")
        if fn is not None:
            return fn(result)
    summary = result.summary()
    if summary:
        return str(summary[0])
    return ", ".join(f"{name} {len(t):,} rows" for name, t in result.tables().items())


def _one_line(text: str, limit: int = REPR_MAX) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def result_repr(result: Any) -> str:
    """``<ClassName: headline>`` on one line of at most about :data:`REPR_MAX`
    characters; never raises (a result whose headline cannot be computed shows its class
    and title)."""
    name = type(result).__name__
    try:
        text = headline(result)
    except Exception:  # noqa: BLE001 - a repr must never raise
        text = str(getattr(result, "title", ""))
    return f"<{name}: {_one_line(text)}>" if text else f"<{name}>"


# ---- HTML ---------------------------------------------------------------------------------
_STYLE = ("font-family: sans-serif; font-size: 13px; line-height: 1.35; max-width: 100%")


def _table_html(name: str, frame: pd.DataFrame, *, rows: int, open_: bool) -> str:
    from .render import html_table
    n = len(frame)
    count = f"{n:,} row{'s' if n != 1 else ''}" + (f", first {rows} shown" if n > rows else "")
    title = escape(name.replace("_", " ").capitalize())
    return (f"<details{' open' if open_ else ''}><summary><b>{title}</b> ({count})</summary>"
            f'<div style="overflow-x: auto">{html_table(frame.head(rows))}</div></details>')


def result_html(result: Any, *, rows: int = HTML_ROWS, open_tables: int = 2) -> str:
    """The notebook view of a result: its title and headline, its summary sentences, the
    first ``rows`` rows of each table (the first ``open_tables`` unfolded, the others in a
    ``<details>``) with the row count, and its conventions folded. Tables come from
    :func:`finflow.render.html_table`; every text from data is HTML-escaped."""
    parts = [f'<div class="finflow-result" style="{_STYLE}">',
             f"<p><b>{escape(str(getattr(result, 'title', type(result).__name__)))}</b> "
             f"<code>{escape(type(result).__name__)}</code></p>"]
    summary = [str(s) for s in result.summary()]
    if summary:
        parts.append("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in summary) + "</ul>")
    for k, (name, frame) in enumerate(result.tables().items()):
        parts.append(_table_html(str(name), frame, rows=rows, open_=k < open_tables))
    notes = [str(n) for n in result.notes()]
    if notes:
        parts.append("<details><summary>Conventions</summary><ul>"
                     + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul></details>")
    parts.append("</div>")
    return "".join(parts)


def network_html(network: Any, *, rows: int = HTML_ROWS) -> str:
    """The notebook view of a :class:`~finflow.model.Network`: name, counts, unit, as-of
    date, entity types, and a table of the commitments by kind (all, counted, counted
    amount); data text HTML-escaped."""
    from .render import html_table
    ent, com = network.entities, network.commitments
    types = ent["type"].astype(str).value_counts() if "type" in ent else pd.Series(dtype=int)
    counted = network.mask()
    by_kind = (pd.DataFrame({"kind": com["kind"].astype(str), "counted": counted,
                             "amount": com["amount"].where(counted, 0.0).astype(float)})
               .groupby("kind", sort=False)
               .agg(commitments=("counted", "size"), counted=("counted", "sum"),
                    counted_amount=("amount", "sum"))
               .reset_index().sort_values(["counted_amount", "kind"],
                                          ascending=[False, True]))
    as_of = network.metadata.get("as_of")
    lines = [f"{network.n:,} entities, {len(com):,} commitments ({int(counted.sum()):,} "
             f"counted, {format_number(float(com['amount'][counted].sum()))} "
             f"{network.unit_label})",
             f"as of {as_of}" if as_of else "no as-of date",
             "entity types: " + ", ".join(f"{t} {c:,}" for t, c in types.items())]
    return (f'<div class="finflow-network" style="{_STYLE}">'
            f"<p><b>{escape(network.name)}</b> <code>Network</code></p><ul>"
            + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>"
            + _table_html("commitments_by_kind", by_kind, rows=rows, open_=True)
            + "</div>")


# ---- Parquet ------------------------------------------------------------------------------
def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with object columns Arrow cannot type (mixed text and numbers, tuples of
    mixed types) turned into text, and a plain string column index."""
    import pyarrow as pa
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object:
            try:
                pa.array(out[c].tolist(), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float)
                                                                    and math.isnan(v))
                                    else (" > ".join(map(str, v)) if isinstance(v, (list, tuple))
                                          else str(v)))
    return out.reset_index(drop=True)


def to_parquet(result: Any, folder: str | Path, *, overwrite: bool = False) -> dict[str, Path]:
    """Write every table of ``result.tables()`` to ``folder`` as ``<name>.parquet``.

    Parameters
    ----------
    result : Result
    folder : str or Path
        Created (with its parents) when missing.
    overwrite : bool
        Replace existing files of the same names; without it an existing file stops the
        whole call before anything is written.

    Returns
    -------
    dict
        Table name -> path written. File names are the table names made file-system safe
        (:func:`finflow.io.output.safe_slug`); an object column Arrow cannot type (mixed
        text and numbers) is written as text.

    Raises
    ------
    finflow.io.output.OutputError
        A target exists (and not ``overwrite``), is a symbolic link or a folder, or the
        folder cannot be written.
    """
    from .io.output import atomic_file, check_file_target, safe_slug
    target = Path(folder)
    tables = result.tables()
    names: dict[str, Path] = {}
    used: set[str] = set()
    for name in tables:
        base = safe_slug(str(name)) or "table"
        stem, k = base, 2
        while stem.lower() in used:
            stem, k = f"{base}_{k}", k + 1
        used.add(stem.lower())
        names[name] = target / f"{stem}.parquet"
    for path in names.values():
        check_file_target(path, overwrite=overwrite,
                          exists_hint="choose another folder or pass overwrite=True")
    target.mkdir(parents=True, exist_ok=True)
    for name, path in names.items():
        frame = _parquet_ready(tables[name])
        with atomic_file(path, overwrite=overwrite, binary=True) as f:
            frame.to_parquet(f, index=False)
    return names
