"""Systemic ranking: default each entity alone and rank entities by the loss they cause
(impact) and by the loss they suffer (vulnerability), batched as sparse matrix times
dense block (``DESIGN.md`` section 3)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import FinflowError
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from .contagion import LENDING_KINDS, MODEL_TITLES, _check_rule, _weights
from .propagation import (TOL, _is_default, _split_zero_capital, clearing_vector,
                          impact_matrix, linear_debtrank_fixed_point)
from .batched import DynamicsCache, batched_linear_dynamics, cascade_block_sparse
from .scenario import MODELS, OUTSIDE_DEBT_RULES, Scenario, prepare
from ..netcheck import ensure_network

__all__ = ["RankingResult", "systemic_ranking"]

#: memory budget of one block of scenarios (bytes); about 8 dense n x k arrays live at once
BLOCK_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class RankingResult(Result):
    """Every entity's default alone, under one model.

    ``entities``: ``id``, ``name``, ``type``, ``equity``, ``impact`` (equity lost by
    the others when it defaults), ``impact_rank``, ``impact_equity_unknown`` and
    ``impact_external`` (the loss amounts of the others of unknown equity, missing for
    Eisenberg-Noe, and of the external holders: their LGD-weighted exposure to the
    defaulted entities, times the relative loss for the DebtRanks, their unpaid
    obligations for Eisenberg-Noe; apart from the impact), ``debtrank`` (R: equity-weighted
    relative loss of the others), ``defaults_caused``, ``vulnerability`` (mean share of
    its equity lost over the other entities' defaults), ``vulnerability_rank``,
    ``worst_shock`` (whose default hurts it most) and ``worst_loss`` (that relative
    loss).
    """

    model: str
    network: str
    unit: str
    conventions: dict
    entities: pd.DataFrame = field(repr=False)
    scenarios: int
    diagnostics: dict = field(default_factory=dict)

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Systemic ranking: {MODEL_TITLES.get(self.model, self.model)}"

    def to_frame(self) -> pd.DataFrame:
        return self.entities

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"entities_by_impact": self.entities[
            ["impact_rank", "id", "type", "equity", "impact", "impact_equity_unknown",
             "impact_external", "debtrank", "defaults_caused", "vulnerability",
             "vulnerability_rank", "worst_shock"]]}

    def summary(self) -> list[str]:
        e = self.entities
        top = e.dropna(subset=["impact"]).head(5)
        lines = [f"{self.scenarios} scenarios, each entity defaulting alone, under "
                 f"{MODEL_TITLES.get(self.model, self.model)}; amounts in {self.unit}. "
                 "An exposure is a claim at risk, not a realised loss."]
        if len(top):
            lines.append("Highest impact: " + ", ".join(
                f"{r.id} ({format_number(r.impact)}, {int(r.defaults_caused)} defaults)"
                for r in top.itertuples()) + ".")
        vul = e.dropna(subset=["vulnerability"]).sort_values("vulnerability_rank").head(5)
        if len(vul):
            lines.append("Most vulnerable: " + ", ".join(
                f"{r.id} ({r.vulnerability:.1%} mean loss"
                + (f"; worst: {r.worst_shock})" if isinstance(r.worst_shock, str)
                   else "; no single default hurts it)")
                for r in vul.itertuples()) + ".")
        sk = self.conventions.get("skipped") or []
        if sk:
            lines.append(f"Skipped for lack of equity ({len(sk)}; shocked, but never hit): "
                         f"{', '.join(sk)}.")
        return lines

    def notes(self) -> list[str]:
        c = self.conventions
        out = [f"model: {c['model']} ({c['reference']})",
               "impact: equity lost by the other entities (capped at their equity) when the "
               "entity alone defaults; DebtRank R: sum of weights x relative loss of "
               f"the others (weights: {c.get('weights', 'equity shares')})",
               "impact_equity_unknown, impact_external: the loss amounts of the other "
               "entities of unknown equity (not computed for eisenberg-noe) and of the "
               "external holders (apart from the impact)",
               "vulnerability: mean relative equity loss over the other entities' defaults "
               "(entities with equity only)",
               f"default rule: {c.get('default_rule')}"]
        for key in ("impact_matrix", "costs", "outside_debt", "exactness"):
            if key in c:
                out.append(f"{key.replace('_', ' ')}: {c[key]}")
        out.append(f"missing equity rule: {c['missing_equity']}; external: {c['external']}")
        out.append(f"statuses: {', '.join(c['statuses'])}")
        if c.get("lgd"):
            out.append("LGD: " + ", ".join(f"{k} {v:g}" for k, v in c["lgd"].items()))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "network": self.network, "unit": self.unit,
                "scenarios": self.scenarios, "entities": records(self.entities),
                "conventions": jsonable(self.conventions),
                "diagnostics": jsonable(self.diagnostics)}


# ---------------------------------------------------------------------------------------
# block kernels: columns = scenarios; each returns (rel, loss, defaulted) as n x k arrays
# ---------------------------------------------------------------------------------------
def _unit_block(n: int, J: np.ndarray) -> np.ndarray:
    X = np.zeros((n, len(J)))
    X[J, np.arange(len(J))] = 1.0
    return X


def _rel_from_loss(loss: np.ndarray, cap: np.ndarray) -> np.ndarray:
    modelled = np.isfinite(cap)[:, None]
    c = np.where(np.isfinite(cap), cap, 1.0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(c > 0, loss / np.where(c > 0, c, 1.0), np.where(loss > 0, 1.0, 0.0))
    return np.where(modelled, np.minimum(1.0, rel), 0.0)


def _spread(M: sp.csr_array, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
            k: int) -> sp.coo_array:
    """``M @ X`` for the sparse block X with the given entries (the frontier of every
    scenario at once): work proportional to what actually propagates."""
    n = M.shape[1]
    if len(rows) > 0.02 * n * k:          # a wide frontier: a dense block is faster
        X = np.zeros((n, k))
        X[rows, cols] = vals
        Y = np.asarray(M @ X)
        r, c = np.nonzero(Y)
        return sp.coo_array((Y[r, c], (r, c)), shape=(M.shape[0], k))
    X = sp.csr_array((vals, (rows, cols)), shape=(n, k))
    out = sp.coo_array(M @ X)
    out.sum_duplicates()
    keep = out.data != 0
    return sp.coo_array((out.data[keep], (out.row[keep], out.col[keep])), shape=out.shape)


def _debtrank_block(W, cap, J, rule, stats):
    """Original DebtRank of every scenario of the block at once. Each entity propagates
    once per scenario, so the frontier (the distressed entities) is spread as a sparse
    block: total work about nnz(W) per scenario."""
    n, k = len(cap), len(J)
    zc = np.isfinite(cap) & (np.nan_to_num(cap) == 0)
    pattern = None
    if zc.any():
        W, pattern = _split_zero_capital(W, zc)
    u = np.zeros((n, k))
    inactive = np.zeros((n, k), dtype=bool)
    fr_r, fr_c = np.asarray(J), np.arange(k)
    u[fr_r, fr_c] = 1.0
    while len(fr_r):
        stats["steps"] += 1
        vals = np.minimum(1.0, u[fr_r, fr_c])
        inc = _spread(W, fr_r, fr_c, vals, k)
        inactive[fr_r, fr_c] = True
        r, c = inc.row, inc.col
        u[r, c] += inc.data
        if pattern is not None:
            hit = _spread(pattern, fr_r, fr_c, (vals > 0).astype(float), k)
            z = zc[hit.row]
            u[hit.row[z], hit.col[z]] = np.inf
            r, c = np.concatenate([r, hit.row[z]]), np.concatenate([c, hit.col[z]])
        nxt = ~inactive[r, c] & (u[r, c] > 0)
        fr_r, fr_c = r[nxt], c[nxt]
        if pattern is not None and len(fr_r):     # the two lists may share entries
            key = np.unique(fr_r * k + fr_c)
            fr_r, fr_c = key // k, key % k
    modelled = np.isfinite(cap)[:, None]
    D = (modelled & (u > 0) & _is_default(u, rule)) | (_unit_block(n, J) > 0)
    h = np.where(modelled, np.where(u >= 1.0 - TOL, 1.0, np.minimum(1.0, u)), 0.0)
    h[J, np.arange(k)] = np.where(np.isfinite(cap[J]), 1.0, 0.0)
    return h, D


class _LinearMemo:
    """Answers of finished default scenarios, shared across blocks.

    For default shocks the least fixed point is monotone in what saturates: if the
    scenario of j saturates k then ``y(j) >= y(k)`` (``y(j)`` is a supersolution of k's
    map), so known answers of saturated shocks lift j's lower bound; if moreover
    ``y(k)`` saturates j, then ``y(j) = y(k)`` exactly. And above ``1_S`` every default
    shock inside S has the same map, so the answer depends only on the certified
    saturated set S: equal sets share one solve."""

    def __init__(self, n: int, budget: int = 512 * 1024**2):
        self.result_of = np.full(n, -1)
        self.ys: list[np.ndarray] = []
        self.nsat: list[int] = []
        self.sat = np.zeros((0, n), dtype=bool)     #: row r: where answer r is 1
        self.by_key: dict[bytes, int] = {}
        self.room = max(1, budget // (8 * max(n, 1)))
        self.hits = self.tries = 0
        self.cache = DynamicsCache()         #: reduced maps of the batched dynamics
        self.split: tuple | None = None      #: (Lambda, zero-capital pattern), split once

    def useful(self) -> bool:
        """Did known answers settle most scenarios so far?"""
        return self.tries >= 20 and self.hits >= 0.5 * self.tries

    def add(self, y: np.ndarray, keys: list[bytes]) -> int:
        if len(self.ys) >= self.room:
            return -1
        sat = y >= 1.0
        if len(self.ys) == len(self.sat):               # grow the saturation patterns
            grown = np.zeros((max(8, 2 * len(self.sat)), len(y)), dtype=bool)
            grown[:len(self.sat)] = self.sat
            self.sat = grown
        self.sat[len(self.ys)] = sat
        self.ys.append(y)
        self.nsat.append(int(sat.sum()))
        rid = len(self.ys) - 1
        for k in keys:
            self.by_key[k] = rid
        return rid


def _linear_block(Lam, zc, cap, J, rule, stats, memo: _LinearMemo, max_steps=300):
    """Batched linear DebtRank: capped dynamics for the whole block (sparse matrix times
    dense block) until each column is a floating-point fixed point of
    y = min(1, s + Lambda y) (done: no further step changes it), for up to ``max_steps``;
    a column whose saturated set stops growing for 60 steps, or that is still moving at
    the end, is finished exactly: lifted by the known answers of the shocks it
    saturates, shared by saturated set, else the exact solver warm-started from its
    iterate. (Measured on synthetic networks: handing columns to the exact solver after
    3 quiet steps cost one sparse LU per scenario, 167 s at 3,000 entities; letting the
    cheap batched steps finish them takes 4 s.)"""
    if len(J) <= 64 and not memo.tries:
        max_steps = 4                  # the first small block: per scenario, fills the memo
    n, k = len(cap), len(J)
    if memo.split is None:
        memo.split = _split_zero_capital(Lam, zc)
    Lfin, pattern = memo.split
    S0 = _unit_block(n, J)
    Y, handoff = batched_linear_dynamics(Lfin, pattern if zc.any() else None, zc,
                                         np.asarray(J), memo, stats, max_steps)
    cols = np.array(sorted(handoff), dtype=int)
    for c in cols:
        j = J[c]
        lower = Y[:, c]
        y = None
        rid = -1
        memo.tries += 1
        for _ in range(2):             # lift by the answers of saturated shocks
            rids = np.unique(memo.result_of[lower >= 1.0])
            rids = rids[rids >= 0]
            if not len(rids):
                break
            same_as = rids[memo.sat[rids, j]]
            if len(same_as):           # y(k) saturates j and y(j) saturates k
                rid = int(same_as[0])
                y = memo.ys[rid]
                break
            # a warm start only: the few answers that saturate the most
            best = rids[np.argsort(-np.asarray(memo.nsat)[rids])[:4]]
            new = np.maximum(lower, np.max([memo.ys[r] for r in best], axis=0))
            if np.array_equal(new, lower):
                break
            lower = new
        key = None
        if y is None:
            key = np.packbits(lower >= 1.0).tobytes()
            rid = memo.by_key.get(key, -1)
            if rid >= 0:
                y = memo.ys[rid]
        if y is not None:
            stats["shared"] += 1
            memo.hits += 1
        else:
            fp = linear_debtrank_fixed_point(Lam, S0[:, c], zero_cap=zc, lower=lower)
            stats["solves"] += fp.solves
            stats["iterations"] += fp.iterations
            y = fp.y
            rid = memo.add(y, [key, np.packbits(y >= 1.0).tobytes()])
        memo.result_of[j] = rid
        Y[:, c] = y
    pressure = S0 + Lfin @ Y
    if zc.any():
        hit = (pattern @ (Y > 0).astype(float)) > 0
        pressure = np.where(zc[:, None] & hit, np.inf, pressure)
    modelled = np.isfinite(cap)[:, None]
    D = (modelled & (pressure > 0) & _is_default(pressure, rule)) | (S0 > 0)
    rel = np.where(modelled, Y, 0.0)
    return rel, D


# ---------------------------------------------------------------------------------------
def systemic_ranking(network: Network, *, model: str = "linear-debtrank",
                     default_rule: str = ">=", alpha: float = 1.0, beta: float = 1.0,
                     outside_debt: str = "pari_passu", lgd=None, status=None, kinds=None,
                     missing_equity: str | None = None, weights=None,
                     block_size: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> RankingResult:
    """Default each entity alone and rank by the loss it causes and the loss it suffers.

    Parameters
    ----------
    network : Network
    model : {"linear-debtrank", "debtrank", "cascade", "eisenberg-noe"}
        The contagion model of every scenario (conventions as in
        :mod:`finflow.analysis.contagion`).
    default_rule, alpha, beta, outside_debt, lgd, status, kinds, missing_equity, weights
        As the models.
    block_size : int, optional
        Scenarios per block (default: as many as fit in about 2 GB).
    progress : callable(done, total), optional
        Called after each block (the CLI draws a progress bar with it).

    Returns
    -------
    RankingResult
        Sorted by impact (largest first).

    Raises
    ------
    FinflowError, MissingDataError
        As the models (``missing_equity="error"`` names every entity without equity).

    Notes
    -----
    Every entity but the external ones (type market) is defaulted alone. Impact of j =
    equity lost by the other entities (losses capped at equity); DebtRank R of j =
    ``sum_{i != j} v_i h_i`` with v the equity shares; defaults caused = defaults other
    than j. Vulnerability of i = mean of i's relative loss over the scenarios of the
    other entities. The scenarios run in blocks: columns of a dense n x k block,
    propagated by sparse-matrix times dense-block products; finished scenarios leave the
    block. Linear DebtRank runs the capped dynamics of the whole block to each column's
    floating-point fixed point, lifting a scenario by the known answer of any shock it
    has saturated and then iterating it on the map reduced to the nodes outside that
    answer's saturated set (both exact: :mod:`finflow.analysis.batched`); scenarios the
    dynamics do not settle go to the exact solver, shared between scenarios that
    saturate the same set. The threshold cascade keeps only the entries its cascades
    touch, so its cost follows the cascades rather than entities x scenarios.
    Eisenberg-Noe runs the exact clearing per scenario.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b", "c"], "equity": [1.0, 3.0, 2.0]}),
    ...     pd.DataFrame({"payer": ["b", "c"], "payee": ["a", "b"], "kind": ["loan", "loan"],
    ...                   "amount": [4.0, 2.0]}))
    >>> r = systemic_ranking(net, model="cascade", lgd={"loan": 1})
    >>> r.entities[["id", "impact", "defaults_caused"]].values.tolist()
    [['a', 5.0, 2], ['b', 2.0, 1], ['c', 0.0, 0]]

    References
    ----------
    Battiston et al. (2012), "DebtRank: too central to fail?", Scientific Reports 2: 541
    (ranking by DebtRank of each node's default).
    """
    ensure_network(network, "systemic_ranking")
    if model not in MODELS:
        raise FinflowError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    rule = _check_rule(default_rule)
    ents = network.entities
    e_given = network.entity_vector("external_assets") if "external_assets" in ents \
        else np.full(network.n, np.nan)
    sc = prepare(network, None, None, lgd=lgd, status=status, kinds=kinds,
                 missing_equity=missing_equity, require_shock=False,
                 has_capital=np.isfinite(e_given) if model == "eisenberg-noe" else None)
    n = sc.n
    stats = {"steps": 0, "solves": 0, "iterations": 0, "shared": 0}
    conv: dict[str, Any] = {"model": model, "default_rule": f"'{rule}'"}
    shocks = np.flatnonzero(~sc.external)
    if model == "eisenberg-noe":
        en = _EN(sc, e_given, alpha, beta, outside_debt)
        cap = en.cap
        conv.update(reference="Eisenberg and Noe 2001; Rogers and Veraart 2013",
                    costs=f"alpha = {alpha:g}, beta = {beta:g}",
                    outside_debt=outside_debt, default_rule="income >= obligations is solvent")
    else:
        cap = sc.capital
        E = sc.exposure()
        prop = ~sc.external
        if model == "cascade":
            E = sp.csr_array(E @ sp.diags_array(prop.astype(float)))
            conv["reference"] = "Furfine 2003; Gai and Kapadia 2010"
        elif model == "debtrank":
            W = impact_matrix(E, cap, prop, capped=True)
            conv.update(reference="Battiston et al. 2012", impact_matrix="W = min(1, E / equity)")
        else:
            Lam = impact_matrix(E, cap, prop, capped=False)
            zc = np.isfinite(cap) & (np.nan_to_num(cap) == 0)
            memo = _LinearMemo(n)
            conv.update(reference="Bardoscia et al. 2015", impact_matrix="Lambda = E / equity",
                        exactness="exact least fixed point per scenario")
    sc_cap = np.where(np.isfinite(cap), cap, np.nan)
    modelled = np.isfinite(sc_cap)
    capz = np.nan_to_num(sc_cap)
    v, how = _weights(sc, weights) if model != "eisenberg-noe" or weights is not None else \
        _weights_from(cap)
    if model == "linear-debtrank":
        # hubs first (most entities exposed to them): their answers, found early, lift
        # the later scenarios; the table does not depend on the order (ties of the worst
        # shock go to the first entity, see below)
        exposed_to = np.bincount(sp.csr_array(Lam).indices, minlength=n)
        shocks = shocks[np.argsort(-exposed_to[shocks], kind="stable")]
    total = len(shocks)
    k = block_size or max(1, min(total, int(BLOCK_BYTES // (8 * 8 * max(n, 1)))))
    if model == "linear-debtrank" and block_size is None:
        # narrow blocks keep the dense iterate in cache: at 10,000 entities blocks of 128
        # scenarios took 19 s where blocks of 3,355 (the memory bound) took 45 s
        k = min(k, LINEAR_BLOCK)
    impact = np.full(n, np.nan)
    # what the others of unknown equity lose (never hidden, never in the impact): loss
    # amounts as in contagion(); the external holders' loss is ext_loss below
    unknown_rows = np.flatnonzero(~modelled & ~sc.external)
    hidden_unknown = np.full(n, np.nan)
    if model != "eisenberg-noe":
        # only the rows of those entities: a few sparse rows times the block
        M_unknown = sp.csr_array(sc.exposure()[unknown_rows]
                                 @ sp.diags_array((~sc.external).astype(float)))
        unknown_pos = np.full(n, -1)
        unknown_pos[unknown_rows] = np.arange(len(unknown_rows))
    R = np.full(n, np.nan)
    caused = np.zeros(n, dtype=int)
    vul_sum = np.zeros(n)
    vul_cnt = np.zeros(n)
    worst = np.full(n, -1.0)
    worst_by = np.full(n, -1)
    ext_loss = np.full(n, np.nan)
    ext_rows = np.flatnonzero(sc.external)
    E_ext = None
    if model != "eisenberg-noe" and len(ext_rows):
        E_ext = sp.csr_array(sc.exposure()[ext_rows] @ sp.diags_array(
            (~sc.external).astype(float)))
    done = 0
    work: dict = {}                     # the cascade's work arrays, reused by every block
    if progress is not None:
        progress(0, total)
    bounds = list(range(0, total, k)) + [total]
    if model == "linear-debtrank" and block_size is None and total > 2 * 64:
        # a small first block is solved scenario by scenario and fills the memo that
        # settles most later scenarios after a few batched steps
        bounds = [0] + list(range(64, total, k)) + [total]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        J = np.sort(shocks[start:stop])
        if model == "cascade":
            # sparse results: the cost follows the cascades, not entities x scenarios
            blk = cascade_block_sparse(E, sc_cap, J, rule, stats, _spread, _is_default,
                                       work)
            _sparse_update(blk, J, n, capz, v, E_ext, M_unknown, unknown_pos, impact, R,
                           caused, vul_sum, vul_cnt, worst, worst_by, ext_loss,
                           hidden_unknown)
            done += len(J)
            if progress is not None:
                progress(done, total)
            continue
        elif model == "debtrank":
            rel, D = _debtrank_block(W, sc_cap, J, rule, stats)
        elif model == "linear-debtrank":
            rel, D = _linear_block(Lam, zc, sc_cap, J, rule, stats, memo)
        else:
            rel, D = en.block(J, stats)
        cols = np.arange(len(J))
        if model == "eisenberg-noe":
            ext_loss[J] = en.external_loss
        elif E_ext is not None:
            hit = np.maximum(rel, D)
            ext_loss[J] = np.asarray(E_ext @ hit).sum(axis=0)
        else:
            ext_loss[J] = 0.0
        if model != "eisenberg-noe":
            # DebtRank passes on h (the cascade, in _sparse_update, the full exposure)
            X = np.nan_to_num(np.asarray(rel, dtype=float))
            X[J, cols] = 1.0
            hit = np.asarray(M_unknown @ X)
            own = unknown_pos[J]
            mine = own >= 0
            hit[own[mine], cols[mine]] = 0.0       # the shocked entity's own loss
            hidden_unknown[J] = hit.sum(axis=0)
        loss = rel * capz[:, None]
        self_rel = rel[J, cols].copy()
        rel[J, cols] = 0.0
        loss[J, cols] = 0.0
        D[J, cols] = False
        impact[J] = loss.sum(axis=0)
        R[J] = v @ rel
        caused[J] = D.sum(axis=0)
        vul_sum += rel.sum(axis=1)
        vul_cnt += len(J) - np.isin(np.arange(n), J)
        if len(J):
            rel[J, cols] = -1.0
            mx = rel.max(axis=1)
            # ties: the first entity in the network's order among the losses within
            # TIE_TOL of the largest (J is sorted; across blocks the smaller index wins),
            # so that rounding in the last digit does not pick the worst shock
            am = (rel >= (mx - TIE_TOL)[:, None]).argmax(axis=1)
            level = mx > worst + TIE_TOL
            tie = ~level & (mx >= worst - TIE_TOL) & (J[am] < worst_by)
            worst_by[level | tie] = J[am[level | tie]]
            np.maximum(worst, mx, out=worst)
        del self_rel
        done += len(J)
        if progress is not None:
            progress(done, total)
    vulnerability = np.where(modelled & (vul_cnt > 0), vul_sum / np.maximum(vul_cnt, 1), np.nan)
    ids = np.asarray(sc.ids, dtype=object)
    frame = pd.DataFrame({
        "id": ids, "name": sc.names, "type": sc.types, "equity": sc_cap,
        "impact": impact, "impact_equity_unknown": hidden_unknown,
        # one measure, one name: the external holders' loss (every model, Eisenberg-Noe
        # included) is the impact on them
        "impact_external": ext_loss, "debtrank": R, "defaults_caused": caused,
        "vulnerability": vulnerability,
        "worst_shock": np.where(modelled & (worst_by >= 0) & (worst > 0),
                                ids[np.maximum(worst_by, 0)], None),
        "worst_loss": np.where(modelled & (worst_by >= 0), np.maximum(worst, 0.0), np.nan),
    })
    frame.loc[sc.external, "defaults_caused"] = 0
    frame["impact_rank"] = frame["impact"].rank(ascending=False, method="min").astype("Int64")
    frame["vulnerability_rank"] = frame["vulnerability"].rank(
        ascending=False, method="min").astype("Int64")
    frame = frame.sort_values(["impact", "debtrank", "id"], ascending=[False, False, True],
                              na_position="last", kind="stable").reset_index(drop=True)
    frame = frame[["id", "name", "type", "equity", "impact", "impact_rank",
                   "impact_equity_unknown", "impact_external", "debtrank", "defaults_caused",
                   "vulnerability", "vulnerability_rank", "worst_shock", "worst_loss"]]
    conv.update(sc.base_conventions())
    conv["weights"] = how
    conv["skipped"] = list(sc.skipped)
    conv.pop("shock", None)
    conv.pop("cancel_nonbinding", None)
    if model == "eisenberg-noe":
        conv.pop("lgd", None)
    return RankingResult(model=model, network=network.name, unit=network.unit_label,
                         conventions=conv, entities=frame, scenarios=total,
                         diagnostics={**stats, "block_size": k})


def _sparse_update(blk, J, n, capz, v, E_ext, M_unknown, unknown_pos, impact, R, caused,
                   vul_sum, vul_cnt, worst, worst_by, ext_loss, hidden_unknown) -> None:
    """The ranking's per-scenario sums and per-entity worst shocks from the touched
    entries of a block (``cascade_block_sparse``): the same quantities as the dense
    block update, with the cascade's conventions (the external holders and the entities
    of unknown equity are exposed to every default, the shock's included)."""
    r, c, rel, dv = blk
    k = len(J)
    Dx = sp.csr_array((dv.astype(float), (r, c)), shape=(n, k))
    if E_ext is not None:
        ext_loss[J] = np.asarray(sp.csr_array(E_ext @ Dx).sum(axis=0)).ravel()
    else:
        ext_loss[J] = 0.0
    if M_unknown.shape[0]:
        H = sp.coo_array(M_unknown @ Dx)
        own = unknown_pos[J]
        keep = H.row != own[H.col]                 # the shocked entity's own loss
        hidden_unknown[J] = np.bincount(H.col[keep], weights=H.data[keep], minlength=k)
    else:
        hidden_unknown[J] = 0.0
    other = r != J[c]
    r, c, rel, dv = r[other], c[other], rel[other], dv[other]
    impact[J] = np.bincount(c, weights=rel * capz[r], minlength=k)
    R[J] = np.bincount(c, weights=v[r] * rel, minlength=k)
    caused[J] = np.bincount(c, weights=dv.astype(float), minlength=k).astype(int)
    vul_sum += np.bincount(r, weights=rel, minlength=n)
    vul_cnt += k - np.isin(np.arange(n), J)
    if len(r):                      # per row: the largest loss, first column on ties
        order = np.lexsort((c, -rel, r))
        rr = r[order]
        first = order[np.r_[True, rr[1:] != rr[:-1]]]
        rows, mx = r[first], rel[first]
        better = mx > worst[rows]
        worst[rows[better]] = mx[better]
        worst_by[rows[better]] = J[c[first][better]]
    # a row no default of the block reaches has loss 0 in every scenario but its own
    covered = np.ones(n, dtype=bool) if k > 1 else (np.arange(n) != J[0])
    zero = covered & (worst < 0)
    if zero.any():
        worst[zero] = 0.0
        worst_by[zero] = np.where(np.arange(n)[zero] != J[0], J[0], J[min(1, k - 1)])


#: losses (relative, in [0, 1]) this close count as a tie for the worst shock
TIE_TOL = 1e-12

#: scenarios per block for linear DebtRank (measured; see systemic_ranking)
LINEAR_BLOCK = 32


def _weights_from(cap: np.ndarray) -> tuple[np.ndarray, str]:
    v = np.where(np.isfinite(cap), cap, 0.0)
    t = v.sum()
    return (v / t if t > 0 else v), "equity shares of the entities with equity"


class _EN:
    """Eisenberg-Noe set-up shared by every scenario of a ranking (same conventions as
    :func:`finflow.analysis.contagion.eisenberg_noe`)."""

    def __init__(self, sc: Scenario, e_given: np.ndarray, alpha: float, beta: float,
                 outside_debt: str):
        if outside_debt not in OUTSIDE_DEBT_RULES:
            raise FinflowError(f"outside debt must be one of {', '.join(OUTSIDE_DEBT_RULES)}")
        for name, x in (("alpha", alpha), ("beta", beta)):
            if not 0.0 <= float(x) <= 1.0:
                raise FinflowError(f"{name} must lie in [0, 1], got {x}")
        n = sc.n
        self.alpha, self.beta = alpha, beta
        L = sc.obligations()
        self.L = L
        a = np.asarray(L.sum(axis=0)).ravel()
        owe_in = np.asarray(L.sum(axis=1)).ravel()
        ents = sc.network.entities
        debt = sc.network.entity_vector("debt") if "debt" in ents else np.full(n, np.nan)
        lend = np.asarray(sc.obligations(LENDING_KINDS).sum(axis=1)).ravel()
        b = np.where(np.isfinite(debt), np.maximum(0.0, debt - lend), 0.0)
        if outside_debt == "ignore":
            b = np.zeros(n)
        has_e = np.isfinite(e_given)
        eq = sc.capital
        e = np.where(has_e, e_given, np.maximum(0.0, np.nan_to_num(eq) + owe_in + b - a))
        self.never = sc.external | (~np.isfinite(eq) & ~has_e)
        if outside_debt == "senior":
            e, b = np.maximum(0.0, e - b), np.zeros(n)
        self.e = np.where(self.never, 0.0, e)
        self.b = b
        base = clearing_vector(L, self.e, outside=b, alpha=alpha, beta=beta,
                               never_default=self.never)
        self.pbar = base.obligations
        self.v0 = np.where(base.insolvent, 0.0,
                           np.maximum(0.0, self.e + base.received - self.pbar))
        self.cap = np.where(np.isfinite(eq), eq, np.where(has_e & ~sc.external, self.v0, np.nan))
        self.owed_in = a                                   # what each entity is owed
        self.ext = sc.external

    def block(self, J: np.ndarray, stats: dict) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.e)
        rel = np.zeros((n, len(J)))
        D = np.zeros((n, len(J)), dtype=bool)
        cap = self.cap
        #: per scenario of the block: what the external holders are not paid
        self.external_loss = np.zeros(len(J))
        for c, j in enumerate(J):
            e = self.e.copy()
            e[j] = 0.0
            never = self.never.copy()
            never[j] = False
            cl = clearing_vector(self.L, e, outside=self.b, alpha=self.alpha, beta=self.beta,
                                 never_default=never)
            stats["steps"] += cl.rounds
            v1 = np.where(cl.insolvent, 0.0, np.maximum(0.0, e + cl.received - self.pbar))
            drop = np.maximum(0.0, self.v0 - v1)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(cap > 0, np.minimum(1.0, drop / np.where(cap > 0, cap, 1.0)),
                             np.where(cl.insolvent, 1.0, 0.0))
            rel[:, c] = np.where(np.isfinite(cap), r, 0.0)
            D[:, c] = cl.insolvent & np.isfinite(cap)
            D[j, c] = True
            unpaid = np.maximum(0.0, self.owed_in - cl.received)[self.ext]
            self.external_loss[c] = float(unpaid[unpaid > 1e-12 * (self.owed_in[self.ext] + 1)].sum())
        return rel, D
