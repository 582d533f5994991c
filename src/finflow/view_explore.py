"""The data an explorer page carries beside its drawing (issue 16), and static pictures.

:func:`finflow.view.view_data` draws every commitment among the drawn entities; the page
then filters them in the browser (kind, entity type, status group, confidence, minimum
amount, as-of date) by hiding drawn items, without a new layout. This module builds what
the page's controls need and cannot read from the drawing:

* per commitment, the fields the filters test (``announced`` and ``lapsed_on`` as first
  days, ``prior_status``, ``in_totals``), and the details of the side panel with its
  sources split into parts, each a link only when it resolves to an ``http``/``https``
  URL (through the network's ``sources`` list, ``[S01]`` -> that source's ``url``);
* per entity, its balance-sheet figures, its heaviest cycle
  (:func:`~finflow.analysis.cycles.entity_heaviest_cycles`) and its circular share (BFF,
  :func:`~finflow.analysis.decomposition.circular_decomposition`), both for the
  statuses and kinds the page opens with;
* the list of the heaviest cycles (:func:`~finflow.analysis.cycles.heaviest_cycles`, the
  analysis of ``finflow cycles``) with the drawn commitments on each step;
* the rounds of a contagion outcome for playback.

Everything is JSON-ready data; the page fills the DOM with ``textContent`` only.
:func:`write_png` renders a written page to a PNG file in headless Chromium.
"""
from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import FinflowError
from .kinds import CONFIDENCE_LEVELS, ENTITY_TYPES, KINDS, NONBINDING_STATUSES
from .model import Network, floor_series
from .render import format_number
from .text import cell_text as _text

__all__ = ["status_group", "source_parts", "explore_data", "playback_data", "write_png",
           "find_chromium", "STATUS_GROUPS"]

log = logging.getLogger(__name__)

#: the status groups of the page's status filter
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "binding": ("closed", "committed"),
    "nonbinding": tuple(sorted(NONBINDING_STATUSES)),
    "lapsed": ("lapsed",),
}
_SOURCE_TAG = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]\s*(.*)$")
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TEXT_MAX = 400
#: the page's circular shares (BFF) are computed up to this many entities on cycles
MAX_SHARE_ENTITIES = 400


def status_group(status: str) -> str:
    """``binding`` (closed, committed), ``nonbinding`` (loi, reported) or ``lapsed``."""
    for group, members in STATUS_GROUPS.items():
        if status in members:
            return group
    return "binding"


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def _web(url: str) -> str | None:
    """``url`` when it is an http or https URL, else None (``javascript:``, ``data:``,
    relative paths ... are shown as text, never as links)."""
    url = url.strip()
    return url if re.match(r"^https?://[^\s<>\"']+$", url, re.IGNORECASE) else None


def source_parts(text: str, sources: Mapping[str, Mapping[str, Any]] | None = None
                 ) -> list[list[str | None]]:
    """A ``source`` cell as parts ``[text, url or None]``, split at ``;``.

    A part ``[S01] The Register 2025-11-04`` takes the ``url`` of source ``S01`` of the
    network's metadata; a part containing an ``http(s)://`` address links to it. Only
    ``http`` and ``https`` URLs become links.

    Examples
    --------
    >>> source_parts("[S1] FT; see https://x.org/a; javascript:alert(1)",
    ...              {"S1": {"url": "https://ft.com/1"}})
    [['[S1] FT', 'https://ft.com/1'], ['see https://x.org/a', 'https://x.org/a'], ['javascript:alert(1)', None]]
    """
    out: list[list[str | None]] = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        url = None
        m = _SOURCE_TAG.match(part)
        if m and sources and m.group(1) in sources:
            url = _web(_text(sources[m.group(1)].get("url")))
        if url is None:
            found = _URL.search(part)
            url = _web(found.group(0).rstrip(").,")) if found else None
        out.append([part[:_TEXT_MAX], url])
    return out


def _source_table(network: Network) -> dict[str, Mapping[str, Any]]:
    table = {}
    for s in network.metadata.get("sources") or []:
        if isinstance(s, Mapping) and s.get("id") is not None:
            table[str(s["id"])] = s
    return table



def _iso(series: pd.Series) -> list[str | None]:
    days = floor_series(series)
    return [None if pd.isna(d) else d.date().isoformat() for d in days]


def explore_data(network: Network, drawn: pd.DataFrame, kept_ids: Sequence[str], *,
                 statuses: Sequence[str], kinds: Sequence[str], top_cycles: int = 10
                 ) -> dict[str, Any]:
    """What the page's filters, search, panels and cycle list need (JSON-ready).

    Parameters
    ----------
    network : Network
    drawn : DataFrame
        The drawn commitments (rows of ``network.commitments``).
    kept_ids : list of str
        The drawn entities.
    statuses, kinds : the selection the page opens with; the analyses (heaviest cycles,
        circular share) are computed for it.
    top_cycles : int
        How many of the heaviest cycles the page lists.

    Returns
    -------
    dict
        ``commitments`` (id -> filter fields and details), ``entities`` (id -> panel),
        ``cycles`` (list), ``initial`` (the filter state the page opens with), ``kinds``,
        ``types``, ``confidence``, ``date_min``/``date_max`` and ``scope`` (a line naming
        the selection of the analyses).

    Notes
    -----
    The page's date rule is :meth:`Network.as_of`'s: a commitment is shown on date d when
    its ``announced`` date (first day) is on or before d or missing, and its ``lapsed_on``
    is missing or after d; a ``lapsed`` commitment that lapsed after d counts with its
    ``prior_status`` (``reported`` when unknown).
    """
    from .analysis.cycles import entity_heaviest_cycles, heaviest_cycles
    from .analysis.decomposition import circular_decomposition

    unit = network.unit_label
    srcs = _source_table(network)
    ann = _iso(drawn["announced"]) if len(drawn) else []
    lap = _iso(drawn["lapsed_on"]) if len(drawn) else []
    coms: dict[str, Any] = {}
    for k, rec in enumerate(drawn.itertuples(index=False)):
        r = rec._asdict()
        amount = _num(r.get("amount"))
        coms[_text(r["id"])] = {
            "from": _text(r["payer"]), "to": _text(r["payee"]), "kind": _text(r["kind"]),
            "status": _text(r["status"]), "prior": _text(r.get("prior_status")) or None,
            "announced": ann[k], "lapsed_on": lap[k], "amount": amount,
            "counted": bool(r.get("in_totals", True)) and amount is not None,
            "confidence": _text(r.get("confidence")) or None,
            "deal": _text(r.get("deal")) or None,
            "dates": [[lab, _text(r.get(col))] for col, lab in
                      (("announced", "announced"), ("start", "start"), ("end", "end"),
                       ("lapsed_on", "lapsed"))
                      if _text(r.get(col))],
            "amount_text": (f"{format_number(amount)} {unit}" if amount is not None
                            else "amount undisclosed"),
            "sources": source_parts(_text(r.get("source")), srcs),
            "note": _text(r.get("note"))[:_TEXT_MAX],
        }

    # per-entity analyses for the opening selection; a network too big for BFF gets none
    pos = network.position
    try:
        # the members of a cycle take one breadth-first search each (heaviest first);
        # as many searches as drawn entities keep a big network's page quick
        hc = entity_heaviest_cycles(network, status=list(statuses), kinds=list(kinds),
                                    max_searches=max(50, len(kept_ids)))
        hc = hc.set_index("id")
    except FinflowError as exc:                       # pragma: no cover - defensive
        log.info("no heaviest cycles per entity: %s", exc)
        hc = None
    share_note = None
    try:
        share = circular_decomposition(network, list(statuses), list(kinds),
                                       max_cycle_entities=MAX_SHARE_ENTITIES).entities
        share = share.set_index("id")["self_financed_share"]
    except FinflowError as exc:
        # BFF needs one sparse solve per entity on a cycle: a page for a big network is
        # written without it (finflow concentration computes it)
        log.info("no circular share: %s", exc)
        share = None
        share_note = (f"circular share not computed for the page (more than "
                      f"{MAX_SHARE_ENTITIES:,} entities on cycles; see finflow concentration)")

    ents = network.entities
    figures = [c for c in ("equity", "cash", "revenue", "debt", "valuation", "external_assets")
               if c in ents.columns]
    entities: dict[str, Any] = {}
    # external holders and holder classes as the models see them (network format v2)
    external = dict(zip(network.index, network.external_mask().tolist()))
    classes = network.holder_classes()
    for eid in kept_ids:
        row = ents.iloc[pos[eid]]
        etype = _text(row.get("type")) or "other"
        rec: dict[str, Any] = {
            "name": _text(row.get("name")) or eid, "type": etype,
            "figures": [[c.replace("_", " "), f"{format_number(float(row[c]))} {unit}"
                         if pd.notna(row.get(c)) else "unknown"] for c in figures],
            "estimated": _text(row.get("estimated")) or None,
            "external": bool(external.get(eid, False)),
            "holder_class": classes.get(eid) or None,
            "sources": source_parts(_text(row.get("source")), srcs),
            "note": _text(row.get("note"))[:_TEXT_MAX],
        }
        if hc is not None and eid in hc.index and pd.notna(hc.at[eid, "heaviest_cycle_bottleneck"]):
            members = hc.at[eid, "heaviest_cycle"]
            rec["cycle"] = {"nodes": list(members) if members is not None else None,
                            "bottleneck": float(hc.at[eid, "heaviest_cycle_bottleneck"]),
                            "text": f"{format_number(float(hc.at[eid, 'heaviest_cycle_bottleneck']))} {unit}"}
        else:
            rec["cycle"] = None
        if share is not None and eid in share.index and pd.notna(share.at[eid]):
            rec["circular_share"] = float(share.at[eid])
        else:
            rec["circular_share"] = None
        entities[eid] = rec

    # the heaviest cycles, with the drawn commitments on their steps
    by_pair: dict[tuple[str, str], list[str]] = {}
    for cid, c in coms.items():
        by_pair.setdefault((c["from"], c["to"]), []).append(cid)
    cyc_out = []
    try:
        found = heaviest_cycles(network, top=top_cycles, status=list(statuses),
                                kinds=list(kinds)).cycles
    except FinflowError as exc:                       # pragma: no cover - defensive
        log.info("no cycle list: %s", exc)
        found = ()
    for c in found:
        nodes = list(c.nodes)
        ids = [str(cid) for e in c.edges for cid in (e.get("commitments") or ())
               if str(cid) in coms]
        if not ids:
            ids = [cid for a, b in zip(nodes, nodes[1:] + nodes[:1])
                   for cid in by_pair.get((a, b), [])
                   if coms[cid]["status"] in statuses and coms[cid]["kind"] in kinds]
        cyc_out.append({"nodes": nodes, "bottleneck": float(c.bottleneck),
                        "text": f"{format_number(float(c.bottleneck))} {unit}",
                        "commitments": ids, "drawn": all(n in entities for n in nodes)})

    dates = [d for d in ann if d] + [d for d in lap if d]
    as_of = _text(network.metadata.get("as_of"))
    date_max = as_of or (max(dates) if dates else None)
    date_min = min(dates) if dates else None
    groups = sorted({status_group(s) for s in statuses},
                    key=list(STATUS_GROUPS).index)
    return {
        "unit": unit,
        "commitments": coms,
        "entities": entities,
        "cycles": cyc_out,
        "kinds": sorted({c["kind"] for c in coms.values()}, key=_order_of_kinds()),
        "types": sorted({e["type"] for e in entities.values()}, key=_order_of_types()),
        "confidence": list(CONFIDENCE_LEVELS) + ["unknown"],
        "initial": {"kinds": list(kinds), "groups": groups, "statuses": list(statuses)},
        "date_min": date_min, "date_max": date_max,
        "share_note": share_note,
        "scope": f"statuses {', '.join(statuses)}; "
                 + ("all kinds" if set(KINDS) <= set(kinds) else "kinds " + ", ".join(kinds)),
    }


def _order_of_kinds():
    return {k: i for i, k in enumerate(KINDS)}.get


def _order_of_types():
    return {k: i for i, k in enumerate(ENTITY_TYPES)}.get


def playback_data(result: Any, kept_ids: Iterable[str]) -> dict[str, Any]:
    """The rounds of a contagion outcome for the page's playback.

    Parameters
    ----------
    result : ContagionResult
        One model's outcome (:func:`finflow.analysis.contagion.contagion`).
    kept_ids : the drawn entities.

    Returns
    -------
    dict
        ``model``, ``shock``, ``steps`` (one per round 0..R: ``round``, ``fell``
        (ids defaulting in it), ``lost`` (equity lost so far by the defaulted entities
        with equity), ``lost_text``), ``entities`` (id -> ``defaulted``, ``round``,
        ``loss``, ``relative_loss``, ``role``, ``loss_text``), ``defaulted`` (the final
        set), ``total_loss``, ``external_loss`` and their texts.

    Notes
    -----
    The models report each entity's round of default and its final loss, not the path
    of partial losses; the playback colours entities as they default round by round, and
    shows the partial losses of the survivors (relative, or as amounts for entities
    without equity and external holders) at the last step.
    """
    ent = result.entities
    unit = result.unit
    keep = set(kept_ids)
    entities: dict[str, Any] = {}
    for r in ent.itertuples(index=False):
        rid = str(r.id)
        loss = _num(r.loss)
        rel = _num(r.relative_loss)
        rnd = None if pd.isna(r.round) else int(r.round)
        entities[rid] = {"defaulted": bool(r.defaulted), "round": rnd, "loss": loss,
                         "relative_loss": rel, "role": _text(r.role),
                         "drawn": rid in keep,
                         "loss_text": (f"{format_number(loss)} {unit}" if loss is not None
                                       else "unknown")}
    rounds = int(result.rounds)
    steps = []
    for k in range(rounds + 1):
        fell = [i for i in result.defaulted if entities[i]["round"] == k]
        lost = sum((e["loss"] or 0.0) for e in entities.values()
                   if e["defaulted"] and e["round"] is not None and e["round"] <= k
                   and e["relative_loss"] is not None)
        steps.append({"round": k, "fell": fell, "lost": lost,
                      "lost_text": f"{format_number(lost)} {unit}"})
    from .analysis.contagion import MODEL_TITLES
    return {
        "model": result.model, "title": MODEL_TITLES.get(result.model, result.model),
        "shock": {str(k): float(v) for k, v in result.shock.items()},
        "steps": steps, "entities": entities, "defaulted": list(result.defaulted),
        "total_loss": float(result.total_loss),
        "total_text": f"{format_number(float(result.total_loss))} {unit}",
        "external_loss": float(result.external_loss),
        "external_text": f"{format_number(float(result.external_loss))} {unit}",
        "unit": unit,
    }


# ---- static pictures ------------------------------------------------------------------------
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser",
                       "/usr/bin/google-chrome")


def find_chromium() -> str | None:
    """The path of a Chromium or Chrome executable (``FINFLOW_CHROMIUM`` first), or None."""
    import os

    env = os.environ.get("FINFLOW_CHROMIUM")
    for p in ([env] if env else []) + list(CHROMIUM_CANDIDATES):
        if p and Path(p).is_file():
            return p
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def write_png(html_path: str | Path, png_path: str | Path, *, overwrite: bool = False,
              size: tuple[int, int] = (1600, 1000), timeout_s: float = 90.0) -> Path:
    """Render a written view to a PNG picture in headless Chromium.

    Runs ``chromium --headless --screenshot`` with a virtual time budget of 30 s, in
    which the layout stabilises (physics then stops); the page loads nothing from the
    network.

    Raises
    ------
    FinflowError
        ``png_path`` exists and ``overwrite`` is false, its folder does not exist, no
        Chromium is found, or the browser fails.
    """
    out = Path(png_path)
    if out.is_dir():
        raise FinflowError(f"{out} is a folder; give a file name such as {out / 'network.png'}")
    if out.exists() and not overwrite:
        raise FinflowError(f"{out} exists; choose another file or allow replacing it "
                           "(--force)")
    if not out.parent.is_dir():
        raise FinflowError(f"{out.parent} does not exist; create the folder first")
    exe = find_chromium()
    if exe is None:
        raise FinflowError("no Chromium browser found for --png (install chromium, or set "
                           "FINFLOW_CHROMIUM to its path)")
    url = Path(html_path).resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
               "--virtual-time-budget=30000", f"--screenshot={out}", url]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise FinflowError(f"{exe} could not render {html_path}: {exc}") from None
    if proc.returncode != 0 or not out.is_file():
        raise FinflowError(f"{exe} could not render {html_path}: "
                           f"{(proc.stderr or '').strip()[-300:]}")
    return out
