"""Default-shock contagion: threshold cascade, DebtRank (original and linear) and
Eisenberg-Noe clearing with Rogers-Veraart default costs (``DESIGN.md`` section 3).

Each model is a function ``model(network, defaults, shocks, ...)`` returning a
:class:`ContagionResult`; :func:`contagion` dispatches on a model name and, with
``model="all"``, returns a :class:`ContagionComparison` (one side-by-side table).

Shared conventions (stated in every result's ``notes()`` and ``conventions``):

* ``E = network.exposure_matrix(lgd, status, kinds)``: ``E[i, j]`` = what ``i`` loses
  if ``j`` defaults (LGD-weighted); capital = book ``equity``;
  ``L = network.obligation_matrix(status, kinds)`` for clearing.
* A shock maps an id to the fraction of equity lost at the start (1.0 = defaults).
* External holders (``network.external_mask()``: the ``external`` entity flag, type
  ``market`` by default) take losses, never default, do not propagate and need no
  equity; their loss amount (the exposure hit: LGD-weighted exposure to defaulted
  entities, or x relative loss for DebtRank; the unpaid obligations for Eisenberg-Noe)
  is the ``loss`` of their row, and ``losses_by_holder_class`` sums it per holder class.
* Missing equity: ``missing_equity="error"`` (default, or the network's metadata key
  ``missing_equity``) names every entity without equity; ``"skip"`` treats them like
  external ones (they do not propagate); ``"zero"`` gives them no buffer. An entity
  defaulted by the shock needs no equity.
* ``default_rule``: ``">="`` (losses reach equity: default) or ``">"``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import FinflowError
from ..lazy import Deferred, lazy_fields
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from .propagation import (TOL, _is_default, cascade_kernel, clearing_vector, debtrank_kernel,
                          impact_matrix, linear_debtrank_fixed_point, linear_dynamics_rounds)
from .scenario import (DEFAULT_RULES, MODELS, OUTSIDE_DEBT_RULES, Scenario, prepare)
from ..netcheck import ensure_network

__all__ = [
    "MODELS",
    "ContagionResult",
    "ContagionComparison",
    "threshold_cascade",
    "debtrank",
    "linear_debtrank",
    "eisenberg_noe",
    "contagion",
]

MODEL_TITLES = {
    "cascade": "threshold cascade (Furfine 2003; Gai and Kapadia 2010)",
    "debtrank": "DebtRank, original single-hit form (Battiston et al. 2012)",
    "linear-debtrank": "linear DebtRank (Bardoscia et al. 2015)",
    "eisenberg-noe": "Eisenberg-Noe clearing (2001)",
}


def _check_rule(rule: str) -> str:
    if rule not in DEFAULT_RULES:
        raise FinflowError(f"default rule must be '>=' or '>', not {rule!r}")
    return rule


def _shock_text(shock: Mapping[str, float]) -> str:
    parts = [f"{k} defaults" if v >= 1 else f"{k} loses {v:.0%} of equity"
             for k, v in shock.items()]
    return "; ".join(parts) if parts else "none"


@lazy_fields("entities", "payments")
@dataclass(frozen=True)
class ContagionResult(Result):
    """One model's answer to one shock.

    ``entities`` has one row per entity: ``id``, ``name``, ``type``, ``equity`` (the
    capital used; missing for external and skipped entities), ``shock`` (initial
    relative loss), ``loss`` (equity lost, capped at equity; for external or skipped
    entities the amount they lose, uncapped), ``relative_loss`` (loss / equity, in
    [0, 1]), ``defaulted``, ``round`` (round of default; missing if none) and ``role``;
    Eisenberg-Noe adds ``obligations``, ``payment``, ``shortfall``; ``holder_class``
    is each entity's holder class.

    ``losses_by_holder_class`` (network format v2): the loss amounts of the external
    holders summed per holder class: ``holder_class``, ``holders`` (count), ``loss``,
    ``ids``; every class of an external holder has a row, largest loss first.

    ``entities`` is built on first read (:mod:`finflow.lazy`): a model call returns as
    soon as its arithmetic is done, and the 100,000-row frame of a large network is
    assembled only when something looks at it.
    """

    model: str
    network: str
    unit: str
    shock: dict
    conventions: dict
    entities: pd.DataFrame = field(repr=False)
    total_loss: float
    shock_loss: float
    external_loss: float
    total_equity: float
    debtrank: float
    defaulted: tuple
    rounds: int
    skipped: tuple = ()
    zeroed: tuple = ()
    cancelled: pd.DataFrame | None = field(default=None, repr=False)
    payments: pd.DataFrame | None = field(default=None, repr=False)
    diagnostics: dict = field(default_factory=dict)
    derived_external_assets: tuple = ()
    losses_by_holder_class: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Contagion: {MODEL_TITLES.get(self.model, self.model)}"

    def to_frame(self) -> pd.DataFrame:
        return self.entities

    def defaults_by_round(self) -> pd.DataFrame:
        d = self.entities[self.entities["defaulted"]]
        if d.empty:
            return pd.DataFrame({"round": pd.Series(dtype=int), "defaults": pd.Series(dtype=int),
                                 "entities": pd.Series(dtype=object)})
        g = d.groupby("round", sort=True)["id"].agg(list)
        return pd.DataFrame({"round": g.index.astype(int), "defaults": g.map(len).to_numpy(),
                             "entities": [", ".join(v) for v in g]})

    def buffer(self) -> pd.Series:
        """Per entity (aligned with ``entities``) whether its loss is measured against a
        known buffer: ``known`` (its equity), ``equity unknown`` (skipped for lack of equity:
        its loss amount is shown, never a default or a share), ``zero equity (assumed)``
        or ``external`` (an external holder: loses, never defaults)."""
        return _buffer(self.entities)

    def loss_split(self) -> dict[str, float]:
        """The total loss split by buffer: ``equity_lost`` (entities with known equity,
        the initial shock included: :attr:`total_loss`), ``loss_equity_unknown`` and
        ``loss_external`` (amounts lost by entities without a known buffer; an entity
        given zero equity for lack of a figure counts as known, with a buffer of 0)."""
        return _loss_split(self.entities, self.total_loss)

    def tables(self) -> dict[str, pd.DataFrame]:
        cols = ["id", "type", "equity", "buffer", "shock", "loss", "relative_loss",
                "defaulted", "round"]
        if self.model == "eisenberg-noe":
            cols += ["obligations", "payment", "shortfall"]
        cols.append("role")
        ent = self.entities.assign(buffer=self.buffer())
        split = self.loss_split()
        totals = pd.DataFrame([{"model": self.model, "defaults": len(self.defaulted),
                                "rounds": self.rounds, **split,
                                "debtrank": self.debtrank}])
        out = {"entities": ent[cols], "totals": totals,
               "defaults_by_round": self.defaults_by_round()}
        if self.cancelled is not None and len(self.cancelled):
            out["cancelled_nonbinding_claims"] = self.cancelled
        if self.losses_by_holder_class is not None and len(self.losses_by_holder_class):
            out["losses_by_holder_class"] = self.losses_by_holder_class
        return out

    def summary(self) -> list[str]:
        lines = [f"Model: {MODEL_TITLES.get(self.model, self.model)}. Shock: "
                 f"{_shock_text(self.shock)}"
                 + ("; non-binding commitments cancelled" if self.conventions.get(
                     "cancel_nonbinding") else "") + ". Losses are LGD-weighted "
                 "claims at risk under stress assumptions, not realised losses."]
        n_def = len(self.defaulted)
        shocked = sum(1 for v in self.shock.values() if v >= 1)
        lines.append(f"{n_def} entities default ({n_def - shocked} beyond the shocked ones) "
                     f"over {self.rounds} round{'s' if self.rounds != 1 else ''}"
                     + (f": {', '.join(self.defaulted[:12])}" + (" ..." if n_def > 12 else "")
                        if n_def else "") + ".")
        share = self.total_loss / self.total_equity if self.total_equity > 0 else float("nan")
        lines.append(f"Equity lost: {format_number(self.total_loss)} {self.unit} "
                     f"({format_number(share * 100, 1)}% of the modelled equity of "
                     f"{format_number(self.total_equity)}), of which the initial shock "
                     f"{format_number(self.shock_loss)}; DebtRank R (additional, "
                     f"{_weights_label(self.conventions.get('weights'))}) = "
                     f"{self.debtrank:.4f}.")
        split = self.loss_split()
        if split["loss_equity_unknown"] > 0 or split["loss_external"] > 0:
            lines.append(f"Entities without a known buffer lose a further "
                         f"{format_number(split['loss_equity_unknown'] + split['loss_external'])}"
                         f" {self.unit} (not in the equity lost): "
                         f"{format_number(split['loss_equity_unknown'])} by entities of unknown "
                         f"equity, {format_number(split['loss_external'])} by external holders"
                         + _top_losers(self.entities) + ".")
        if self.payments is not None:
            short = float(self.payments["shortfall"].sum())
            lines.append(f"Payments: {format_number(float(self.payments['paid'].sum()))} of "
                         f"{format_number(float(self.payments['due'].sum()))} due are paid; "
                         f"shortfall {format_number(short)} {self.unit}.")
        if self.skipped:
            lines.append(f"Skipped for lack of equity ({len(self.skipped)}; they never default "
                         f"and do not propagate): {', '.join(self.skipped)}.")
        if self.zeroed:
            lines.append(f"Given zero equity for lack of a figure ({len(self.zeroed)}): "
                         f"{', '.join(self.zeroed)}.")
        if self.cancelled is not None and len(self.cancelled):
            per = self.cancelled.groupby("holder")["lost"].sum().sort_values(ascending=False)
            lines.append("Cancelled non-binding claims cost: " + ", ".join(
                f"{k} {format_number(v)}" for k, v in per.head(10).items())
                + (" ..." if len(per) > 10 else "") + ".")
        return lines

    def notes(self) -> list[str]:
        c = self.conventions
        out = [f"model: {c['model']} ({c['reference']})", f"definition: {c['definition']}"]
        for key in ("impact", "default_rule", "solvency", "external_assets", "outside_debt",
                    "costs", "default_shock", "round", "weights", "exactness"):
            if key in c:
                out.append(f"{key.replace('_', ' ')}: {c[key]}")
        out.append(f"shock: {c['shock']}")
        out.append(f"capital: book equity; missing equity rule: {c['missing_equity']}"
                   + (f" (skipped: {', '.join(self.skipped)})" if self.skipped else ""))
        out.append(f"external: {c['external']}")
        out.append(f"statuses: {', '.join(c['statuses']) or 'none'}"
                   + (f" (cancelled as non-binding: {', '.join(c['cancelled_statuses'])})"
                      if c.get("cancel_nonbinding") else ""))
        lgd = c.get("lgd")
        if lgd:
            out.append("LGD: " + ", ".join(f"{k} {v:g}" for k, v in lgd.items()))
        out.append("totals: equity lost by entities with equity, initial shock included; "
                   "entities without a known buffer: their loss amounts, apart; "
                   "DebtRank R = sum of weights x (final - initial relative loss), weights: "
                   f"{c.get('weights', 'equity shares')}")
        if self.derived_external_assets:
            out.append(f"external assets derived from the balance-sheet identity for "
                       f"{len(self.derived_external_assets)} entities: "
                       f"{', '.join(self.derived_external_assets)}")
        return out

    def to_dict(self) -> dict[str, Any]:
        ent = self.entities.copy()
        ent["round"] = ent["round"].astype(object).where(ent["round"].notna(), None)
        out = {
            "model": self.model,
            "network": self.network,
            "unit": self.unit,
            "shock": dict(self.shock),
            "entities": records(ent),
            # one name per measure (README glossary): equity_lost is total_loss
            **jsonable(self.loss_split()),
            "shock_loss": jsonable(self.shock_loss),
            "total_equity": jsonable(self.total_equity),
            "debtrank": jsonable(self.debtrank),
            "defaulted": list(self.defaulted),
            "rounds": int(self.rounds),
            "skipped": list(self.skipped),
            "zeroed": list(self.zeroed),
            "conventions": jsonable(self.conventions),
            "diagnostics": jsonable(self.diagnostics),
        }
        if self.payments is not None:
            out["payments"] = records(self.payments)
            out["external_assets_derived"] = list(self.derived_external_assets)
        if self.cancelled is not None:
            out["cancelled"] = records(self.cancelled)
        if self.losses_by_holder_class is not None:
            out["losses_by_holder_class"] = records(self.losses_by_holder_class)
        return out


def _weights_label(how: str | None) -> str:
    """How DebtRank R is weighted, in two words: "equity-weighted" only for the default
    equity shares (``--weights valuation`` is weighted by valuation)."""
    if not how or str(how).startswith("equity shares"):
        return "equity-weighted"
    return f"weighted by {how}"


def _buffer(entities: pd.DataFrame) -> pd.Series:
    role = entities["role"].astype(str)
    out = np.where(entities["equity"].notna(), "known", "equity unknown").astype(object)
    out[(role == "zero equity").to_numpy()] = "zero (assumed)"
    out[(role == "external").to_numpy()] = "external"
    return pd.Series(out, index=entities.index, name="buffer")


def _loss_split(entities: pd.DataFrame, total_loss: float) -> dict[str, float]:
    buf = _buffer(entities)
    loss = entities["loss"].fillna(0.0)
    return {"equity_lost": float(total_loss),
            "loss_equity_unknown": float(loss[buf == "equity unknown"].sum()),
            "loss_external": float(loss[buf == "external"].sum())}


def _top_losers(entities: pd.DataFrame, k: int = 5) -> str:
    buf = _buffer(entities)
    e = entities[(buf == "equity unknown") | (buf == "external")]
    e = e[e["loss"].fillna(0) > 0].sort_values(["loss", "id"], ascending=[False, True]).head(k)
    if e.empty:
        return ""
    return " (largest: " + ", ".join(f"{n} {format_number(float(v))}"
                                     for n, v in zip(e["name"], e["loss"])) + ")"


def _weights(sc: Scenario, weights) -> tuple[np.ndarray, str]:
    if weights is None:
        weights = sc.network.metadata.get("debtrank_weights")
    if isinstance(weights, str):
        if weights not in sc.network.entities.columns or weights == "id":
            raise FinflowError(f"weights: the entities have no field {weights!r}")
        from ..io.metadata import _numeric_problem
        problem = _numeric_problem(sc.network.entities[weights])
        if problem:  # a text field would silently count as zero everywhere
            raise FinflowError(f"weights: the field {weights!r} {problem}; weights need "
                               "numbers >= 0")
        v = np.nan_to_num(sc.network.entity_vector(weights), nan=0.0)
        if np.any(v < 0):
            raise FinflowError(f"weights: the field {weights!r} has negative values")
        total = v.sum()
        return (v / total if total > 0 else v), f"the entities' {weights} field, normalised to sum 1"
    if weights is None:
        v = np.where(sc.modelled, np.nan_to_num(sc.capital), 0.0)
        how = "equity shares of the entities with equity (Battiston et al. 2012)"
    else:
        if isinstance(weights, Mapping):
            unknown = [k for k in weights if k not in sc.network.position]
            if unknown:
                raise FinflowError(f"weights: unknown entity ids {', '.join(map(str, unknown))}")
            v = np.zeros(sc.n)
            for k, w in weights.items():
                v[sc.network.position[k]] = float(w)
        else:
            v = np.asarray(weights, dtype=float)
            if v.shape != (sc.n,):
                raise FinflowError(f"weights: expected {sc.n} values, got {v.shape}")
        if np.any(v < 0) or not np.all(np.isfinite(v)):
            raise FinflowError("weights must be finite and nonnegative")
        how = "user weights, normalised to sum 1"
    total = v.sum()
    return (v / total if total > 0 else v), how


def _build(sc: Scenario, model: str, conv: dict, *, rel: np.ndarray, loss_amount: np.ndarray,
           defaulted: np.ndarray, rnd: np.ndarray, weights, extra: dict | None = None,
           payments: pd.DataFrame | None = None, diagnostics: dict | None = None,
           derived: tuple = ()) -> ContagionResult:
    """Assemble a result from per-entity arrays (rel: relative loss for modelled
    entities; loss_amount: uncapped loss for the others)."""
    modelled = sc.modelled
    cap = np.where(modelled, sc.capital, np.nan)
    rel = np.where(modelled, np.clip(rel, 0.0, 1.0), np.nan)
    loss = np.where(modelled, rel * np.nan_to_num(cap), loss_amount)
    shock_rel = np.where(modelled, np.minimum(1.0, sc.fraction()), np.nan)
    shock_rel = np.where(sc.forced, 1.0, shock_rel)
    v, how = _weights(sc, weights)
    h0 = np.where(modelled, np.minimum(1.0, sc.fraction()), 0.0)
    R = float(np.sum(v * (np.nan_to_num(rel) - h0)))
    net = sc.network
    pos = net.position
    role_code = np.zeros(sc.n, dtype=np.int8)         # codes into _ROLES
    role_code[sc.external] = 1
    role_code[[pos[k] for k in sc.skipped]] = 2
    role_code[[pos[k] for k in sc.zeroed]] = 3
    role_code[sc.forced] = 4
    role_code[(sc.user_fraction > 0) & ~sc.forced] = 5
    defaulted = defaulted | sc.forced
    rnd = np.where(sc.forced, 0, rnd)
    rnd_val = np.where(defaulted & (rnd >= 0), rnd, -1).astype(np.int64)
    no_round = rnd_val < 0
    labels = net.derived(("contagion", "labels"), lambda: _entity_labels(sc))

    def frame() -> pd.DataFrame:
        # the row order (defaulted first, by round, then by relative loss and loss,
        # then id) from the arrays, so the frame is built once, already in order
        order = np.lexsort((labels["id_rank"], -np.nan_to_num(loss),
                            -np.nan_to_num(rel, nan=-1.0),
                            np.where(no_round, 10**9, rnd_val).astype(float), ~defaulted))
        columns = {
            "id": labels["id"].take(order), "name": labels["name"].take(order),
            "type": labels["type"].take(order), "equity": cap[order],
            "shock": shock_rel[order], "loss": loss[order], "relative_loss": rel[order],
            "defaulted": defaulted[order],
            "round": pd.arrays.IntegerArray(np.where(no_round, 0, rnd_val)[order],
                                            no_round[order].copy()),
        }
        for k, col in (extra or {}).items():
            columns[k] = np.asarray(col)[order]
        columns["role"] = _ROLES.take(role_code[order].astype(np.intp))
        columns["holder_class"] = labels["holder_class"].take(order)
        return pd.DataFrame(columns)

    ext = np.flatnonzero(sc.external)
    by_class = losses_by_holder_class(pd.DataFrame({
        "id": labels["id"].take(ext), "holder_class": labels["holder_class"].take(ext),
        "loss": loss[ext]}))
    conv = dict(conv)
    conv["weights"] = how
    ids = np.asarray(sc.ids, dtype=object)
    d_order = np.lexsort((ids[defaulted], rnd[defaulted]))
    rounds = int(rnd[defaulted].max()) if defaulted.any() and (rnd[defaulted] >= 0).any() else 0
    total_loss = float(np.nansum(np.where(modelled, loss, 0.0)))
    shock_loss = float(np.nansum(np.where(modelled, np.nan_to_num(shock_rel) * np.nan_to_num(cap), 0)))
    return ContagionResult(
        model=model, network=sc.network.name, unit=sc.network.unit_label, shock=dict(sc.shock),
        conventions=conv, entities=Deferred(frame), total_loss=total_loss, shock_loss=shock_loss,
        external_loss=float(np.nansum(np.where(modelled, 0.0, np.nan_to_num(loss_amount)))),
        total_equity=float(np.nansum(cap)), debtrank=R,
        defaulted=tuple(ids[defaulted][d_order]), rounds=rounds, skipped=tuple(sc.skipped),
        zeroed=tuple(sc.zeroed), cancelled=sc.cancelled, payments=payments,
        diagnostics=dict(diagnostics or {}), derived_external_assets=tuple(derived),
        losses_by_holder_class=by_class)


#: the ``role`` column's values, indexed by the codes _build assigns
_ROLES = pd.array(["", "external", "skipped (no equity)", "zero equity", "shocked (defaults)",
                   "shocked"], dtype="str")


def _entity_labels(sc: Scenario) -> dict[str, Any]:
    """Per-network string columns of a result frame, as pandas string arrays over the
    index (taken, not rebuilt, by each call), and each id's rank in sorted order."""
    ids = np.asarray(sc.ids, dtype=object)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    return {"id": pd.array(ids, dtype="str"), "name": pd.array(sc.names, dtype="str"),
            "type": pd.array(sc.types, dtype="str"),
            "holder_class": pd.array(sc.network.holder_classes().to_numpy(dtype=object),
                                     dtype="str"),
            "id_rank": rank}


def losses_by_holder_class(rows: pd.DataFrame) -> pd.DataFrame:
    """Loss amounts of external holders summed per holder class.

    ``rows`` has ``id``, ``holder_class`` and ``loss`` (one row per external holder).
    Returns ``holder_class``, ``holders`` (count), ``loss`` (sum; missing counts as 0)
    and ``ids`` (comma-separated, by loss), largest loss first, then by class name.
    """
    cols = ["holder_class", "holders", "loss", "ids"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("holder_class", "ids") else
                                          float) for c in cols})
    r = rows.assign(loss=np.nan_to_num(rows["loss"].to_numpy(dtype=float)))
    r = r.sort_values(["loss", "id"], ascending=[False, True], kind="stable")
    out = r.groupby("holder_class", sort=False).agg(
        holders=("id", "size"), loss=("loss", "sum"), ids=("id", ", ".join)).reset_index()
    return out.sort_values(["loss", "holder_class"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def _conv(sc: Scenario, model: str, **more: Any) -> dict:
    refs = {
        "cascade": "Furfine 2003; Gai and Kapadia 2010",
        "debtrank": "Battiston, Puliga, Kaushik, Tasca, Caldarelli 2012",
        "linear-debtrank": "Bardoscia, Battiston, Caccioli, Caldarelli 2015",
        "eisenberg-noe": "Eisenberg and Noe 2001; Rogers and Veraart 2013",
    }
    conv = {"model": model, "reference": refs[model]}
    conv.update(more)
    conv.update(sc.base_conventions())
    return conv


# ---------------------------------------------------------------------------------------
# threshold cascade
# ---------------------------------------------------------------------------------------
def threshold_cascade(network: Network, defaults: str | Iterable[str] | None = None,
                      shocks: Mapping[str, float] | Iterable[str] | None = None, *,
                      default_rule: str = ">=", lgd=None, status=None, kinds=None,
                      missing_equity: str | None = None, cancel_nonbinding: bool = False,
                      weights=None) -> ContagionResult:
    """Threshold default cascade: an entity defaults when its accumulated losses reach
    its equity.

    Parameters
    ----------
    network : Network
        The network (its exposure matrix E, obligation matrix L and book equity).
    defaults : str or list of str, optional
        Ids of the entities that default at the start (``--default``).
    shocks : mapping id -> fraction, or ``"ID=FRACTION"`` items, optional
        The share of its equity, in [0, 1], that an entity loses at the start
        (``--shock``; 1 is a default).
    default_rule : {">=", ">"}
        An entity defaults when its losses reach (``>=``, the default) or exceed
        (``>``) its equity.
    lgd : mapping kind -> float, or ``"KIND=X"`` items, optional
        Loss given default per kind of commitment, in [0, 1], over the defaults of
        :data:`finflow.KINDS` and the network's own (see :func:`finflow.resolve_lgd`):
        ``E[i, j]`` is i's LGD-weighted claim on j.
    status : str or list of str, optional
        Statuses of the commitments that make the exposures (``closed``,
        ``committed``, ``loi``, ``reported``, ``lapsed`` or ``"all"``; default: every
        status but ``lapsed``).
    kinds : str or list of str, optional
        Kinds of the commitments that make the exposures (default: every kind).
    missing_equity : {"error", "skip", "zero"}, optional
        Entities without book equity: stop with a :class:`~finflow.MissingDataError`
        (``"error"``), leave them out (they never default and do not propagate;
        ``"skip"``) or give them zero equity (``"zero"``). Default: the network's
        ``missing_equity`` metadata, else ``"error"``.
    cancel_nonbinding : bool
        Scenario: commitments of status ``loi`` and ``reported`` do not happen; each
        claim holder loses its LGD-weighted claim on them at the start.
    weights : mapping id -> float, or an array over ``network.index``, optional
        The weights ``v_i`` of DebtRank ``R = sum_i v_i (h_i(final) - h_i(0))``
        (default: each entity's share of the total equity), as NetworkRiskMeasures'
        ``weights``.

    Returns
    -------
    ContagionResult

    Raises
    ------
    FinflowError
        Unknown ids, fractions outside [0, 1], a shocked external holder.
    MissingDataError
        Entities without equity under ``missing_equity="error"``.

    Notes
    -----
    Round 0: the shocked entities (and any whose initial loss already meets the rule).
    At round t an entity's loss is ``shock fraction x equity + sum over defaulted j of
    E[i, j]``; it defaults at the first round where loss >= equity (``>=``) or loss >
    equity (``>``). Full LGD-weighted exposure is lost on a default and nothing on a
    partial loss (Furfine's rule; NetworkRiskMeasures' ``threshold``). Losses reported
    are capped at equity. Each round is one sparse mat-vec: O(rounds x nnz(E)).

    Examples
    --------
    b lends a 4 (LGD 1) with equity 3; c lends b 2 with equity 2: a's default takes
    b (4 >= 3) in round 1 and then c (2 >= 2) in round 2.

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b", "c"], "equity": [1.0, 3.0, 2.0]}),
    ...     pd.DataFrame({"payer": ["b", "c"], "payee": ["a", "b"], "kind": ["loan", "loan"],
    ...                   "amount": [4.0, 2.0]}))
    >>> r = threshold_cascade(net, ["a"], lgd={"loan": 1})
    >>> r.defaulted, r.rounds
    (('a', 'b', 'c'), 2)

    References
    ----------
    Furfine (2003), "Interbank exposures: quantifying the risk of contagion", Journal of
    Money, Credit and Banking 35(1): 111-128. Gai, Kapadia (2010), "Contagion in
    financial networks", Proceedings of the Royal Society A 466: 2401-2423.
    """
    ensure_network(network, "threshold_cascade")
    rule = _check_rule(default_rule)
    sc = prepare(network, defaults, shocks, lgd=lgd, status=status, kinds=kinds,
                 missing_equity=missing_equity, cancel_nonbinding=cancel_nonbinding)
    E = sc.exposure()
    propagating = sc.modelled | sc.forced
    E = _columns(E, propagating)
    cap = sc.capital
    loss, d, rnd, t = cascade_kernel(E, cap, sc.initial_loss, sc.forced, rule)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(loss > 0, np.minimum(1.0, loss / cap), 0.0)
    rel = np.where(d, 1.0, rel)                  # a defaulted entity has lost its equity
    conv = _conv(sc, "cascade",
                 definition="an entity defaults when its accumulated losses (shock + "
                            "LGD-weighted exposures to defaulted entities) reach its equity; "
                            "a default passes on the full exposure, a partial loss nothing",
                 default_rule=f"'{rule}' (default when losses {'reach' if rule == '>=' else 'exceed'}"
                              " equity; relative tolerance 1e-12)",
                 round="0 = shocked; t = defaulted by the losses of round t-1's defaults")
    return _build(sc, "cascade", conv, rel=rel, loss_amount=loss, defaulted=d, rnd=rnd,
                  weights=weights, diagnostics={"rounds": t})


def _columns(M: sp.csr_array, keep: np.ndarray) -> sp.csr_array:
    """M with the columns outside ``keep`` dropped (entities that do not propagate);
    M itself (not a copy) when every column is kept."""
    M = sp.csr_array(M)
    if keep.all():
        return M
    M.sum_duplicates()
    on = keep[M.indices]
    indptr = np.concatenate([[0], np.cumsum(on)])[M.indptr].astype(M.indptr.dtype)
    out = sp.csr_array((M.data[on], M.indices[on], indptr), shape=M.shape)
    out.has_sorted_indices = M.has_sorted_indices
    return out


# ---------------------------------------------------------------------------------------
# DebtRank
# ---------------------------------------------------------------------------------------
def debtrank(network: Network, defaults=None, shocks=None, *, default_rule: str = ">=",
             lgd=None, status=None, kinds=None, missing_equity: str | None = None,
             cancel_nonbinding: bool = False, weights=None) -> ContagionResult:
    """Original DebtRank (Battiston et al. 2012): distress spreads along exposures, each
    distressed entity passes it on once.

    Parameters
    ----------
    network : Network
        The network (its exposure matrix E, obligation matrix L and book equity).
    defaults : str or list of str, optional
        Ids of the entities that default at the start (``--default``).
    shocks : mapping id -> fraction, or ``"ID=FRACTION"`` items, optional
        The share of its equity, in [0, 1], that an entity loses at the start
        (``--shock``; 1 is a default).
    default_rule : {">=", ">"}
        An entity defaults when its losses reach (``>=``, the default) or exceed
        (``>``) its equity.
    lgd : mapping kind -> float, or ``"KIND=X"`` items, optional
        Loss given default per kind of commitment, in [0, 1], over the defaults of
        :data:`finflow.KINDS` and the network's own (see :func:`finflow.resolve_lgd`):
        ``E[i, j]`` is i's LGD-weighted claim on j.
    status : str or list of str, optional
        Statuses of the commitments that make the exposures (``closed``,
        ``committed``, ``loi``, ``reported``, ``lapsed`` or ``"all"``; default: every
        status but ``lapsed``).
    kinds : str or list of str, optional
        Kinds of the commitments that make the exposures (default: every kind).
    missing_equity : {"error", "skip", "zero"}, optional
        Entities without book equity: stop with a :class:`~finflow.MissingDataError`
        (``"error"``), leave them out (they never default and do not propagate;
        ``"skip"``) or give them zero equity (``"zero"``). Default: the network's
        ``missing_equity`` metadata, else ``"error"``.
    cancel_nonbinding : bool
        Scenario: commitments of status ``loi`` and ``reported`` do not happen; each
        claim holder loses its LGD-weighted claim on them at the start.
    weights : mapping id -> float, or an array over ``network.index``, optional
        The weights ``v_i`` of DebtRank ``R = sum_i v_i (h_i(final) - h_i(0))``
        (default: each entity's share of the total equity), as NetworkRiskMeasures'
        ``weights``.

    Returns
    -------
    ContagionResult
        ``relative_loss`` is DebtRank's h in [0, 1]; ``debtrank`` is
        ``R = sum_i v_i (h_i(final) - h_i(0))`` (NetworkRiskMeasures' "additional
        stress").

    Raises
    ------
    FinflowError, MissingDataError
        As :func:`threshold_cascade`.

    Notes
    -----
    Impact ``W[i, j] = min(1, E[i, j] / equity_i)`` (zero equity: 1 on any exposure).
    ``h(0)`` = the shock; every entity with ``h > 0`` starts *distressed*. Each step
    ``h_i(t) = min(1, h_i(t-1) + sum_{j distressed at t-1} W[i, j] h_j(t-1))`` for every
    entity, the inactive ones included (as NetworkRiskMeasures' ``debt_rank``); the
    entities distressed at t-1 become inactive and those with ``h > 0`` not inactive
    become distressed; stop when none is distressed. An entity defaults when its
    uncapped relative loss reaches 1 (``>=``) or exceeds it (``>``); its round is the
    step at which it did. Each entity propagates once, so at most n steps of one sparse
    mat-vec each.

    Examples
    --------
    NetworkRiskMeasures' 3-bank example (``docs/worked_examples.md`` 3.1): c's default
    leaves h = (0.3, 0.9, 1), R = 0.6642857 with weights 10, 100, 30.

    >>> import finflow
    >>> net = finflow.load("debtrank_3bank")  # that example, bundled (LGD 1, its weights)
    >>> r = debtrank(net, ["c"])
    >>> round(r.debtrank, 7)
    0.6642857

    References
    ----------
    Battiston, Puliga, Kaushik, Tasca, Caldarelli (2012), "DebtRank: too central to
    fail? Financial networks, the FED and systemic risk", Scientific Reports 2: 541.
    """
    ensure_network(network, "debtrank")
    rule = _check_rule(default_rule)
    sc = prepare(network, defaults, shocks, lgd=lgd, status=status, kinds=kinds,
                 missing_equity=missing_equity, cancel_nonbinding=cancel_nonbinding)
    E = sc.exposure()
    propagating = sc.modelled | sc.forced
    W = impact_matrix(E, sc.capital, propagating, capped=True)
    u0 = np.where(sc.forced, 1.0, sc.fraction())
    zero_cap = sc.modelled & (np.nan_to_num(sc.capital) == 0)
    h, u, d, rnd, steps = debtrank_kernel(W, u0, sc.forced, rule, zero_cap=zero_cap)
    d = d & (sc.modelled | sc.forced)
    ext_loss = _columns(E, propagating) @ h
    conv = _conv(sc, "debtrank",
                 definition="h_i(t) = min(1, h_i(t-1) + sum over j distressed at t-1 of "
                            "W_ij h_j(t-1)); each distressed entity propagates once; the "
                            "update applies to every entity, inactive ones included",
                 impact="W = min(1, E / equity) (capped at 1)",
                 default_rule=f"'{rule}': defaulted when the uncapped relative loss "
                              f"{'reaches' if rule == '>=' else 'exceeds'} 1",
                 round="step of the DebtRank dynamics at which the entity reached 1")
    return _build(sc, "debtrank", conv, rel=h, loss_amount=ext_loss, defaulted=d, rnd=rnd,
                  weights=weights, diagnostics={"steps": steps})


def linear_debtrank(network: Network, defaults=None, shocks=None, *, default_rule: str = ">=",
                    lgd=None, status=None, kinds=None, missing_equity: str | None = None,
                    cancel_nonbinding: bool = False, weights=None,
                    max_iter: int = 10_000) -> ContagionResult:
    """Linear DebtRank (Bardoscia et al. 2015): every increment of distress propagates
    until the fixed point; found exactly.

    Parameters
    ----------
    network : Network
        The network (its exposure matrix E, obligation matrix L and book equity).
    defaults : str or list of str, optional
        Ids of the entities that default at the start (``--default``).
    shocks : mapping id -> fraction, or ``"ID=FRACTION"`` items, optional
        The share of its equity, in [0, 1], that an entity loses at the start
        (``--shock``; 1 is a default).
    default_rule : {">=", ">"}
        An entity defaults when its losses reach (``>=``, the default) or exceed
        (``>``) its equity.
    lgd : mapping kind -> float, or ``"KIND=X"`` items, optional
        Loss given default per kind of commitment, in [0, 1], over the defaults of
        :data:`finflow.KINDS` and the network's own (see :func:`finflow.resolve_lgd`):
        ``E[i, j]`` is i's LGD-weighted claim on j.
    status : str or list of str, optional
        Statuses of the commitments that make the exposures (``closed``,
        ``committed``, ``loi``, ``reported``, ``lapsed`` or ``"all"``; default: every
        status but ``lapsed``).
    kinds : str or list of str, optional
        Kinds of the commitments that make the exposures (default: every kind).
    missing_equity : {"error", "skip", "zero"}, optional
        Entities without book equity: stop with a :class:`~finflow.MissingDataError`
        (``"error"``), leave them out (they never default and do not propagate;
        ``"skip"``) or give them zero equity (``"zero"``). Default: the network's
        ``missing_equity`` metadata, else ``"error"``.
    cancel_nonbinding : bool
        Scenario: commitments of status ``loi`` and ``reported`` do not happen; each
        claim holder loses its LGD-weighted claim on them at the start.
    weights : mapping id -> float, or an array over ``network.index``, optional
        The weights ``v_i`` of DebtRank ``R = sum_i v_i (h_i(final) - h_i(0))``
        (default: each entity's share of the total equity), as NetworkRiskMeasures'
        ``weights``.
    max_iter : int
        The most steps of the capped dynamics the exact solver
        (:func:`~finflow.analysis.propagation.linear_debtrank_fixed_point`) takes before
        its always-exact fallback (the result does not depend on it).

    Returns
    -------
    ContagionResult
        ``diagnostics`` gives the solver's iterations, linear solves and method.

    Raises
    ------
    FinflowError, MissingDataError
        As :func:`threshold_cascade`.

    Notes
    -----
    Leverage ``Lambda[i, j] = E[i, j] / equity_i``, not capped (zero equity: any
    positive loss of a counterparty defaults the entity). The dynamics
    ``h(t+1) = min(1, h(t) + Lambda (h(t) - h(t-1)))``, ``h(0) = s``, converge to the
    least fixed point of ``y = min(1, s + Lambda y)``, which is computed exactly by a
    few sparse linear solves on the unsaturated set (proof in
    :func:`~finflow.analysis.propagation.linear_debtrank_fixed_point`), not by
    iterating to a tolerance: near a spectral radius of 1 an early-stopped iteration can
    be off by 14x (``docs/worked_examples.md`` 3.4). An entity defaults when
    ``s_i + (Lambda y)_i`` reaches 1 (``>=``) or exceeds it (``>``); its round is the
    step of the dynamics at which it reached 1 (missing if only in the limit or after
    1,000 steps).

    Examples
    --------
    NetworkRiskMeasures' 3-bank example, linear form (``docs/worked_examples.md`` 3.2):
    c's default now leaves h = (0.5, 1, 1), R = 0.75 (the single-hit form gives 0.664).

    >>> import finflow
    >>> net = finflow.load("debtrank_3bank")  # that example, bundled (LGD 1, its weights)
    >>> r = linear_debtrank(net, ["c"])
    >>> round(r.debtrank, 7)
    0.75

    References
    ----------
    Bardoscia, Battiston, Caccioli, Caldarelli (2015), "DebtRank: A microscopic
    foundation for shock propagation", PLoS ONE 10(6): e0130406.
    """
    ensure_network(network, "linear_debtrank")
    rule = _check_rule(default_rule)
    sc = prepare(network, defaults, shocks, lgd=lgd, status=status, kinds=kinds,
                 missing_equity=missing_equity, cancel_nonbinding=cancel_nonbinding)
    E = sc.exposure()
    propagating = sc.modelled | sc.forced
    Lam = impact_matrix(E, sc.capital, propagating, capped=False)
    raw = np.where(sc.forced, 1.0, sc.fraction())
    s = np.minimum(1.0, raw)
    zero_cap = sc.modelled & (np.nan_to_num(sc.capital) == 0)
    fp = linear_debtrank_fixed_point(Lam, s, zero_cap=zero_cap, max_iter=max_iter)
    pressure = fp.pressure + (raw - s)
    d = sc.forced | (sc.modelled & (pressure > 0) & _is_default(pressure, rule))
    rnd = linear_dynamics_rounds(Lam, s, d & ~sc.forced, zero_cap=zero_cap)
    rnd = np.where(raw >= 1.0 - TOL, 0, rnd)
    ext_loss = _columns(E, propagating) @ fp.y
    conv = _conv(sc, "linear-debtrank",
                 definition="h(t+1) = min(1, h(t) + Lambda (h(t) - h(t-1))) until the fixed "
                            "point: every increment of distress propagates",
                 impact="Lambda = E / equity (leverage, not capped; h capped at 1)",
                 default_rule=f"'{rule}': defaulted when s + Lambda h "
                              f"{'reaches' if rule == '>=' else 'exceeds'} 1",
                 exactness="least fixed point of h = min(1, s + Lambda h) by exact sparse "
                           "linear solves on the unsaturated set (not iteration to a "
                           "tolerance)",
                 round="step of the dynamics at which the entity reached 1")
    return _build(sc, "linear-debtrank", conv, rel=fp.y, loss_amount=ext_loss, defaulted=d,
                  rnd=rnd, weights=weights,
                  diagnostics={"iterations": fp.iterations, "solves": fp.solves,
                               "method": fp.method})


# ---------------------------------------------------------------------------------------
# Eisenberg-Noe / Rogers-Veraart
# ---------------------------------------------------------------------------------------
LENDING_KINDS = ("loan", "bond", "credit")


def eisenberg_noe(network: Network, defaults=None, shocks=None, *, alpha: float = 1.0,
                  beta: float = 1.0, outside_debt: str = "pari_passu", lgd=None, status=None,
                  kinds=None, missing_equity: str | None = None,
                  cancel_nonbinding: bool = False, weights=None) -> ContagionResult:
    """Eisenberg-Noe clearing of the obligation matrix, with Rogers-Veraart default
    costs: who cannot pay in full, and how much each pays.

    Parameters
    ----------
    network : Network
        The network (its obligation matrix L, book equity and external assets; an
        entity with ``external_assets`` needs no equity).
    defaults : str or list of str, optional
        Ids of the entities that default at the start (``--default``).
    shocks : mapping id -> fraction, or ``"ID=FRACTION"`` items, optional
        The share of its equity, in [0, 1], that an entity loses at the start
        (``--shock``; 1 is a default).
    alpha, beta : float in [0, 1]
        Rogers-Veraart default costs: a defaulting entity realises ``alpha`` of its
        external assets and ``beta`` of the payments it receives (1, 1 = Eisenberg-Noe).
    outside_debt : {"pari_passu", "senior", "ignore"}
        Debt owed outside the network, ``b_i = max(0, debt_i - in-network loan, bond
        and credit principal owed by i)`` where ``debt`` is known (else 0):
        ``pari_passu`` = part of the obligations, paid pro rata with them (Eisenberg-Noe,
        Glasserman-Young); ``senior`` = paid first out of external assets
        (``e' = max(0, e - b)``); ``ignore`` = left out.
    lgd : mapping kind -> float, or ``"KIND=X"`` items, optional
        Loss given default per kind of commitment, in [0, 1], over the defaults of
        :data:`finflow.KINDS` and the network's own (see :func:`finflow.resolve_lgd`):
        Here it only prices the claims cancelled by ``cancel_nonbinding``.
    status : str or list of str, optional
        Statuses of the commitments that make the obligations (``closed``,
        ``committed``, ``loi``, ``reported``, ``lapsed`` or ``"all"``; default: every
        status but ``lapsed``).
    kinds : str or list of str, optional
        Kinds of the commitments that make the obligations (default: every kind).
    missing_equity : {"error", "skip", "zero"}, optional
        Entities without book equity: stop with a :class:`~finflow.MissingDataError`
        (``"error"``), leave them out (they never default and do not propagate;
        ``"skip"``) or give them zero equity (``"zero"``). Default: the network's
        ``missing_equity`` metadata, else ``"error"``.
    cancel_nonbinding : bool
        Scenario: commitments of status ``loi`` and ``reported`` do not happen; each
        claim holder loses its LGD-weighted claim on them at the start.
    weights : mapping id -> float, or an array over ``network.index``, optional
        The weights ``v_i`` of DebtRank ``R = sum_i v_i (h_i(final) - h_i(0))``
        (default: each entity's share of the total equity), as NetworkRiskMeasures'
        ``weights``.

    Returns
    -------
    ContagionResult
        With ``payments`` (per entity: due, paid, shortfall) and the entity columns
        ``obligations``, ``payment``, ``shortfall``.

    Raises
    ------
    FinflowError, MissingDataError
        As :func:`threshold_cascade`, and ``alpha``/``beta`` outside [0, 1].

    Notes
    -----
    ``L[i, j]`` = nominal amount i owes j (``network.obligation_matrix``),
    ``pbar_i = sum_j L[i, j] + b_i``. External assets ``e_i`` are the
    ``external_assets`` field where present; else derived from the balance-sheet
    identity so that full payment leaves book equity: ``e_i = equity_i + pbar_i - a_i``
    (``a_i = sum_j L[j, i]``), clipped at 0 (the result lists these entities). A shock
    fraction f lowers ``e_i`` by ``f x equity_i``, floored at 0 (the entity's loss is at
    least ``f x equity_i``: the part its external assets cannot absorb is a write-down
    of its claims, which does not change payments); a ``--default`` wipes ``e_i`` (the
    entity is reported defaulted in round 0 and pays what the clearing rule gives it);
    a cancelled non-binding claim lowers ``e_i`` by its LGD-weighted amount. Entities of
    external holders and skipped entities always pay in full. The greatest clearing vector
    comes from the fictitious-default algorithm with exact linear solves
    (:func:`~finflow.analysis.propagation.clearing_vector`); solvency is
    ``income >= obligations`` (the default rule does not apply). Loss = drop of the
    equity value ``max(0, e + received - pbar)`` (0 when insolvent) from the unshocked
    clearing, capped at equity; round = fictitious-default round - 1 (0 = insolvent even
    when everyone pays in full).

    Examples
    --------
    a owes b 10 (a loan from b); a's external assets are derived as equity 1 + 10 = 11.
    a's default wipes them, so a pays nothing: b receives nothing of the 10 it is owed
    and loses its whole equity of 2, but owes nothing, so it does not default:

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b"], "equity": [1.0, 2.0]}),
    ...     pd.DataFrame({"payer": ["b"], "payee": ["a"], "kind": ["loan"], "amount": [10.0]}))
    >>> r = eisenberg_noe(net, ["a"])
    >>> r.payments.set_index("id")["paid"].tolist(), r.defaulted
    ([0.0, 0.0], ('a',))
    >>> r.entities.set_index("id").loc["b", ["loss", "relative_loss"]].tolist()
    [2.0, 1.0]

    References
    ----------
    Eisenberg, Noe (2001), "Systemic risk in financial systems", Management Science
    47(2): 236-249. Rogers, Veraart (2013), "Failure and rescue in an interbank
    network", Management Science 59(4): 882-898. Glasserman, Young (2015), "How likely
    is contagion in financial networks?", Journal of Banking and Finance 50: 383-399.
    """
    ensure_network(network, "eisenberg_noe")
    for name, x in (("alpha", alpha), ("beta", beta)):
        if not 0.0 <= float(x) <= 1.0:
            raise FinflowError(f"{name} must lie in [0, 1], got {x}")
    if outside_debt not in OUTSIDE_DEBT_RULES:
        raise FinflowError(f"outside debt must be one of {', '.join(OUTSIDE_DEBT_RULES)}, "
                           f"not {outside_debt!r}")
    ents = network.entities
    e_given = network.entity_vector("external_assets") if "external_assets" in ents \
        else np.full(network.n, np.nan)
    sc = prepare(network, defaults, shocks, lgd=lgd, status=status, kinds=kinds,
                 missing_equity=missing_equity, cancel_nonbinding=cancel_nonbinding,
                 has_capital=np.isfinite(e_given), require_shock=False)
    n = sc.n
    L = sc.obligations()
    a = np.asarray(L.sum(axis=0)).ravel()
    owe_in = np.asarray(L.sum(axis=1)).ravel()
    debt = network.entity_vector("debt") if "debt" in ents else np.full(n, np.nan)
    lend = np.asarray(sc.obligations(LENDING_KINDS).sum(axis=1)).ravel()
    b = np.where(np.isfinite(debt), np.maximum(0.0, debt - lend), 0.0)
    if outside_debt == "ignore":
        b = np.zeros(n)
    has_e = np.isfinite(e_given)
    eq = np.where(np.isfinite(sc.capital), sc.capital, np.nan)
    derived_mask = ~has_e & np.isfinite(eq) & ~sc.external
    e = np.where(has_e, e_given, np.maximum(0.0, np.nan_to_num(eq) + owe_in + b - a))
    never = sc.external | (~np.isfinite(sc.capital) & ~has_e & ~sc.forced)
    if outside_debt == "senior":
        e_eff = np.maximum(0.0, e - b)
        out_b = np.zeros(n)
    else:
        e_eff = e
        out_b = b
    e_eff = np.where(never, 0.0, e_eff)
    base = clearing_vector(L, e_eff, outside=out_b, alpha=alpha, beta=beta, never_default=never)
    pbar = base.obligations
    v0 = np.where(base.insolvent, 0.0, np.maximum(0.0, e_eff + base.received - pbar))
    # capital: book equity, else (external assets given) the unshocked equity value
    cap = np.where(np.isfinite(sc.capital), sc.capital, np.where(has_e & ~sc.external, v0, np.nan))
    sc.capital = cap
    sc.initial_loss = np.where(np.isfinite(cap), sc.user_fraction * np.nan_to_num(cap), 0.0) + \
        (sc.initial_loss - np.where(np.isfinite(sc.equity) & ~sc.external,
                                    sc.user_fraction * np.nan_to_num(np.maximum(sc.equity, 0)), 0.0))
    e_s = np.maximum(0.0, e_eff - sc.initial_loss)
    e_s = np.where(sc.forced, 0.0, e_s)
    never_s = never & ~sc.forced
    c = clearing_vector(L, e_s, outside=out_b, alpha=alpha, beta=beta, never_default=never_s)
    v1 = np.where(c.insolvent, 0.0, np.maximum(0.0, e_s + c.received - pbar))
    modelled = np.isfinite(cap)
    with np.errstate(divide="ignore", invalid="ignore"):
        # the part of a shock that external assets cannot absorb is a write-down of the
        # entity's claims: a loss of equity that does not change what it pays
        drop = np.maximum(np.maximum(0.0, v0 - v1), sc.initial_loss)
        rel = np.where(cap > 0, np.minimum(1.0, drop / np.where(cap > 0, cap, 1.0)),
                       np.where(c.insolvent | sc.forced, 1.0, 0.0))
    rel = np.where(sc.forced, 1.0, rel)          # a defaulted entity has lost its equity
    unpaid_in = np.maximum(0.0, a - c.received)          # what external entities miss
    unpaid_in[unpaid_in <= 1e-12 * (a + 1.0)] = 0.0       # rounding, not a loss
    rnd = np.where(c.round > 0, c.round - 1, -1)
    shortfall = np.maximum(0.0, pbar - c.payments)
    labels = network.derived(("contagion", "labels"), lambda: _entity_labels(sc))
    payments = Deferred(lambda: pd.DataFrame({
        "id": labels["id"], "due": pbar, "paid": c.payments, "shortfall": shortfall,
        "paid_outside": c.paid_outside, "received": c.received}))
    ids = np.asarray(sc.ids, dtype=object)
    conv = _conv(sc, "eisenberg-noe",
                 definition="greatest clearing vector p = min(pbar, e + Pi^T p) (defaulting "
                            "entities pay alpha e + beta Pi^T p), fictitious-default "
                            "algorithm with exact linear solves",
                 solvency="income >= obligations is solvent (the default rule does not apply)",
                 costs=f"alpha = {alpha:g}, beta = {beta:g}"
                       + (" (Eisenberg-Noe: no default costs)" if alpha == beta == 1 else
                          " (Rogers-Veraart default costs)"),
                 outside_debt=f"{outside_debt}: b = max(0, debt - in-network loan/bond/credit "
                              "principal owed) where debt is known",
                 external_assets="the external_assets field where given; else equity + "
                                 "obligations - in-network claims (balance-sheet identity), "
                                 "clipped at 0",
                 default_shock="--default wipes the entity's external assets; --shock f "
                               "lowers them by f x equity (floored at 0; the entity's loss is "
                               "at least f x equity)",
                 round="fictitious-default round - 1 (0 = insolvent even at full payment)")
    conv.pop("lgd", None)
    if cancel_nonbinding:
        conv["lgd"] = {k: v for k, v in sc.lgd.items() if k in sc.kinds and k != "other"}
    return _build(sc, "eisenberg-noe", conv, rel=rel, loss_amount=unpaid_in,
                  defaulted=c.insolvent & (modelled | sc.forced), rnd=rnd, weights=weights,
                  extra={"obligations": pbar, "payment": c.payments, "shortfall": shortfall},
                  payments=payments,
                  diagnostics={"fictitious_default_rounds": c.rounds,
                               "baseline_defaults": [str(x) for x in ids[base.insolvent]]},
                  derived=tuple(ids[derived_mask]))


# ---------------------------------------------------------------------------------------
# dispatcher and side-by-side comparison
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ContagionComparison(Result):
    """Every model's answer to one shock, side by side (``--model all``)."""

    network: str
    unit: str
    shock: dict
    results: dict
    table: pd.DataFrame = field(repr=False)
    totals: pd.DataFrame = field(repr=False)
    title: str = "Contagion: every model side by side"

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def tables(self) -> dict[str, pd.DataFrame]:
        # every entity that loses something or defaults under some model, and every entity
        # with equity; the untouched entities without equity are counted in the summary
        out = {"entities": self._shown().reset_index(drop=True),
               "totals_by_model": self.totals}
        by_class = self.losses_by_holder_class()
        if len(by_class):
            out["losses_by_holder_class"] = by_class
        return out

    def _shown(self) -> pd.DataFrame:
        t = self.table
        loss = t[[c for c in t.columns if c.endswith("_loss")]].fillna(0.0)
        dflt = t[[c for c in t.columns if c.endswith("_default")]]
        keep = ((loss > 0).any(axis=1) | dflt.any(axis=1) | t["equity"].notna()).to_numpy()
        return t[keep]

    def losses_by_holder_class(self) -> pd.DataFrame:
        """The external holders' loss per holder class under each model: one row per
        class, a column per model (cascade, debtrank, linear, en)."""
        parts = {_SHORT[m]: r.losses_by_holder_class.set_index("holder_class")["loss"]
                 for m, r in self.results.items() if r.losses_by_holder_class is not None}
        if not parts or all(p.empty for p in parts.values()):
            return pd.DataFrame(columns=["holder_class", *parts])
        frame = pd.DataFrame(parts).fillna(0.0)
        frame = frame.loc[frame.max(axis=1).sort_values(ascending=False, kind="stable").index]
        return frame.rename_axis("holder_class").reset_index()

    def summary(self) -> list[str]:
        first = next(iter(self.results.values()))
        lines = [f"Shock: {_shock_text(self.shock)}"
                 + ("; non-binding commitments cancelled" if first.conventions.get(
                     "cancel_nonbinding") else "") + ". Per entity and model: the loss "
                 "amount, the share of its equity lost and whether it defaults (where its "
                 "equity is known); amounts in " + self.unit + ". An exposure is a claim at "
                 "risk, not a realised loss."]
        for m, r in self.results.items():
            split = r.loss_split()
            lines.append(f"{m}: {len(r.defaulted)} defaults in {r.rounds} "
                         f"round{'s' if r.rounds != 1 else ''}, equity lost "
                         f"{format_number(r.total_loss)} by entities with known equity; "
                         f"further losses {format_number(split['loss_equity_unknown'])} by "
                         f"entities of unknown equity and {format_number(split['loss_external'])}"
                         f" by external holders; DebtRank R {r.debtrank:.4f}.")
        if first.skipped:
            hidden = len(self.table) - len(self._shown())
            lines.append(f"Equity unknown ({len(first.skipped)}: they never default and do "
                         "not propagate; their loss amounts are in the table)"
                         + (f"; {hidden} of them lose nothing under any model and are not "
                            "listed" if hidden else "") + ".")
        return lines

    def notes(self) -> list[str]:
        out = []
        for m, r in self.results.items():
            c = r.conventions
            extra = "; ".join(str(c[k]) for k in ("impact", "default_rule", "solvency", "costs",
                                                  "outside_debt") if k in c)
            out.append(f"{m}: {c['reference']}; {extra}")
        first = next(iter(self.results.values()))
        c = first.conventions
        out.append(f"shock: {c['shock']}; missing equity rule: {c['missing_equity']}")
        out.append(f"external: {c['external']}")
        out.append(f"statuses: {', '.join(c['statuses']) or 'none'}")
        if c.get("lgd"):
            out.append("LGD: " + ", ".join(f"{k} {v:g}" for k, v in c["lgd"].items()))
        en = self.results.get("eisenberg-noe")
        if en is not None and en.derived_external_assets:
            out.append(f"eisenberg-noe: external assets derived from the balance-sheet "
                       f"identity for {len(en.derived_external_assets)} entities")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "all",
            "models": list(self.results),
            "network": self.network,
            "unit": self.unit,
            "shock": dict(self.shock),
            "entities": records(self.table),
            "totals": records(self.totals),
            "results": {m: r.to_dict() for m, r in self.results.items()},
            "conventions": {m: jsonable(r.conventions) for m, r in self.results.items()},
        }


_SHORT = {"cascade": "cascade", "debtrank": "debtrank", "linear-debtrank": "linear",
          "eisenberg-noe": "en"}


def contagion(network: Network, defaults=None, shocks=None, *, model: str = "all",
              default_rule: str = ">=", alpha: float = 1.0, beta: float = 1.0,
              outside_debt: str = "pari_passu", lgd=None, status=None, kinds=None,
              missing_equity: str | None = None, cancel_nonbinding: bool = False,
              weights=None) -> ContagionResult | ContagionComparison:
    """Run one contagion model by name, or every model side by side (``model="all"``).

    Parameters
    ----------
    network : Network
        The network (its exposure matrix E, obligation matrix L and book equity).
    defaults : str or list of str, optional
        Ids of the entities that default at the start (``--default``).
    shocks : mapping id -> fraction, or ``"ID=FRACTION"`` items, optional
        The share of its equity, in [0, 1], that an entity loses at the start
        (``--shock``; 1 is a default).
    model : {"cascade", "debtrank", "linear-debtrank", "eisenberg-noe", "all"}
        The model (:func:`threshold_cascade`, :func:`debtrank`,
        :func:`linear_debtrank`, :func:`eisenberg_noe`), or every one side by side
        (default). Each model takes the options below that apply to it.
    default_rule : {">=", ">"}
        An entity defaults when its losses reach (``>=``, the default) or exceed
        (``>``) its equity.
    alpha, beta : float in [0, 1]
        Rogers-Veraart default costs: a defaulting entity realises ``alpha`` of its
        external assets and ``beta`` of the payments it receives (1, 1 = Eisenberg-Noe).
    outside_debt : {"pari_passu", "senior", "ignore"}
        Debt owed outside the network, ``b_i = max(0, debt_i - in-network loan, bond
        and credit principal owed by i)`` where ``debt`` is known (else 0):
        ``pari_passu`` = part of the obligations, paid pro rata with them (Eisenberg-Noe,
        Glasserman-Young); ``senior`` = paid first out of external assets
        (``e' = max(0, e - b)``); ``ignore`` = left out.
    lgd : mapping kind -> float, or ``"KIND=X"`` items, optional
        Loss given default per kind of commitment, in [0, 1], over the defaults of
        :data:`finflow.KINDS` and the network's own (see :func:`finflow.resolve_lgd`):
        ``E[i, j]`` is i's LGD-weighted claim on j.
    status : str or list of str, optional
        Statuses of the commitments that make the exposures (``closed``,
        ``committed``, ``loi``, ``reported``, ``lapsed`` or ``"all"``; default: every
        status but ``lapsed``).
    kinds : str or list of str, optional
        Kinds of the commitments that make the exposures (default: every kind).
    missing_equity : {"error", "skip", "zero"}, optional
        Entities without book equity: stop with a :class:`~finflow.MissingDataError`
        (``"error"``), leave them out (they never default and do not propagate;
        ``"skip"``) or give them zero equity (``"zero"``). Default: the network's
        ``missing_equity`` metadata, else ``"error"``.
    cancel_nonbinding : bool
        Scenario: commitments of status ``loi`` and ``reported`` do not happen; each
        claim holder loses its LGD-weighted claim on them at the start.
    weights : mapping id -> float, or an array over ``network.index``, optional
        The weights ``v_i`` of DebtRank ``R = sum_i v_i (h_i(final) - h_i(0))``
        (default: each entity's share of the total equity), as NetworkRiskMeasures'
        ``weights``.

    Returns
    -------
    ContagionResult or ContagionComparison

    Raises
    ------
    FinflowError
        Unknown model, and as the models.

    Notes
    -----
    With ``"all"`` the table has, per entity, its ``buffer`` (equity known, equity
    unknown, external) and under each model the loss amount, the relative loss and the
    default flag (columns ``<model>_loss``, ``<model>_rel`` and ``<model>_default``,
    models named cascade, debtrank, linear, en; the default flag is missing where the
    equity is unknown), and ``totals_by_model`` the defaults, rounds, equity lost by the
    entities with known equity, the loss amounts of entities of unknown equity and of
    external holders, and DebtRank R of each.

    Examples
    --------
    >>> import finflow
    >>> r = contagion(finflow.load_default(), ["openai"], model="all", missing_equity="skip")
    >>> list(r.results)
    ['cascade', 'debtrank', 'linear-debtrank', 'eisenberg-noe']

    References
    ----------
    See the models' functions.
    """
    ensure_network(network, "contagion")
    common = dict(lgd=lgd, status=status, kinds=kinds, missing_equity=missing_equity,
                  cancel_nonbinding=cancel_nonbinding, weights=weights)
    runners = {
        "cascade": lambda: threshold_cascade(network, defaults, shocks,
                                             default_rule=default_rule, **common),
        "debtrank": lambda: debtrank(network, defaults, shocks, default_rule=default_rule,
                                     **common),
        "linear-debtrank": lambda: linear_debtrank(network, defaults, shocks,
                                                   default_rule=default_rule, **common),
        "eisenberg-noe": lambda: eisenberg_noe(network, defaults, shocks, alpha=alpha,
                                               beta=beta, outside_debt=outside_debt, **common),
    }
    if model != "all":
        if model not in runners:
            raise FinflowError(f"unknown model {model!r}; choose from {', '.join(MODELS)} or all")
        return runners[model]()
    results = {m: runners[m]() for m in MODELS}
    first = results["cascade"]
    base = first.entities[["id", "type", "equity"]].assign(
        buffer=first.buffer()).set_index("id")
    for m, r in results.items():
        e = r.entities.set_index("id")
        base[f"{_SHORT[m]}_loss"] = e["loss"]
        base[f"{_SHORT[m]}_rel"] = e["relative_loss"]
        # a default is not known for an entity whose equity is unknown: missing, not "no"
        known = e["defaulted"] | (e["equity"].notna() & (e["role"] != "external"))
        base[f"{_SHORT[m]}_default"] = e["defaulted"].astype("boolean").where(known, pd.NA)
    table = base.reset_index()
    loss_cols = [f"{_SHORT[m]}_loss" for m in MODELS]
    rel_cols = [f"{_SHORT[m]}_rel" for m in MODELS]
    def_cols = [f"{_SHORT[m]}_default" for m in MODELS]
    n_def = table[def_cols].fillna(False).astype(int).sum(axis=1).to_numpy()
    worst = table[rel_cols].max(axis=1).fillna(-1).to_numpy()
    most = table[loss_cols].max(axis=1).fillna(0).to_numpy()
    order = np.lexsort((table["id"].to_numpy(), -most, -worst, -n_def))
    table = table.iloc[order].reset_index(drop=True)
    splits = [r.loss_split() for r in results.values()]
    totals = pd.DataFrame({
        "model": list(results),
        "defaults": [len(r.defaulted) for r in results.values()],
        "rounds": [r.rounds for r in results.values()],
        "equity_lost": [x["equity_lost"] for x in splits],
        "loss_equity_unknown": [x["loss_equity_unknown"] for x in splits],
        "loss_external": [x["loss_external"] for x in splits],
        "debtrank": [r.debtrank for r in results.values()],
        "defaulted": [", ".join(r.defaulted) for r in results.values()],
    })
    return ContagionComparison(network=first.network, unit=first.unit, shock=first.shock,
                               results=results, table=table, totals=totals)
