"""What changed between two versions of a network (issue 15): ``finflow diff OLD NEW``.

A network update should be reviewable like code: which commitments and entity fields
were added, removed or changed, and what that does to the headline findings.

Definitions
-----------
* Tables are compared as written (the unmerged source tables), row by row *by id*.
  A commitment or entity whose id is only in NEW is ``added``, only in OLD ``removed``;
  one in both is ``changed`` when any field differs (one row per field: ``old -> new``).
  Two values are equal when both are missing, both are numbers within a relative
  1e-9, or their texts are equal. The entity columns ``external`` and ``holder_class``
  are compared by meaning (:meth:`~finflow.Network.external_mask`,
  :meth:`~finflow.Network.holder_classes`): an empty ``external`` on a firm and an
  explicit ``false`` are the same, as are an empty holder class and its type's default.
* **Renamed entities**: (1) same id, different ``name``: a ``renamed`` row for the name;
  (2) an id only in OLD and an id only in NEW whose other fields (every column but
  ``id``) are all equal, and which pair up one-to-one (no other removed or added entity
  has the same fields): the id was changed. Its commitments are then compared through
  the renaming (a commitment whose payer went from the old to the new id is not
  reported as changed).
* **Headline findings**, computed on each network's default view (at its as_of, every
  status but lapsed): number of simple cycles (:func:`~finflow.analysis.cycles.
  count_cycles`, a lower bound when the count stops at its limit), the heaviest cycle
  (largest bottleneck) and its bottleneck, the maximum circulation and max_circulation_share
  (maximum circulation / total flow), the most systemic entity (first of
  :func:`~finflow.systemic_ranking`, linear DebtRank by default) with its impact, and
  the entities that default when it defaults alone (the same model), beyond it.

References
----------
Eisenberg, Noe (2001) and Bardoscia et al. (2015) for the models behind the findings
(see :mod:`finflow.analysis.contagion`); the cycle and circulation measures of
:mod:`finflow.analysis.cycles` and :mod:`finflow.analysis.circulation`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import FinflowError
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from ..netcheck import ensure_network

__all__ = ["DiffResult", "diff", "FINDINGS"]

#: the headline findings compared, in table order
FINDINGS = ("cycles", "heaviest_cycle", "heaviest_cycle_bottleneck", "max_circulation",
            "max_circulation_share", "most_systemic", "most_systemic_impact", "top_shock_defaults")

_CHANGE_COLUMNS = ["table", "change", "id", "field", "old", "new"]


@dataclass(frozen=True)
class DiffResult(Result):
    """The differences between two networks.

    ``changes``: one row per difference: ``table`` (entities / commitments), ``change``
    (added, removed, changed, renamed), ``id`` (the NEW id; for a removed row the OLD
    one), ``field`` (the field that changed; for an added or removed commitment
    ``amount``, with the amount; for an added or removed entity ``name``; for an id
    renaming ``id``), ``old`` and ``new`` values. ``findings``: per headline finding
    (:data:`FINDINGS`), its ``old`` and ``new`` value, ``change`` (new - old for
    numbers) and ``changed``; a cycle is written ``a -> b -> a`` and a set of
    defaults ``x, y`` (sorted), the raw values are in ``old_findings`` /
    ``new_findings`` (a tuple of ids, a frozenset). ``renamed``: old id -> new id
    (detected as in the module's docstring).
    """

    old: str                      #: OLD's path, else its name
    new: str
    unit: str
    changes: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    renamed: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    conventions: dict = field(default_factory=dict)
    old_findings: dict = field(default_factory=dict)
    new_findings: dict = field(default_factory=dict)
    title: str = "Diff: what changed between two networks"

    def to_frame(self) -> pd.DataFrame:
        return self.changes

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"findings": self.findings} if len(self.findings) else {}
        out["changes"] = self.changes
        return out

    def summary(self) -> list[str]:
        c = self.counts
        lines = [f"{self.old} -> {self.new}; amounts in {self.unit}."]
        lines.append(f"Commitments: {c['commitments_added']} added, "
                     f"{c['commitments_removed']} removed, {c['commitments_changed']} "
                     f"changed ({c['commitment_fields_changed']} fields). Entities: "
                     f"{c['entities_added']} added, {c['entities_removed']} removed, "
                     f"{c['entities_changed']} changed ({c['entity_fields_changed']} fields), "
                     f"{c['entities_renamed']} renamed.")
        if self.renamed:
            lines.append("Ids changed (other fields identical): " + ", ".join(
                f"{k} -> {v}" for k, v in self.renamed.items()) + ".")
        moved = self.findings[self.findings["changed"]]
        if self.findings.empty:
            lines.append("Headline findings not computed.")
        elif len(moved):
            lines.append("Findings that change: " + "; ".join(
                f"{r.finding} {_show(r.old)} -> {_show(r.new)}" for r in moved.itertuples())
                + ".")
        else:
            lines.append("No headline finding changes.")
        return lines

    def notes(self) -> list[str]:
        return [f"{k.replace('_', ' ')}: {v}" for k, v in self.conventions.items()]

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "unit": self.unit,
                "old_findings": jsonable(self.old_findings),
                "new_findings": jsonable(self.new_findings),
                "counts": jsonable(self.counts), "renamed": dict(self.renamed),
                "findings": records(self.findings), "changes": records(self.changes),
                "conventions": jsonable(self.conventions)}


def _show(v: Any) -> str:
    if v == "":
        return "none"
    return format_number(v)


def _cell(v: Any) -> Any:
    """A finding as a table cell: a cycle as ``a -> b -> a``, a set as ``x, y``."""
    if isinstance(v, tuple):
        return " -> ".join(map(str, v))
    if isinstance(v, (set, frozenset)):
        return ", ".join(sorted(map(str, v)))
    return v


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _same(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return bool(a) == bool(b)
    if isinstance(a, (int, float, np.integer, np.floating)) and \
            isinstance(b, (int, float, np.integer, np.floating)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return str(a).strip() == str(b).strip()


def _plain(v: Any) -> Any:
    if _missing(v):
        return None
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _rows(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(r["id"]): {k: _plain(v) for k, v in r.items()}
            for r in frame.to_dict("records")}


def _field_changes(table: str, key: str, a: dict, b: dict, columns: list[str],
                   skip: tuple[str, ...] = ("id",)) -> list[dict]:
    out = []
    for col in columns:
        if col in skip:
            continue
        va, vb = a.get(col), b.get(col)
        if not _same(va, vb):
            change = "renamed" if table == "entities" and col == "name" else "changed"
            out.append({"table": table, "change": change, "id": key, "field": col,
                        "old": va, "new": vb})
    return out


def _detect_renames(old: dict, new: dict, columns: list[str]) -> dict[str, str]:
    """Removed id -> added id where every other field is equal, paired one-to-one."""
    gone = [k for k in old if k not in new]
    came = [k for k in new if k not in old]
    cols = [c for c in columns if c != "id"]

    def same(a, b):
        return all(_same(a.get(c), b.get(c)) for c in cols)
    match = {g: [c for c in came if same(old[g], new[c])] for g in gone}
    back: dict[str, list[str]] = {}
    for g, cs in match.items():
        for c in cs:
            back.setdefault(c, []).append(g)
    return {g: cs[0] for g, cs in match.items() if len(cs) == 1 and len(back[cs[0]]) == 1}


def _table_changes(old: pd.DataFrame, new: pd.DataFrame, table: str,
                   rename: dict[str, str] | None = None) -> tuple[list[dict], dict[str, str]]:
    a, b = _rows(old), _rows(new)
    columns = list(dict.fromkeys(list(old.columns) + list(new.columns)))
    renamed: dict[str, str] = {}
    if table == "entities":
        renamed = _detect_renames(a, b, columns)
    elif rename:
        for r in a.values():
            for col in ("payer", "payee"):
                if r.get(col) in rename:
                    r[col] = rename[r[col]]
    out: list[dict] = []
    for k, v in renamed.items():
        out.append({"table": table, "change": "renamed", "id": v, "field": "id",
                    "old": k, "new": v})
    label = "amount" if table == "commitments" else "name"
    for k in b:
        if k in a:
            out.extend(_field_changes(table, k, a[k], b[k], columns))
        elif k not in renamed.values():
            out.append({"table": table, "change": "added", "id": k, "field": label,
                        "old": None, "new": b[k].get(label)})
    for k in a:
        if k not in b and k not in renamed:
            out.append({"table": table, "change": "removed", "id": k, "field": label,
                        "old": a[k].get(label), "new": None})
    return out, renamed


def _findings(net: Network, model: str, missing_equity: str | None) -> tuple[dict, dict]:
    from .circulation import max_circulation
    from .contagion import contagion
    from .cycles import count_cycles, heaviest_cycles
    from .ranking import systemic_ranking
    out: dict[str, Any] = dict.fromkeys(FINDINGS)
    notes: dict[str, str] = {}
    count, truncated = count_cycles(net)
    out["cycles"] = count
    if truncated:
        notes["cycles"] = f"the count stopped at its limit ({count}: a lower bound)"
    top = heaviest_cycles(net, top=1).cycles
    if top:
        out["heaviest_cycle"] = tuple(top[0].nodes) + (top[0].nodes[0],)
        out["heaviest_cycle_bottleneck"] = float(top[0].bottleneck)
    else:
        out["heaviest_cycle"] = ()
        out["heaviest_cycle_bottleneck"] = 0.0
    mc = max_circulation(net)
    out["max_circulation"] = float(mc.value)
    out["max_circulation_share"] = float(mc.circularity)
    rule = missing_equity or net.metadata.get("missing_equity") or "skip"
    try:
        rk = systemic_ranking(net, model=model, missing_equity=rule)
        ranked = rk.entities.dropna(subset=["impact"])
        if len(ranked):
            first = ranked.iloc[0]
            out["most_systemic"] = str(first["id"])
            out["most_systemic_impact"] = float(first["impact"])
            r = contagion(net, [str(first["id"])], model=model, missing_equity=rule)
            out["top_shock_defaults"] = frozenset(d for d in r.defaulted if d != first["id"])
    except FinflowError as exc:
        notes["ranking"] = str(exc)
    return out, notes


def _effective(ent: pd.DataFrame, com: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables with ``external`` and ``holder_class`` replaced by what they mean."""
    from ..io.checks import external_flags
    from ..kinds import holder_class_of
    ent = ent.copy()
    ent["external"] = external_flags(ent)
    types = ent["type"] if "type" in ent else pd.Series([None] * len(ent))
    given = ent["holder_class"] if "holder_class" in ent else pd.Series([None] * len(ent))
    ent["holder_class"] = [holder_class_of(t, h) for t, h in zip(types, given)]
    return ent, com


def diff(old: Network, new: Network, *, model: str = "linear-debtrank",
         missing_equity: str | None = None, findings: bool = True) -> DiffResult:
    """Added, removed and changed commitments and entity fields of two networks, renamed
    entities, and what changes in the headline findings.

    Parameters
    ----------
    old, new : Network
        The two versions (any source: folders, files, bundled names, frames).
    model : str, default "linear-debtrank"
        The contagion model of the ranking and of the top shock.
    missing_equity : {"error", "skip", "zero"}, optional
        Rule for entities without equity in those models: default each network's
        ``missing_equity`` setting, else ``"skip"``.
    findings : bool, default True
        Compute the headline findings (False: only the table differences).

    Returns
    -------
    DiffResult

    Notes
    -----
    The definitions (row matching by id, equality, rename detection, the findings) are
    in the docstring of :mod:`finflow.analysis.diff`.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> ent = pd.DataFrame({"id": ["a", "b"], "equity": [1.0, 2.0]})
    >>> v1 = finflow.Network.from_frames(ent, pd.DataFrame(
    ...     {"id": ["c1"], "payer": ["a"], "payee": ["b"], "kind": ["loan"], "amount": [5.0]}))
    >>> v2 = finflow.Network.from_frames(ent, pd.DataFrame(
    ...     {"id": ["c1"], "payer": ["a"], "payee": ["b"], "kind": ["loan"], "amount": [7.0]}))
    >>> d = diff(v1, v2, findings=False)
    >>> d.changes[["change", "id", "field", "old", "new"]].values.tolist()
    [['changed', 'c1', 'amount', 5.0, 7.0]]

    References
    ----------
    See the module docstring.
    """
    ensure_network(old, "diff"), ensure_network(new, "diff")
    oe, oc = _effective(*old.source_tables())
    ne, nc = _effective(*new.source_tables())
    ent_changes, renamed = _table_changes(oe, ne, "entities")
    com_changes, _ = _table_changes(oc, nc, "commitments", renamed)
    changes = pd.DataFrame(ent_changes + com_changes, columns=_CHANGE_COLUMNS)
    order = {"renamed": 0, "added": 1, "removed": 2, "changed": 3}
    if len(changes):
        changes = changes.assign(_t=(changes["table"] != "commitments").astype(int),
                                 _o=changes["change"].map(order)).sort_values(
            ["_t", "_o", "id", "field"], kind="stable").drop(columns=["_t", "_o"])
        changes = changes.reset_index(drop=True)
    for col in ("old", "new"):
        changes[col] = changes[col].astype(object).where(changes[col].notna(), None)

    def count(table, change):
        sel = changes[(changes["table"] == table) & (changes["change"] == change)]
        return sel

    counts = {
        "commitments_added": len(count("commitments", "added")),
        "commitments_removed": len(count("commitments", "removed")),
        "commitments_changed": int(count("commitments", "changed")["id"].nunique()),
        "commitment_fields_changed": len(count("commitments", "changed")),
        "entities_added": len(count("entities", "added")),
        "entities_removed": len(count("entities", "removed")),
        "entities_changed": int(count("entities", "changed")["id"].nunique()),
        "entity_fields_changed": len(count("entities", "changed")),
        "entities_renamed": len(count("entities", "renamed")),
    }
    conv: dict[str, str] = {
        "matching": "rows matched by id; values equal when both missing, numbers within "
                    "a relative 1e-9, or equal texts; the unmerged source tables",
        "renamed": "same id with a new name, or an id only in OLD and one only in NEW with "
                   "every other field equal (paired one-to-one); commitments compared "
                   "through the renaming",
    }
    rows = []
    fo: dict = {}
    fn: dict = {}
    if findings:
        fo, no = _findings(old, model, missing_equity)
        fn, nn = _findings(new, model, missing_equity)
        for k in FINDINGS:
            a, b = fo[k], fn[k]
            num = isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
                not isinstance(a, bool)
            same = a == b if not num else _same(a, b)
            rows.append({"finding": k, "old": _cell(a), "new": _cell(b),
                         "change": (b - a) if num else None, "changed": not same})
        conv["findings"] = (f"each network's default view; ranking and top shock under "
                            f"{model}; missing equity: each network's rule, else skip")
        for side, notes in (("old", no), ("new", nn)):
            for k, v in notes.items():
                conv[f"{side} {k}"] = v
    table = pd.DataFrame(rows, columns=["finding", "old", "new", "change", "changed"])
    table["changed"] = table["changed"].astype(bool)
    def label(net: Network) -> str:
        return str(net.metadata.get("path") or net.name)
    return DiffResult(old=label(old), new=label(new), unit=new.unit_label, changes=changes,
                      findings=table, renamed=renamed, counts=counts, conventions=conv,
                      old_findings=fo if findings else {}, new_findings=fn if findings else {})
