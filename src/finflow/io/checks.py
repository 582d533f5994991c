"""Checks of a network beyond its cell types (network format v2, issue 15).

Two kinds of checks live here:

* :func:`entity_field_problems`: errors in the entity columns of the format v2
  (``external``, ``holder_class``, ``equity_low``/``equity_high``, ``merged_into``/
  ``merged_on``). They run on every load, from :func:`finflow.io.tables.coerce_tables`,
  so a network with them never loads.
* :func:`consistency_checks`: cross-row consistency of a loaded network, run by
  ``finflow validate`` (:func:`check_network`). Each finding is an error or a warning
  with ``file:line: field:``; ``finflow validate`` exits 2 on an error (and, with
  ``--strict``, on a warning).

The consistency checks, defined precisely:

========================  =======  ======================================================
check                     level    definition
========================  =======  ======================================================
amount range              error    ``amount_low > amount`` or ``amount_high < amount``
equity range              error    ``equity_low > equity`` or ``equity_high < equity``
undefined source          error    a cell cites ``[ID]`` (letters then digits, e.g.
                                   ``[S01]``) that is not an ``id`` of ``network.yaml``'s
                                   ``sources:`` list (checked only when the network
                                   cites or lists sources)
deal dates                warning  two legs of one ``deal`` (same deal id) with different
                                   ``announced`` dates (both given; a partial date is
                                   compared as written, so ``2025-09`` vs ``2025-09-22``
                                   is no disagreement: the longer one refines the
                                   shorter)
umbrella without parts    warning  an ``in_totals=false`` row with no other row sharing
                                   its ``deal`` id nor its (payer, payee) pair (a
                                   warning: such a row is never counted twice, and a
                                   row kept out of totals for another reason, such as
                                   a stock-for-stock merger that moved no money, is
                                   legitimate)
no loss buffer            warning  an entity with commitments but none of ``equity`` /
                                   ``revenue`` (nor ``external_assets``, the clearing
                                   model's buffer), that is not an external holder
dated after as_of         warning  an entity's ``as_of`` or a commitment's ``announced``
                                   later than the network's ``as_of`` (its first day)
========================  =======  ======================================================
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from ..errors import Problem
from ..kinds import EXTERNAL_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Network
    from .tables import Locator

__all__ = ["entity_field_problems", "external_flags", "Finding", "consistency_checks",
           "check_network", "CITATION"]

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
#: a citation of a source id in a cell: ``[S01]``, ``[S01, S07]``
CITATION = re.compile(r"\[([A-Za-z]+\d+(?:\s*[,;]\s*[A-Za-z]+\d+)*)\]")


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    return str(v).strip()


def external_flags(entities: pd.DataFrame) -> np.ndarray:
    """Who is an external holder: the ``external`` cell where it says true or false,
    else true for the types of :data:`finflow.kinds.EXTERNAL_TYPES` (``market``)."""
    n = len(entities)
    types = entities["type"].astype(object).to_numpy() if "type" in entities else \
        np.full(n, "other", dtype=object)
    by_type = np.array([str(t) in EXTERNAL_TYPES for t in types], dtype=bool)
    if "external" not in entities:
        return by_type
    cells = [_text(v).lower() for v in entities["external"].astype(object)]
    return np.array([True if c in _TRUE else False if c in _FALSE else d
                     for c, d in zip(cells, by_type)], dtype=bool)


def entity_field_problems(ent: pd.DataFrame, loc: "Locator") -> list[Problem]:
    """Errors in the format-v2 entity columns of a typed entities table.

    ``external`` must be true/false (or empty); ``equity_low <= equity_high``;
    ``merged_into`` must be another known entity id, without a chain of mergers that
    comes back to the entity; ``merged_on`` needs ``merged_into``. (``holder_class``
    is checked against :data:`finflow.kinds.HOLDER_CLASSES` with the other vocabularies.)
    """
    problems: list[Problem] = []
    if "external" in ent:
        col = ent["external"].astype(object)
        for i in np.flatnonzero(col.notna().to_numpy()):
            v = col.iat[i]
            t = _text(v).lower()
            if t and t not in _TRUE and t not in _FALSE and t not in ("na", "n/a", "nan",
                                                                       "null", "none"):
                problems.append(loc.problem(int(i), "external",
                                            f"{_text(v)!r} is not true or false"))
    if {"equity_low", "equity_high"} <= set(ent.columns):
        bad = (ent["equity_low"] > ent["equity_high"]).to_numpy()
        for i in np.flatnonzero(bad):
            problems.append(loc.problem(int(i), "equity_low",
                                        f"{ent['equity_low'].iat[i]:g} exceeds equity_high "
                                        f"{ent['equity_high'].iat[i]:g}"))
    if "merged_into" in ent and ent["merged_into"].notna().any():
        ids = ent["id"].astype(str).tolist()
        known = set(ids)
        target = {}
        col = ent["merged_into"].astype(object)
        for i in (int(x) for x in np.flatnonzero(col.notna().to_numpy())):
            v = col.iat[i]
            t = _text(v)
            if not t:
                continue
            if t == ids[i]:
                problems.append(loc.problem(i, "merged_into", "an entity cannot merge into "
                                                              "itself"))
            elif t not in known:
                problems.append(loc.problem(i, "merged_into", f"unknown entity {t!r}"))
            else:
                target[ids[i]] = t
        row_of = {e: i for i, e in enumerate(ids)}
        for start in target:
            i = row_of[start]
            seen = [start]
            cur = start
            while cur in target:
                cur = target[cur]
                if cur == start:
                    problems.append(loc.problem(i, "merged_into", "mergers form a loop: "
                                                + " -> ".join(seen + [cur])))
                    break
                if cur in seen:
                    break
                seen.append(cur)
    if "merged_on" in ent:
        into = ent["merged_into"] if "merged_into" in ent else pd.Series([None] * len(ent))
        lone = ent["merged_on"].notna().to_numpy() & into.isna().to_numpy()
        for i in np.flatnonzero(lone):
            problems.append(loc.problem(int(i), "merged_on", "is given without merged_into"))
    return problems


# ---------------------------------------------------------------------------------------
# consistency checks (finflow validate)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One finding of :func:`consistency_checks`: ``level`` is ``error`` or ``warning``;
    ``check`` names the check (the table in this module's docstring)."""

    level: str
    check: str
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        loc = self.file + (f":{self.line}" if self.line is not None else "")
        tag = "warning: " if self.level == "warning" else ""
        return f"{loc}: {self.field}: {tag}{self.message}" if self.field else \
            f"{loc}: {tag}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "check": self.check, "file": self.file,
                "line": self.line, "field": self.field, "message": self.message}


def _first_day(text: object) -> _dt.date | None:
    t = _text(text)
    if not t:
        return None
    parts = [int(p) for p in t.split("-")] + [1, 1]
    return _dt.date(parts[0], parts[1], parts[2])


def _source_ids(meta: dict[str, Any]) -> set[str] | None:
    """Ids of network.yaml's ``sources:`` (a list of mappings with ``id``, or a mapping
    id -> anything); None when the network lists none."""
    src = meta.get("sources")
    if src is None:
        return None
    ids: set[str] = set()
    if isinstance(src, dict):
        ids.update(str(k).strip() for k in src)
    elif isinstance(src, list):
        for item in src:
            if isinstance(item, dict) and item.get("id") is not None:
                ids.add(str(item["id"]).strip())
    return ids


def consistency_checks(network: "Network", entity_file: str = "entities",
                       commitment_file: str = "commitments",
                       entity_lines: Sequence[int] | None = None,
                       commitment_lines: Sequence[int] | None = None) -> list[Finding]:
    """Every consistency finding of a network (the checks of this module's docstring).

    Parameters
    ----------
    network : Network
        As loaded (the source tables are checked, before any merger view).
    entity_file, commitment_file : str
        File names shown in the findings.
    entity_lines, commitment_lines : sequences of int, optional
        The file line of each row (CSV); else ``row N`` counting from 1 (line = N + 1
        as if the header were line 1).

    Returns
    -------
    list of Finding
        Sorted by file and line.
    """
    ent, com = network.source_tables()
    meta = network.metadata
    out: list[Finding] = []
    eline = (lambda i: int(entity_lines[i])) if entity_lines is not None else (lambda i: i + 2)
    cline = (lambda i: int(commitment_lines[i])) if commitment_lines is not None else \
        (lambda i: i + 2)

    def E(level, check, i, field, msg):
        out.append(Finding(level, check, entity_file, eline(i), field, msg))

    def C(level, check, i, field, msg):
        out.append(Finding(level, check, commitment_file, cline(i), field, msg))

    # amount range around the headline
    amt = com["amount"].to_numpy(dtype=float)
    lo = com["amount_low"].to_numpy(dtype=float)
    hi = com["amount_high"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        for i in np.flatnonzero(lo > amt * (1 + 1e-12)):
            C("error", "amount range", i, "amount_low",
              f"{lo[i]:g} exceeds amount {amt[i]:g}")
        for i in np.flatnonzero(hi < amt * (1 - 1e-12)):
            C("error", "amount range", i, "amount_high",
              f"{hi[i]:g} is below amount {amt[i]:g}")
    # equity range around the point estimate
    if {"equity_low", "equity_high"} <= set(ent.columns):
        eq = pd.to_numeric(ent["equity"], errors="coerce").to_numpy(dtype=float)
        elo = pd.to_numeric(ent["equity_low"], errors="coerce").to_numpy(dtype=float)
        ehi = pd.to_numeric(ent["equity_high"], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            for i in np.flatnonzero(elo > eq):
                E("error", "equity range", i, "equity_low", f"{elo[i]:g} exceeds equity {eq[i]:g}")
            for i in np.flatnonzero(ehi < eq):
                E("error", "equity range", i, "equity_high",
                  f"{ehi[i]:g} is below equity {eq[i]:g}")
            for i in np.flatnonzero((np.isfinite(elo) | np.isfinite(ehi)) & ~np.isfinite(eq)):
                E("error", "equity range", i, "equity",
                  "is empty but equity_low/equity_high give a range (give the point "
                  "estimate too)")
    # citations of undefined sources
    known = _source_ids(meta)
    text_cols = lambda frame: [c for c in frame.columns if frame[c].dtype == object]  # noqa: E731
    for frame, emit in ((ent, E), (com, C)):
        for col in text_cols(frame):
            vals = frame[col].to_numpy(dtype=object)
            has = frame[col].astype(str).str.contains("[", regex=False).to_numpy()
            for i in np.flatnonzero(has):
                v = vals[i]
                if not isinstance(v, str):
                    continue
                for m in CITATION.finditer(v):
                    for sid in re.split(r"\s*[,;]\s*", m.group(1)):
                        if known is None or sid not in known:
                            emit("error", "undefined source", i, col,
                                 f"cites source [{sid}], which network.yaml's sources: "
                                 + ("does not list" if known is not None else
                                    "does not exist (no sources: list)"))
    # legs of one deal announced on different dates
    if "deal" in com:
        legs = pd.DataFrame({"deal": com["deal"].astype(object).to_numpy(),
                             "ann": com["announced"].astype(object).to_numpy()})
        legs = legs[legs["deal"].map(type).eq(str) & legs["ann"].map(type).eq(str)]
        # each leg against the first dated leg of its deal (file order)
        firsts = legs.index.to_series().groupby(legs["deal"]).transform("first")
        others = legs[firsts.to_numpy() != legs.index.to_numpy()]
        for i, d, a in zip(others.index, others["deal"], others["ann"]):
            j = int(firsts.at[i])
            b = legs.at[j, "ann"]
            if not (a.startswith(b) or b.startswith(a)):
                C("warning", "deal dates", int(i), "announced",
                  f"{a} differs from {b} of the same deal {d!r} (commitment "
                  f"{com['id'].iat[j]}, line {cline(j)})")
    # in_totals=false umbrella with no listed parts
    umb = ~com["in_totals"].astype(bool).to_numpy()
    if umb.any():
        pair = (com["payer"].astype(str) + "\x00" + com["payee"].astype(str)).to_numpy()
        pair_n = pd.Series(pair).value_counts()
        deal = com["deal"].to_numpy(dtype=object) if "deal" in com else np.full(len(com), None)
        deal_n = pd.Series([d for d in deal if isinstance(d, str)], dtype=object).value_counts()
        for i in np.flatnonzero(umb):
            d = deal[i]
            has_deal = isinstance(d, str) and deal_n.get(d, 0) > 1
            if not has_deal and pair_n.get(pair[i], 0) <= 1:
                C("warning", "umbrella without parts", i, "in_totals",
                  "false (an umbrella figure), but no other row shares its deal "
                  + (f"{d!r} " if isinstance(d, str) else "")
                  + f"or its payer and payee ({com['payer'].iat[i]} -> {com['payee'].iat[i]})")
    # entities with commitments but no loss buffer
    used = set(com["payer"]) | set(com["payee"])
    ext = external_flags(ent)
    has_eq = pd.to_numeric(ent["equity"], errors="coerce").notna().to_numpy()
    has_rev = pd.to_numeric(ent["revenue"], errors="coerce").notna().to_numpy()
    has_ea = pd.to_numeric(ent["external_assets"], errors="coerce").notna().to_numpy()
    ids = ent["id"].astype(str)
    bare = ids.isin(used).to_numpy() & ~(ext | has_eq | has_rev | has_ea)
    for i in np.flatnonzero(bare):
        E("warning", "no loss buffer", int(i), "equity",
          f"{ids.iat[i]} has commitments but no equity or revenue, and is not external")
    # figures dated after the network's as_of
    as_of = _first_day(meta.get("as_of"))
    if as_of is not None:
        for frame, col, emit in ((ent, "as_of", E), (com, "announced", C)):
            vals = frame[col].astype(object)
            late = {v for v in vals.dropna().unique()
                    if (d := _first_day(v)) is not None and d > as_of}
            for i in np.flatnonzero(vals.isin(late).to_numpy()):
                emit("warning", "after as_of", int(i), col,
                     f"{vals.iat[i]} is after the network's as_of {meta.get('as_of')}")
    out.sort(key=lambda f: (f.file != entity_file, f.file, f.line or 0, f.field))
    return out


def check_network(network: "Network") -> list[Finding]:
    """:func:`consistency_checks` with the file names and lines of a network read from
    a folder (the CSVs are re-read for their line numbers); other networks are named
    ``entities``/``commitments`` with row-based lines."""
    path = network.metadata.get("path")
    folder = Path(path) if path else None
    if folder is not None and folder.is_dir():
        from .folder import read_csv_with_lines, table_files
        files, _ = table_files(folder)
        ef, cf = str(files[0]), str(files[1])
        # the delimiter and encoding the folder was read with (finflow.io.sources);
        # a Parquet table has no lines: its findings count rows
        opts = getattr(network, "read_options", None) or {}
        el = (read_csv_with_lines(files[0], ef, **opts.get(files[0].name, {}))[1]
              if files[0].suffix == ".csv" else None)
        cl = (read_csv_with_lines(files[1], cf, **opts.get(files[1].name, {}))[1]
              if files[1].suffix == ".csv" else None)
        return consistency_checks(network, ef, cf, el, cl)
    name = str(path) if path else "network"
    return consistency_checks(network, f"{name} (entities)", f"{name} (commitments)")
