"""How sure is each finding? Monte Carlo over amount ranges and deal status, status
scenarios side by side, rank stability, and the null-model significance of circularity
(issue 10; ``../shared/DESIGN.md`` sections 1 and 3).

Half of the AI deals are "up to" figures, letters of intent or press reports, and sources
disagree on amounts. A *draw* is a modified copy of the commitments:

* **amounts**: each commitment's amount is drawn from a triangular distribution on
  ``[lo, hi]`` with its mode at the headline ``amount``, where ``lo = amount_low`` (else
  the amount) and ``hi = amount_high`` (else the amount). So a row with both bounds gets
  the classic three-point (minimum, most likely, maximum) distribution; an "up to" row
  with only ``amount_high`` gets a right-angled triangle falling from the headline to
  the ceiling (the headline is the most likely figure and, with no ``amount_low``, also
  the floor: finflow has no basis to go below a reported figure); a row with only
  ``amount_low`` a triangle rising to the headline; a row without a range keeps its
  amount. ``distribution="uniform"`` spreads evenly over ``[lo, hi]`` instead and
  ``"fixed"`` keeps every headline (status uncertainty only).
* **presence**: each commitment is present with a probability set per status (default
  closed 1, committed 1, loi 0.5, reported 0.5; a selected ``lapsed`` status 1) and,
  when ``cancelable=P`` is given, a row marked cancelable is also kept only with
  probability P.
* **equity** (network format v2): an entity with an ``equity_low`` / ``equity_high``
  range (an estimated equity) has its equity drawn in each draw with the same law as an
  amount, mode at ``equity`` (:func:`draw_equity`); the point estimate and the status
  scenarios use ``equity``. Capital is the drawn equity floored at 0, as in the models.
* **deals move together**: the legs of one deal (same ``deal`` id) share their random
  numbers: a deal's legs of one status are present or absent together (a firmer leg is
  present whenever a softer one is), and their amounts sit at the same quantile of their
  ranges (a deal that turns out bigger is bigger in every leg). ``couple_deals=False``
  draws every commitment on its own.

Draws are seeded (numpy ``PCG64`` through ``SeedSequence(seed)``, with separate streams
for amounts, presence and cancelation, and the null model): the same seed gives the same
draws, whatever the block size. A draw with every headline amount and every selected row
present is the *point estimate*, and every figure of the point estimate equals the one
the point analyses (``finflow cycles``, ``concentration``, ``contagion``, ``rank``) give.

Each draw is evaluated without rebuilding a network: the flow matrix F, the exposure
matrix E and the obligation matrix L are sums over commitments of per-commitment values
(amount; LGD x remaining amount; remaining amount), so a block of draws is a
(commitments x draws) matrix mapped through the commitment -> pair index with one sparse
product. Contagion and ranking run the models' own kernels on the *disjoint union* of a
block of draws (a block-diagonal matrix: one copy of the network per draw), which equals
running every draw on its own.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import rankdata

from ..errors import FinflowError, MissingDataError
from ..kinds import KINDS, STATUSES, parse_assignments, resolve_kinds, resolve_statuses
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from .circulation import _circulate
from .contagion import LENDING_KINDS, MODEL_TITLES, _check_rule, _columns, _weights
from .cycles import _check_length, _rotate
from .decomposition import bff
from .nullmodel import (CYCLE_LIMIT, DEFAULT_MAX_LENGTH, DEFAULT_NULL_SAMPLES,
                        DEFAULT_SWAPS_PER_EDGE, NullModelResult, _cycle_bottlenecks,
                        circularity_significance)
from .propagation import (TOL, _is_default, _split_zero_capital, cascade_kernel,
                          clearing_vector, debtrank_kernel, impact_matrix,
                          linear_debtrank_fixed_point)
from .scenario import MODELS, OUTSIDE_DEBT_RULES, prepare
from ..netcheck import ensure_network

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "DEFAULT_PRESENCE",
    "DEFAULT_BFF_DRAWS",
    "DISTRIBUTIONS",
    "SCENARIOS",
    "CommitmentDraws",
    "UncertaintyResult",
    "draw_commitments",
    "draw_equity",
    "EquityDraws",
    "kendall_tau",
    "parse_presence",
    "sample_amounts",
    "uncertainty",
]

DEFAULT_DRAWS = 1000
DEFAULT_SEED = 0
#: probability that a commitment of each status is present in a draw
DEFAULT_PRESENCE: dict[str, float] = {"closed": 1.0, "committed": 1.0, "loi": 0.5,
                                      "reported": 0.5, "lapsed": 1.0}
#: draws of the balanced-flow-forwarding circularity (one sparse solve per entity on a
#: cycle per draw; about 6 ms a draw on the bundled network)
DEFAULT_BFF_DRAWS = 200
DISTRIBUTIONS = ("triangular", "uniform", "fixed")
#: named status scenarios: statuses (None: the selected ones), whether cancelable rows
#: are dropped, and which amount each row takes
SCENARIOS: dict[str, dict[str, Any]] = {
    "binding-only": {"statuses": ("closed", "committed"), "drop_cancelable": False,
                     "amounts": "amount",
                     "description": "closed and committed commitments only"},
    "announced": {"statuses": ("closed", "committed", "loi", "reported"),
                  "drop_cancelable": False, "amounts": "amount",
                  "description": "every status but lapsed"},
    "no-cancelable": {"statuses": None, "drop_cancelable": True, "amounts": "amount",
                      "description": "the selected statuses without cancelable rows"},
    "low-amounts": {"statuses": None, "drop_cancelable": False, "amounts": "low",
                    "description": "the selected statuses, each amount at the bottom of "
                                   "its range"},
    "high-amounts": {"statuses": None, "drop_cancelable": False, "amounts": "high",
                     "description": "the selected statuses, each amount at the top of "
                                    "its range"},
}
#: the rows of ``figures`` before the contagion and ranking rows
_FLOW_FIGURES = ("commitments", "total_flow", "max_circulation", "max_circulation_share",
                 "bff_circular_share", "cycles", "cycle_weight", "heaviest_cycle")
#: disjoint unions are kept at most this many nodes (sparse LU, not GMRES)
_UNION_NODES = 3000


# --------------------------------------------------------------------------------------
# inputs: presence probabilities and amount distributions
# --------------------------------------------------------------------------------------
def parse_presence(presence: Mapping[str, float] | Iterable[str] | str | None
                   ) -> dict[str, float]:
    """The presence probabilities: :data:`DEFAULT_PRESENCE` updated by ``presence``.

    Parameters
    ----------
    presence : mapping or ``STATUS=P`` items, optional
        Probabilities in [0, 1] per status (``closed``, ``committed``, ``loi``,
        ``reported``, ``lapsed``), and optionally ``cancelable=P``: a row marked
        cancelable is also kept only with probability P.

    Returns
    -------
    dict
        Every status's probability, plus ``cancelable`` when given.

    Raises
    ------
    FinflowError
        For an unknown status or a value outside [0, 1].

    Notes
    -----
    Defaults (:data:`DEFAULT_PRESENCE`): binding statuses are certain; a letter of intent
    or a press report is present with probability 0.5, for lack of a known base rate of
    such deals closing (0.5 assumes least). A probability applies only to rows of a
    status the analysis selects; ``cancelable`` multiplies it (independent draws).

    Examples
    --------
    >>> p = parse_presence(["loi=0.3", "cancelable=0.8"])
    >>> p["loi"], p["reported"], p["cancelable"]
    (0.3, 0.5, 0.8)
    """
    out: dict[str, float] = dict(DEFAULT_PRESENCE)
    if presence is None:
        return out
    pairs = dict(presence) if isinstance(presence, Mapping) else parse_assignments(
        presence, "--presence")
    problems = []
    for key, value in pairs.items():
        name = str(key).strip().lower()
        if name not in STATUSES and name != "cancelable":
            problems.append(f"unknown status {key!r} (choose from {', '.join(STATUSES)} "
                            "or cancelable)")
            continue
        try:
            x = float(value)
        except (TypeError, ValueError):
            problems.append(f"{key}: {value!r} is not a number")
            continue
        if not 0.0 <= x <= 1.0:
            problems.append(f"{key}: {x} is outside [0, 1]")
            continue
        out[name] = x
    if problems:
        raise FinflowError("--presence: " + "; ".join(problems))
    return out


def sample_amounts(low: np.ndarray, mode: np.ndarray, high: np.ndarray, u: np.ndarray,
                   distribution: str = "triangular") -> np.ndarray:
    """Amounts at quantiles ``u`` of each commitment's distribution (inverse CDF).

    Parameters
    ----------
    low, mode, high : float arrays (broadcastable)
        The range and the headline amount, ``low <= mode <= high``.
    u : float array in [0, 1)
        Quantiles (uniform random numbers); broadcast against the bounds.
    distribution : {"triangular", "uniform", "fixed"}
        ``triangular``: density rising linearly from ``low`` to ``mode`` and falling to
        ``high`` (mean ``(low + mode + high) / 3``); ``uniform`` on ``[low, high]``;
        ``fixed``: always ``mode``. A zero-width range always gives ``mode``.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    FinflowError
        For an unknown distribution.

    Notes
    -----
    Triangular inverse CDF with ``w = high - low`` and ``F(mode) = (mode - low) / w``:
    ``low + sqrt(u w (mode - low))`` for ``u < F(mode)``, else
    ``high - sqrt((1 - u) w (high - mode))``. Drawing by inverse CDF lets the legs of
    one deal share a quantile. The triangle is the usual three-point estimate
    (minimum, most likely, maximum) when nothing else is known about a figure.

    Examples
    --------
    >>> import numpy as np
    >>> sample_amounts(np.array([0.0]), np.array([0.0]), np.array([10.0]),
    ...                np.array([0.0, 0.19, 0.75])).round(6).tolist()
    [0.0, 1.0, 5.0]

    References
    ----------
    D. Johnson (1997), "The triangular distribution as a proxy for the beta distribution
    in risk analysis", Journal of the Royal Statistical Society D 46(3): 387-398.
    """
    lo, c, hi = np.asarray(low, float), np.asarray(mode, float), np.asarray(high, float)
    u = np.asarray(u, float)
    if distribution == "fixed":
        return np.broadcast_to(c, np.broadcast_shapes(c.shape, u.shape)).copy()
    w = hi - lo
    if distribution == "uniform":
        return np.where(w > 0, lo + u * w, c)
    if distribution != "triangular":
        raise FinflowError(f"unknown distribution {distribution!r}; choose from "
                           f"{', '.join(DISTRIBUTIONS)}")
    with np.errstate(invalid="ignore", divide="ignore"):
        fc = np.where(w > 0, (c - lo) / np.where(w > 0, w, 1.0), 0.0)
        left = lo + np.sqrt(np.maximum(u * w * (c - lo), 0.0))
        right = hi - np.sqrt(np.maximum((1.0 - u) * w * (hi - c), 0.0))
    return np.where(w > 0, np.where(u < fc, left, right), c)


def _ranges(com: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, mode, hi) per row: the headline amount with ``amount_low`` / ``amount_high``
    where given (a bound on the wrong side of the headline is widened to it)."""
    c = com["amount"].to_numpy(dtype=float)
    lo = com["amount_low"].to_numpy(dtype=float) if "amount_low" in com else np.full(len(c), np.nan)
    hi = com["amount_high"].to_numpy(dtype=float) if "amount_high" in com else np.full(len(c), np.nan)
    lo = np.where(np.isfinite(lo), np.minimum(lo, c), c)
    hi = np.where(np.isfinite(hi), np.maximum(hi, c), c)
    return lo, c, hi


def _universe(network: Network, statuses: tuple[str, ...], kind_list: tuple[str, ...],
              scenarios: tuple[str, ...]) -> np.ndarray:
    """Rows the engine carries: counted rows of the selected statuses and of every
    status a chosen scenario needs."""
    needed = set(statuses)
    for s in scenarios:
        needed.update(SCENARIOS[s]["statuses"] or ())
    return np.flatnonzero(network.mask(tuple(x for x in STATUSES if x in needed), kind_list))


class _Sampler:
    """Draws of the engine's rows, block by block (draw-major random numbers, so the
    draws do not depend on the block size)."""

    def __init__(self, com: pd.DataFrame, selected: tuple[str, ...], presence: dict,
                 distribution: str, couple_deals: bool, seed: np.random.SeedSequence):
        if distribution not in DISTRIBUTIONS:
            raise FinflowError(f"unknown distribution {distribution!r}; choose from "
                               f"{', '.join(DISTRIBUTIONS)}")
        self.lo, self.mode, self.hi = _ranges(com)
        status = com["status"].to_numpy(dtype=object)
        self.p = np.array([presence.get(s, 1.0) if s in selected else 0.0 for s in status])
        self.cancel_p = presence.get("cancelable")
        self.cancelable = com["cancelable"].fillna(False).to_numpy(dtype=bool) \
            if "cancelable" in com else np.zeros(len(com), dtype=bool)
        ids = com["id"].astype(str).to_numpy(dtype=object)
        if couple_deals and "deal" in com:
            deal = com["deal"].to_numpy(dtype=object)
            keys = np.array([f"deal:{d}" if isinstance(d, str) and d else f"row:{i}"
                             for d, i in zip(deal, ids)], dtype=object)
        else:
            keys = np.array([f"row:{i}" for i in ids], dtype=object)
        self.group, uniq = pd.factorize(pd.Series(keys), sort=False)
        self.G = len(uniq)
        self.distribution = distribution
        sa, sp_, sc = seed.spawn(3)
        self.ga = np.random.Generator(np.random.PCG64(sa))
        self.gp = np.random.Generator(np.random.PCG64(sp_))
        self.gc = np.random.Generator(np.random.PCG64(sc))

    def next(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Amounts and presence of the next ``k`` draws, as (rows x k) arrays."""
        ua = self.ga.random((k, self.G))[:, self.group].T
        up = self.gp.random((k, self.G))[:, self.group].T
        uc = self.gc.random((k, self.G))[:, self.group].T
        amounts = sample_amounts(self.lo[:, None], self.mode[:, None], self.hi[:, None], ua,
                                 self.distribution)
        present = up < self.p[:, None]
        if self.cancel_p is not None:
            present &= ~self.cancelable[:, None] | (uc < self.cancel_p)
        return amounts, present


@dataclass(frozen=True)
class CommitmentDraws:
    """Draws of the commitments: ``amounts[i, d]`` and ``present[i, d]`` for commitment
    ``ids[i]`` in draw ``d`` (rows: the counted commitments of the selected statuses and
    kinds; absent rows keep their drawn amount, unused)."""

    ids: tuple[str, ...]
    amounts: np.ndarray
    present: np.ndarray
    seed: int | None

    def network(self, network: Network, d: int, equity: np.ndarray | None = None) -> Network:
        """Draw ``d`` as a network of its own: the present commitments with their drawn
        amounts and, when ``equity`` (over ``network.index``, e.g. ``draw_equity(...)
        .equity[:, d]``) is given, that equity (for checking; the analyses never
        rebuild networks)."""
        com = network.commitments
        pos = pd.Index(com["id"].astype(str)).get_indexer(list(self.ids))
        keep = self.present[:, d]
        rows = com.iloc[pos[keep]].copy()
        rows["amount"] = self.amounts[keep, d]
        ents = network.entities
        if equity is not None:
            ents = ents.copy()
            ents["equity"] = np.asarray(equity, dtype=float)
        net = Network(ents, rows.reset_index(drop=True), network.metadata, validated=True)
        return net


class _EquitySampler:
    """Draws of the entities' equity within their ``equity_low`` .. ``equity_high``
    ranges (draw-major random numbers over the ranged entities, own stream)."""

    def __init__(self, network: Network, distribution: str, seed: np.random.SeedSequence):
        if distribution not in DISTRIBUTIONS:
            raise FinflowError(f"unknown distribution {distribution!r}; choose from "
                               f"{', '.join(DISTRIBUTIONS)}")
        ents = network.entities
        nan = np.full(network.n, np.nan)
        eq = network.entity_vector("equity") if "equity" in ents else nan
        lo = network.entity_vector("equity_low") if "equity_low" in ents else nan
        hi = network.entity_vector("equity_high") if "equity_high" in ents else nan
        self.ranged = np.isfinite(eq) & (np.isfinite(lo) | np.isfinite(hi)) & \
            ~network.external_mask()
        self.mode = eq
        self.lo = np.where(np.isfinite(lo), np.minimum(lo, eq), eq)
        self.hi = np.where(np.isfinite(hi), np.maximum(hi, eq), eq)
        self.idx = np.flatnonzero(self.ranged)
        self.distribution = distribution
        self.g = np.random.Generator(np.random.PCG64(seed))

    @property
    def active(self) -> bool:
        return bool(len(self.idx)) and self.distribution != "fixed"

    def next(self, k: int) -> np.ndarray:
        """Equity of every entity in the next ``k`` draws (n x k; point where no range)."""
        out = np.repeat(self.mode[:, None], k, axis=1)
        u = self.g.random((k, len(self.idx))).T
        i = self.idx
        out[i] = sample_amounts(self.lo[i, None], self.mode[i, None], self.hi[i, None], u,
                                self.distribution)
        return out


@dataclass(frozen=True)
class EquityDraws:
    """Draws of the entities' equity: ``equity[i, d]`` for entity ``ids[i]`` in draw
    ``d``; ``ranged`` marks the entities with a range (the others keep their equity)."""

    ids: tuple[str, ...]
    equity: np.ndarray
    ranged: np.ndarray
    low: np.ndarray
    high: np.ndarray
    seed: int | None


def draw_equity(network: Network, draws: int = DEFAULT_DRAWS, seed: int | None = DEFAULT_SEED,
                *, distribution: str = "triangular") -> EquityDraws:
    """Random draws of the entities' equity, as :func:`uncertainty` makes them.

    Parameters
    ----------
    network : Network
        The network (its ``equity``, ``equity_low`` and ``equity_high`` columns).
    draws : int
        The number of draws.
    seed : int or None
        Seed of numpy's PCG64 generator (via ``SeedSequence``; the equity has its own
        stream of the seed, as in :func:`uncertainty`); None draws fresh entropy.
    distribution : {"triangular", "uniform", "fixed"}
        The law of :func:`sample_amounts` on ``[lo, hi]`` with mode ``equity``, where
        ``lo = equity_low`` (else equity) and ``hi = equity_high`` (else equity).

    Returns
    -------
    EquityDraws

    Notes
    -----
    Only entities with an equity and at least one bound, and not external holders, are
    drawn (an estimated equity, ``estimated`` listing ``equity``, is the intended use).
    The models floor capital at 0, so a range reaching below 0 makes default at the
    slightest loss possible.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b"], "equity": [10.0, 3.0], "equity_low": [5.0, None],
    ...                   "equity_high": [20.0, None]}),
    ...     pd.DataFrame({"payer": ["a"], "payee": ["b"], "kind": ["loan"], "amount": [1.0]}))
    >>> d = draw_equity(net, 1000, seed=1)
    >>> bool((d.equity[0] >= 5).all() and (d.equity[0] <= 20).all()), d.equity[1].tolist()[:3]
    (True, [3.0, 3.0, 3.0])

    References
    ----------
    D. Johnson (1997), "The triangular distribution as a proxy for the beta distribution
    in risk analysis", JRSS D 46(3): 387-398.
    """
    ensure_network(network, "draw_equity")
    draws = _check_count(draws, "draws")
    sampler = _EquitySampler(network, distribution, _seed_sequence(seed).spawn(3)[2])
    eq = sampler.next(draws) if draws else np.zeros((network.n, 0))
    return EquityDraws(network.index, eq, sampler.ranged, sampler.lo, sampler.hi, seed)


def draw_commitments(network: Network, draws: int = DEFAULT_DRAWS,
                     seed: int | None = DEFAULT_SEED, *,
                     presence: Mapping[str, float] | Iterable[str] | str | None = None,
                     distribution: str = "triangular", couple_deals: bool = True,
                     status: str | Iterable[str] | None = None,
                     kinds: str | Iterable[str] | None = None) -> CommitmentDraws:
    """Random draws of the commitments' amounts and presence, as :func:`uncertainty`
    makes them.

    Parameters
    ----------
    network : Network
        The network.
    draws : int
        The number of draws.
    seed : int or None
        Seed of numpy's PCG64 (through ``SeedSequence(seed)``); None: fresh entropy.
    presence : mapping or ``STATUS=P`` items, optional
        Probability that a commitment of each status is present (default closed 1,
        committed 1, loi 0.5, reported 0.5, a selected lapsed status 1);
        ``cancelable=P`` also keeps a cancelable row only with probability P.
    distribution : {"triangular", "uniform", "fixed"}
        Amounts within ``[amount_low or amount, amount_high or amount]``: triangular with
        its mode at the headline amount (default), uniform, or fixed at the headline.
    couple_deals : bool
        The legs of one deal share their random numbers (presence and amount quantile;
        default True).
    status : str or list of str, optional
        Statuses of the commitments drawn (default: every status but ``lapsed``).
    kinds : str or list of str, optional
        Kinds of the commitments drawn (default: every kind).

    Returns
    -------
    CommitmentDraws
        Over the counted commitments (known amount, ``in_totals``) of the selected
        statuses and kinds.

    Raises
    ------
    FinflowError
        On a bad filter, presence or distribution.

    Notes
    -----
    The draws equal those of ``uncertainty(network, draws, seed, ...)`` without
    scenarios (the draws of a row depend on the seed, its deal and the number of
    deals, not on the block size).

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b"]}),
    ...     pd.DataFrame({"payer": ["a"], "payee": ["b"], "kind": ["other"],
    ...                   "amount": [10.0], "amount_high": [20.0]}))
    >>> d = draw_commitments(net, 1000, seed=1)
    >>> bool((d.amounts >= 10).all() and (d.amounts <= 20).all())
    True
    >>> round(float(d.amounts.mean()), 0)     # triangular(10, 10, 20): mean 40/3
    13.0

    References
    ----------
    M. E. O'Neill (2014), "PCG: a family of simple fast space-efficient statistically good
    algorithms for random number generation", Harvey Mudd College HMC-CS-2014-0905.
    D. Johnson (1997), "The triangular distribution as a proxy for the beta distribution
    in risk analysis", JRSS D 46(3): 387-398.
    """
    ensure_network(network, "draw_commitments")
    _check_count(draws, "draws")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    rows = _universe(network, statuses, kind_list, ())
    com = network.commitments.iloc[rows]
    ss = _seed_sequence(seed)
    sampler = _Sampler(com, statuses, parse_presence(presence), distribution, couple_deals,
                       ss.spawn(2)[0])
    amounts, present = sampler.next(int(draws))
    return CommitmentDraws(tuple(com["id"].astype(str)), amounts, present, seed)


def _seed_sequence(seed) -> np.random.SeedSequence:
    if seed is not None and (int(seed) != seed or seed < 0):
        raise FinflowError(f"seed must be a whole number >= 0, got {seed!r}")
    return np.random.SeedSequence(None if seed is None else int(seed))


def _check_count(x, what: str) -> int:
    if x is None or int(x) != x or x < 0:
        raise FinflowError(f"{what} must be a whole number >= 0, got {x!r}")
    return int(x)


# --------------------------------------------------------------------------------------
# the engine: every figure of a block of draws at once
# --------------------------------------------------------------------------------------
def _aggregator(keys: np.ndarray, n_keys: int | None = None
                ) -> tuple[np.ndarray, sp.csr_array]:
    """Unique keys and a (keys x rows) 0/1 matrix that sums rows into them."""
    if n_keys is None:
        uniq, inv = np.unique(keys, return_inverse=True)
        size = len(uniq)
    else:
        uniq, inv, size = np.arange(n_keys), keys, n_keys
    m = sp.csr_array((np.ones(len(keys)), (inv.ravel(), np.arange(len(keys)))),
                     shape=(size, len(keys)))
    return uniq, m


def _union(src: np.ndarray, dst: np.ndarray, data: np.ndarray, n: int) -> sp.csr_array:
    """Block-diagonal matrix of k copies (one per column of ``data``) of the pattern
    ``src -> dst``: node ``i`` of copy ``d`` is ``d * n + i``."""
    k = data.shape[1]
    off = np.arange(k, dtype=np.int64) * n
    rows = (off[:, None] + src[None, :]).ravel()
    cols = (off[:, None] + dst[None, :]).ravel()
    vals = np.ascontiguousarray(data.T).ravel()
    keep = vals != 0
    m = sp.csr_array((vals[keep], (rows[keep], cols[keep])), shape=(n * k, n * k))
    m.sum_duplicates()
    return m


def _flat(x: np.ndarray) -> np.ndarray:
    """(n x k) per-draw entity values as one vector over the disjoint union."""
    return np.ascontiguousarray(x.T).ravel()


class _Engine:
    """The rows of a network and every matrix needed to evaluate draws of them."""

    def __init__(self, network: Network, rows: np.ndarray, lgd_table: dict[str, float],
                 max_length: int | None, cycle_limit: int | None, scale: float | None):
        self.network = network
        self.n = n = network.n
        com = network.commitments.iloc[rows]
        a = network._arrays
        self.payer = a["payer"][rows].astype(np.int64)
        self.payee = a["payee"][rows].astype(np.int64)
        self.holder = a["holder"][rows].astype(np.int64)
        self.obligor = a["obligor"][rows].astype(np.int64)
        self.owes = a["owes"][rows]
        kinds = com["kind"].to_numpy(dtype=object)
        self.funded = com["funded"].to_numpy(dtype=float)
        basis = np.array([KINDS[k].basis or "" for k in kinds], dtype=object)
        self.stake = basis == "stake"
        self.none = basis == ""
        self.lgd = np.array([lgd_table[k] for k in kinds], dtype=float)
        self.scale = scale
        m = len(rows)
        # F: payer -> payee pairs
        keys, self.Mf = _aggregator(self.payer * n + self.payee)
        self.f_src, self.f_dst = keys // n, keys % n
        _, self.Min = _aggregator(self.f_dst, n)          # pairs -> payee
        # E: holder -> obligor pairs; L: obligor -> holder pairs (obligations only)
        keys, self.Me = _aggregator(self.holder * n + self.obligor)
        self.e_src, self.e_dst = keys // n, keys % n
        ob = np.flatnonzero(self.owes)
        keys, inv = np.unique(self.obligor[ob] * n + self.holder[ob], return_inverse=True)
        self.Ml = sp.csr_array((np.ones(len(ob)), (inv.ravel(), ob)), shape=(len(keys), m))
        self.l_src, self.l_dst = keys // n, keys % n
        self.Mdue = sp.csr_array((np.ones(len(ob)), (self.obligor[ob], ob)), shape=(n, m))
        lend = ob[np.isin(kinds[ob], LENDING_KINDS)]
        self.Mlend = sp.csr_array((np.ones(len(lend)), (self.obligor[lend], lend)), shape=(n, m))
        # cycles of the pattern (every pair any draw can have)
        self.max_length, self.cycle_limit = max_length, cycle_limit
        w = np.asarray(self.Mf.sum(axis=1)).ravel() + 1.0
        self.cyc_raw, self.cyc_pos, self.cyc_start, self.cyc_truncated = _cycle_bottlenecks(
            n, self.f_src, self.f_dst, w, max_length, cycle_limit)
        self.revenue = network.entity_vector("revenue") if "revenue" in network.entities \
            else np.full(n, np.nan)

    # ---- per-row values --------------------------------------------------------------
    def values(self, amounts: np.ndarray, present: np.ndarray):
        """Per-row flow, exposure and obligation values of a block (rows x k)."""
        funded = self.funded[:, None]
        stake = np.where(np.isnan(funded), amounts, funded)
        unpaid = np.clip(amounts - np.nan_to_num(funded, nan=0.0), 0.0, None)
        base = np.where(self.stake[:, None], stake, unpaid)
        base = np.where(self.none[:, None], 0.0, base)
        flow = np.where(present, amounts, 0.0)
        base = np.where(present, base, 0.0)
        return flow, base * self.lgd[:, None], np.where(self.owes[:, None], base, 0.0)

    # ---- flows -------------------------------------------------------------------------
    def flows(self, Fd: np.ndarray, obl: np.ndarray, bff_cols: np.ndarray) -> dict:
        k = Fd.shape[1]
        n = self.n
        total = Fd.sum(axis=0)
        circ = np.zeros(k)
        for c in range(k):
            flow, _ = _circulate(n, self.f_src, self.f_dst, Fd[:, c], self.scale)
            circ[c] = flow.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            circularity = np.where(total > 0, circ / np.where(total > 0, total, 1.0), np.nan)
        bff_c = np.full(k, np.nan)
        for c in np.flatnonzero(bff_cols):
            w = sp.csr_array((Fd[:, c], (self.f_src, self.f_dst)), shape=(n, n))
            w.eliminate_zeros()
            C, _ = bff(w)
            bff_c[c] = float(C.sum()) / total[c] if total[c] > 0 else np.nan
        out = {"total_flow": total, "max_circulation": circ, "max_circulation_share": circularity,
               "bff_circular_share": bff_c}
        if len(self.cyc_start):
            bott = np.minimum.reduceat(Fd[self.cyc_pos], self.cyc_start, axis=0)
        else:
            bott = np.zeros((0, k))
        out["cycle_bottlenecks"] = bott
        out["cycles"] = (bott > 0).sum(axis=0).astype(float)
        out["cycle_weight"] = bott.sum(axis=0)
        out["heaviest_cycle"] = bott.max(axis=0) if len(bott) else np.zeros(k)
        inflow = self.Min @ Fd
        sq = self.Min @ (Fd * Fd)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["inflow_hhi"] = np.where(inflow > 0, sq / np.where(inflow > 0, inflow, 1.0) ** 2,
                                         np.nan)
            due = self.Mdue @ obl
            rev = self.revenue[:, None]
            ok = np.isfinite(rev) & (rev > 0)
            out["coverage"] = np.where(ok, due / np.where(ok, rev, 1.0), np.nan)
        return out


class _Contagion:
    """Contagion and ranking set-up shared by every draw (the entities' side does not
    depend on the amounts)."""

    def __init__(self, network: Network, engine: _Engine, shock: dict[str, float],
                 statuses, kind_list, lgd, missing_equity, rule, alpha, beta, outside_debt,
                 weights=None):
        self.engine = engine
        self.n = network.n
        self.rule = rule
        self.alpha, self.beta, self.outside_debt = alpha, beta, outside_debt
        ents = network.entities
        self.e_given = network.entity_vector("external_assets") if "external_assets" in ents \
            else np.full(self.n, np.nan)
        self.debt = network.entity_vector("debt") if "debt" in ents else np.full(self.n, np.nan)
        common = dict(lgd=lgd, status=statuses, kinds=kind_list, missing_equity=missing_equity)
        self.rank = prepare(network, None, None, require_shock=False, **common)
        self.shock = shock
        if shock:
            defaults = [k for k, v in shock.items() if v >= 1.0]
            parts = {k: v for k, v in shock.items() if v < 1.0}
            self.sc = prepare(network, defaults, parts, **common)
            self.sc_en = prepare(network, defaults, parts, has_capital=np.isfinite(self.e_given),
                                 **common)
        # ranking: linear DebtRank, each non-external entity alone
        r = self.rank
        self.J = np.flatnonzero(~r.external)
        self.r_cap = np.where(np.isfinite(r.capital), r.capital, np.nan)
        self.r_modelled = np.isfinite(self.r_cap)
        self.r_capz = np.nan_to_num(self.r_cap)
        self.r_v, _ = _weights(r, weights)
        #: DebtRank R weighs by equity shares (so drawn equity changes the weights)
        self.r_equity_weights = weights is None and \
            network.metadata.get("debtrank_weights") is None

    # ---- equity drawn per copy -------------------------------------------------------
    @staticmethod
    def _drawn(sc, eq: np.ndarray | None, k: int):
        """(capital, initial loss, equity) of ``sc`` over ``k`` copies of the union, with
        each copy's equity drawn (``eq``: n x k) or the point equity (``eq`` None)."""
        t = lambda x: np.tile(x, k)                      # noqa: E731
        cap, init, equity = t(sc.capital), t(sc.initial_loss), t(sc.equity)
        if eq is None:
            return cap, init, equity
        e_d = np.asarray(eq, dtype=float).T.ravel()      # copy-major, as np.tile
        drawn = np.isfinite(cap) & np.isfinite(equity) & (e_d != equity)
        equity = np.where(drawn, e_d, equity)
        new_cap = np.where(drawn, np.maximum(e_d, 0.0), cap)
        init = init + t(sc.user_fraction) * (np.nan_to_num(new_cap) - np.nan_to_num(cap))
        return new_cap, init, equity

    @staticmethod
    def _fraction(cap: np.ndarray, init: np.ndarray, forced: np.ndarray) -> np.ndarray:
        """As :meth:`Scenario.fraction` on union arrays."""
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(init > 0, init / cap, 0.0)
        f = np.where(np.isfinite(cap), f, 0.0)
        return np.where(forced, np.maximum(f, 1.0), f)

    # ---- one shock under each model ---------------------------------------------------
    def _totals(self, rel, defaulted, cap, k):
        n = self.n
        modelled = np.isfinite(cap)
        r = np.where(modelled, np.clip(rel, 0.0, 1.0), np.nan)
        loss = np.where(modelled, r * np.nan_to_num(cap), 0.0)
        lost = np.nansum(loss.reshape(k, n), axis=1)
        D = defaulted.reshape(k, n)
        return lost, D.sum(axis=1).astype(float), D.T

    def shock_block(self, Ed: np.ndarray, Ld: np.ndarray, lend: np.ndarray,
                    eq: np.ndarray | None = None) -> dict:
        e = self.engine
        n, k = self.n, Ed.shape[1]
        sc = self.sc
        t = lambda x: np.tile(x, k)                      # noqa: E731
        E = _union(e.e_src, e.e_dst, Ed, n)
        cap, init, _ = self._drawn(sc, eq, k)
        modelled = np.isfinite(cap)
        forced = t(sc.forced)
        prop = modelled | forced
        out = {}
        # threshold cascade (contagion.threshold_cascade)
        loss, d, _, _ = cascade_kernel(_columns(E, prop), cap, init, forced, self.rule)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(loss > 0, np.minimum(1.0, loss / cap), 0.0)
        rel = np.where(d, 1.0, rel)
        out["cascade"] = self._totals(rel, d | forced, cap, k)
        # original DebtRank (contagion.debtrank)
        frac = self._fraction(cap, init, forced)
        zc = modelled & (np.nan_to_num(cap) == 0)
        W = impact_matrix(E, cap, prop, capped=True)
        h, _, d, _, _ = debtrank_kernel(W, np.where(forced, 1.0, frac), forced, self.rule,
                                        zero_cap=zc)
        d = d & prop
        out["debtrank"] = self._totals(h, d | forced, cap, k)
        # linear DebtRank (contagion.linear_debtrank)
        Lam = impact_matrix(E, cap, prop, capped=False)
        raw = np.where(forced, 1.0, frac)
        s = np.minimum(1.0, raw)
        fp = linear_debtrank_fixed_point(Lam, s, zero_cap=zc, max_iter=10_000)
        pressure = fp.pressure + (raw - s)
        d = forced | (modelled & (pressure > 0) & _is_default(pressure, self.rule))
        out["linear-debtrank"] = self._totals(fp.y, d, cap, k)
        out["eisenberg-noe"] = self._en(Ld, lend, k, eq)
        return out

    def _en(self, Ld: np.ndarray, lend: np.ndarray, k: int, eq: np.ndarray | None = None):
        """Eisenberg-Noe as :func:`finflow.analysis.contagion.eisenberg_noe`, per copy."""
        e = self.engine
        n = self.n
        sc = self.sc_en
        t = lambda x: np.tile(x, k)                      # noqa: E731
        L = _union(e.l_src, e.l_dst, Ld, n)
        a = np.asarray(L.sum(axis=0)).ravel()
        owe_in = np.asarray(L.sum(axis=1)).ravel()
        debt = t(self.debt)
        b = np.where(np.isfinite(debt), np.maximum(0.0, debt - _flat(lend)), 0.0)
        if self.outside_debt == "ignore":
            b = np.zeros(n * k)
        e_given = t(self.e_given)
        has_e = np.isfinite(e_given)
        cap0, init0, equity = self._drawn(sc, eq, k)
        eq = np.where(np.isfinite(cap0), cap0, np.nan)
        ext = t(sc.external)
        forced = t(sc.forced)
        ee = np.where(has_e, e_given, np.maximum(0.0, np.nan_to_num(eq) + owe_in + b - a))
        never = ext | (~np.isfinite(cap0) & ~has_e & ~forced)
        if self.outside_debt == "senior":
            e_eff, out_b = np.maximum(0.0, ee - b), np.zeros(n * k)
        else:
            e_eff, out_b = ee, b
        e_eff = np.where(never, 0.0, e_eff)
        base = clearing_vector(L, e_eff, outside=out_b, alpha=self.alpha, beta=self.beta,
                               never_default=never)
        pbar = base.obligations
        v0 = np.where(base.insolvent, 0.0, np.maximum(0.0, e_eff + base.received - pbar))
        cap = np.where(np.isfinite(cap0), cap0, np.where(has_e & ~ext, v0, np.nan))
        uf = t(sc.user_fraction)
        initial = np.where(np.isfinite(cap), uf * np.nan_to_num(cap), 0.0) + (
            init0 - np.where(np.isfinite(equity) & ~ext,
                                          uf * np.nan_to_num(np.maximum(equity, 0)), 0.0))
        e_s = np.where(forced, 0.0, np.maximum(0.0, e_eff - initial))
        c = clearing_vector(L, e_s, outside=out_b, alpha=self.alpha, beta=self.beta,
                            never_default=never & ~forced)
        v1 = np.where(c.insolvent, 0.0, np.maximum(0.0, e_s + c.received - pbar))
        modelled = np.isfinite(cap)
        with np.errstate(divide="ignore", invalid="ignore"):
            drop = np.maximum(np.maximum(0.0, v0 - v1), initial)
            rel = np.where(cap > 0, np.minimum(1.0, drop / np.where(cap > 0, cap, 1.0)),
                           np.where(c.insolvent | forced, 1.0, 0.0))
        rel = np.where(forced, 1.0, rel)
        d = (c.insolvent & (modelled | forced)) | forced
        return self._totals(rel, d, cap, k)

    # ---- systemic ranking -------------------------------------------------------------
    def rank_block(self, Ed: np.ndarray, max_steps: int = 60, eq: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Impact and DebtRank R (each J x k) of every non-external entity defaulting alone,
        under linear DebtRank (as :func:`finflow.analysis.ranking.systemic_ranking`).

        The scenario of entity j shocks j in every copy of the union at once (copies do
        not interact); the capped dynamics run for all scenarios together and the ones
        not at a floating-point fixed point after ``max_steps`` steps finish with the
        exact solver, warm-started from their iterate."""
        e = self.engine
        n, k = self.n, Ed.shape[1]
        N = n * k
        E = _union(e.e_src, e.e_dst, Ed, n)
        cap = self._drawn(self.rank, eq, k)[0]
        capz_d = np.nan_to_num(cap).reshape(k, n)          # each copy's capital
        if eq is not None and self.r_equity_weights:
            tot = capz_d.sum(axis=1, keepdims=True)
            v_d = np.where(tot > 0, capz_d / np.where(tot > 0, tot, 1.0), 0.0)
        else:
            v_d = np.broadcast_to(self.r_v, (k, n))
        Lam = impact_matrix(E, cap, np.tile(~self.rank.external, k), capped=False)
        zc = np.isfinite(cap) & (np.nan_to_num(cap) == 0)
        Lfin, pattern = _split_zero_capital(Lam, zc)
        J = self.J
        impact = np.zeros((len(J), k))
        R = np.zeros((len(J), k))
        off = np.arange(k) * n
        width = max(1, min(len(J), int(2 * 1024**3 // (8 * 8 * max(N, 1)))))
        for lo in range(0, len(J), width):
            Jb = J[lo:lo + width]
            b = len(Jb)
            S0 = np.zeros((N, b))
            S0[(off[:, None] + Jb[None, :]).ravel(), np.tile(np.arange(b), k)] = 1.0
            Y = S0.copy()
            active = np.arange(b)
            for _ in range(max_steps):
                Yc = Y[:, active]
                P = np.asarray(Lfin @ Yc) + S0[:, active]
                if zc.any():
                    hit = np.asarray(pattern @ (Yc > 0).astype(float)) > 0
                    P[zc[:, None] & hit] = 1.0
                np.minimum(P, 1.0, out=P)
                np.maximum(P, Yc, out=P)
                P[P >= 1.0 - TOL] = 1.0
                done = (P == Yc).all(axis=0)
                Y[:, active] = P
                active = active[~done]
                if not len(active):
                    break
            for c in active:
                Y[:, c] = linear_debtrank_fixed_point(Lam, S0[:, c], zero_cap=zc,
                                                      lower=Y[:, c]).y
            rel = np.where(np.tile(self.r_modelled, k)[:, None], Y, 0.0).reshape(k, n, b)
            rel[:, Jb, np.arange(b)] = 0.0
            impact[lo:lo + b] = np.einsum("dnj,dn->jd", rel, capz_d)
            R[lo:lo + b] = np.einsum("dnj,dn->jd", rel, v_d)
        return impact, R


# --------------------------------------------------------------------------------------
# summaries of the draws
# --------------------------------------------------------------------------------------
def _band(x: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(median, p05, p95, count of finite values) along ``axis`` (NaN-aware, numpy's
    default linear interpolation)."""
    x = np.asarray(x, dtype=float)
    cnt = np.isfinite(x).sum(axis=axis)
    if x.shape[axis] == 0:
        shape = np.delete(np.array(x.shape), axis % x.ndim)
        nan = np.full(tuple(shape), np.nan)
        return nan, nan, nan, cnt
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanquantile(x, [0.5, 0.05, 0.95], axis=axis)
    return q[0], q[1], q[2], cnt


def kendall_tau(x: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of ``x`` with each column of ``Y`` (ties as in scipy).

    Parameters
    ----------
    x : array (J,)
    Y : array (J, k)

    Returns
    -------
    numpy.ndarray (k,)
        NaN where either side is constant.

    Raises
    ------
    ValueError
        When ``Y`` does not have ``len(x)`` rows.

    Notes
    -----
    ``tau_b = S / sqrt((n0 - n1)(n0 - n2))`` with S = concordant minus discordant
    pairs, n0 = all pairs, n1 / n2 = pairs tied in x / in y; vectorised over the columns
    from the signs of all pairwise differences (O(J^2 k)); above 400 rows scipy's
    O(J log J) per column.

    References
    ----------
    M. G. Kendall (1945), "The treatment of ties in ranking problems", Biometrika 33(3):
    239-251.

    Examples
    --------
    >>> import numpy as np
    >>> kendall_tau(np.array([1, 2, 3.]), np.array([[1, 3], [2, 2], [3, 1.]])).tolist()
    [1.0, -1.0]
    """
    x = np.asarray(x, dtype=float)
    Y = np.asarray(Y, dtype=float).reshape(len(x), -1)
    J, k = Y.shape
    if J > 400:                                   # pairs would not fit: scipy per column
        from scipy.stats import kendalltau
        return np.array([kendalltau(x, Y[:, c]).statistic for c in range(k)])
    i, j = np.triu_indices(J, 1)
    dx = np.sign(x[i] - x[j])
    dy = np.sign(Y[i] - Y[j])
    n0 = len(i)
    n1 = np.count_nonzero(dx == 0)
    n2 = np.count_nonzero(dy == 0, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        den = np.sqrt((n0 - n1) * (n0 - n2).astype(float))
        return np.where(den > 0, (dx @ dy) / np.where(den > 0, den, 1.0), np.nan)


def _top_of(impact: np.ndarray, R: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Index (into rows) of the top entity of each column: impact, then R, largest
    first, then id (the order of the ranking's table)."""
    order = np.argsort(names, kind="stable")
    name_rank = np.empty(len(names), dtype=np.int64)
    name_rank[order] = np.arange(len(names))
    out = np.zeros(impact.shape[1], dtype=np.int64)
    for c in range(impact.shape[1]):
        out[c] = np.lexsort((name_rank, -R[:, c], -impact[:, c]))[0]
    return out


@dataclass(frozen=True)
class UncertaintyResult(Result):
    """What ``finflow uncertainty`` reports.

    ``figures``: one row per headline figure (``name``, ``label``, ``unit``, ``point``,
    ``median``, ``p05``, ``p95``, ``draws`` = draws with a value). ``entities``: per
    entity, coverage (commitments due / revenue) and inflow HHI with their bands, the
    impact rank's band and how often it ranks first, and the share of draws in which it
    defaults under each model. ``entity_defaults``: those shares alone. ``top_cycles``:
    the point estimate's heaviest short cycles across the draws. ``scenarios``: the
    headline figures under each status scenario (point values), side by side.
    ``null_model``: the significance of circularity. ``rank_stability``: Kendall's tau to
    the point ranking and how often the top entity stays top. ``inputs``: the
    commitments that vary (range or presence below 1). ``samples``: every figure in
    every draw (one row per draw; not in ``to_dict``); ``impact_samples``: each entity's
    linear-DebtRank impact in every ranked draw.
    """

    name: str
    unit: str
    draws: int
    seed: int | None
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    presence: dict
    distribution: str
    couple_deals: bool
    shock: dict
    shock_source: str
    figures: pd.DataFrame
    entities: pd.DataFrame = field(repr=False)
    entity_defaults: pd.DataFrame = field(repr=False)
    top_cycles: pd.DataFrame = field(repr=False)
    scenarios: pd.DataFrame = field(repr=False)
    scenario_info: tuple = ()
    null_model: NullModelResult | None = None
    rank_stability: dict = field(default_factory=dict)
    inputs: pd.DataFrame = field(default=None, repr=False)
    max_length: int | None = DEFAULT_MAX_LENGTH
    bff_draws: int = 0
    rank_draws: int = 0
    lgd: dict = field(default_factory=dict)
    conventions: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)

    def timings(self) -> dict:
        """Wall-clock seconds of each stage of the run (not part of :meth:`to_dict`)."""
        return dict(self.diagnostics.get("seconds", {}))
    samples: pd.DataFrame = field(default=None, repr=False)
    impact_samples: pd.DataFrame = field(default=None, repr=False)
    title: str = "Uncertainty: bands over amount ranges and deal status, and significance"

    # ---- Result protocol --------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        return self.figures

    def figure(self, name: str) -> dict[str, Any]:
        """One headline figure as a dict (``point``, ``median``, ``p05``, ``p95``, ...)."""
        row = self.figures[self.figures["name"] == name]
        if row.empty:
            raise FinflowError(f"no figure {name!r}; have {', '.join(self.figures['name'])}")
        return {k: jsonable(v) for k, v in row.iloc[0].items()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table for display; shares of the figures and scenarios tables are shown
        in percent (unit ``%``), the JSON keeps them as fractions."""
        fig = self.figures[["name", "unit", "point", "median", "p05", "p95", "draws"]].copy()
        share = (fig["unit"] == "share").to_numpy()
        for c in ("point", "median", "p05", "p95"):
            fig[c] = np.where(share, 100.0 * fig[c].to_numpy(dtype=float), fig[c])
        fig.loc[share, "unit"] = "%"
        out: dict[str, pd.DataFrame] = {"figures": fig}
        if self.null_model is not None and not self.null_model.statistics.empty:
            out["null_model"] = self.null_model.statistics[
                ["statistic", "observed", "mean", "sd", "z", "p_value"]]
        if not self.scenarios.empty:
            sc = self.scenarios.copy()
            share = (sc["unit"] == "share").to_numpy()
            for c in sc.columns[2:]:
                sc[c] = [100.0 * v if s and isinstance(v, (float, np.floating)) else v
                         for v, s in zip(sc[c], share)]
            sc.loc[share, "unit"] = "%"
            out["scenarios"] = sc
        if not self.top_cycles.empty:
            out["top_cycles"] = self.top_cycles
        ent = self.entities
        if "impact_rank_point" in ent:
            rk = ent[ent["impact_rank_point"].notna() & ((ent["impact_point"] > 0)
                                                         | (ent["impact_p95"] > 0))]
            rk = rk.sort_values(["impact_rank_point", "id"], kind="stable")
            out["rank_stability"] = rk[["id", "impact_point", "impact_median", "impact_p05",
                                        "impact_p95", "impact_rank_point",
                                        "impact_rank_median", "impact_rank_p05",
                                        "impact_rank_p95", "top_share"]].reset_index(drop=True)
        cov = ent[ent["coverage_point"].notna() & (ent["coverage_p95"] > 0)].sort_values(
            "coverage_point", ascending=False, kind="stable")
        if len(cov):
            out["coverage"] = cov[["id", "coverage_point", "coverage_median", "coverage_p05",
                                   "coverage_p95"]].reset_index(drop=True)
        hh = ent[ent["inflow_hhi_draws"] > 0].sort_values("inflow_hhi_point", ascending=False,
                                                          kind="stable", na_position="last")
        if len(hh):
            out["inflow_hhi"] = hh[["id", "inflow_hhi_point", "inflow_hhi_median",
                                    "inflow_hhi_p05", "inflow_hhi_p95"]].reset_index(drop=True)
        if not self.entity_defaults.empty:
            cols = [c for c in self.entity_defaults.columns if c in MODELS]
            shown = self.entity_defaults[(self.entity_defaults[cols] > 0).any(axis=1)]
            if len(shown):
                out["entity_defaults"] = shown.reset_index(drop=True)
        if self.inputs is not None and len(self.inputs):
            out["inputs"] = self.inputs
        return out

    def summary(self) -> list[str]:
        f = {r["name"]: r for r in records(self.figures)}
        u = self.unit

        def band(name: str, pct: bool = False) -> str:
            r = f[name]
            fmt = (lambda x: "-" if x is None else f"{format_number(100 * x, 1)}%") if pct \
                else format_number
            if r["median"] is None:
                return f"{fmt(r['point'])} (point estimate; no draws)"
            return f"{fmt(r['median'])} (5-95%: {fmt(r['p05'])} to {fmt(r['p95'])}; point " \
                   f"{fmt(r['point'])})"

        lines = [f"{self.draws} draws (seed {self.seed}): amounts {self.distribution} within "
                 f"their ranges, loi and reported present with probability "
                 f"{self.presence.get('loi', 1):g} and {self.presence.get('reported', 1):g}"
                 + ("; legs of a deal drawn together" if self.couple_deals else "") + "."]
        if "max_circulation_share" in f:
            lines.append(f"max_circulation_share (maximum circulation / total flow): "
                         f"{band('max_circulation_share', True)}; maximum circulation "
                         f"{band('max_circulation')} {u}.")
        if "bff_circular_share" in f and f["bff_circular_share"]["draws"]:
            lines.append(f"Circular share by balanced flow forwarding "
                         f"({f['bff_circular_share']['draws']} draws): "
                         f"{band('bff_circular_share', True)}.")
        nm = self.null_model
        if nm is not None and nm.samples:
            lines.extend(nm.summary())
        if self.shock:
            shock = "; ".join(f"{k} defaults" if v >= 1 else f"{k} loses {v:.0%} of equity"
                              for k, v in self.shock.items())
            parts = []
            for m in MODELS:
                if f"{m}_equity_lost" in f:
                    d = f[f"{m}_defaults"]
                    parts.append(f"{m} {band(f'{m}_equity_lost')} {u} lost, "
                                 f"{_g(d['median'])} defaults ({_g(d['p05'])} to "
                                 f"{_g(d['p95'])}; point {_g(d['point'])})")
            if parts:
                lines.append(f"Shock: {shock} ({self.shock_source}). Equity lost, median (band; "
                             "point), and defaults: " + "; ".join(parts) + ".")
        rs = self.rank_stability
        if rs.get("top_entity") and rs.get("draws"):
            tau = rs.get("kendall_tau", {})
            lines.append(
                f"Systemic ranking (linear DebtRank, {rs.get('draws')} draws): "
                f"{rs['top_entity']} ranks first in {format_number(100 * rs['top_stays_top'], 1)}% "
                f"of draws; Kendall's tau to the point ranking median "
                f"{format_number(tau.get('median'))} (5-95%: {format_number(tau.get('p05'))} to "
                f"{format_number(tau.get('p95'))}).")
        if not self.scenarios.empty and "max_circulation_share" in set(self.scenarios["name"]):
            row = self.scenarios[self.scenarios["name"] == "max_circulation_share"].iloc[0]
            label = {_col(i["name"]): i["name"] for i in self.scenario_info}
            parts = [f"{label.get(c, c)} {format_number(100 * row[c], 1)}%"
                     for c in self.scenarios.columns
                     if c not in ("name", "unit") and isinstance(row[c], (float, np.floating))
                     and np.isfinite(row[c])]
            lines.append("max_circulation_share by scenario: " + ", ".join(parts) + ".")
        return lines

    def notes(self) -> list[str]:
        c = self.conventions
        out = [
            f"amounts: {c.get('amounts')}",
            f"presence: {c.get('presence')}",
            f"random numbers: {c.get('random')}",
            "bands: median and 5th-95th percentiles over the draws (numpy linear "
            "interpolation); 'draws' = draws in which the figure has a value",
            f"statuses: {', '.join(self.statuses)}; kinds: {', '.join(self.kinds)}",
            f"cycles: simple cycles of at most {self.max_length} edges on the payer -> payee "
            "pairs; heaviest_cycle = the largest bottleneck among them",
            f"bff_circular_share: first {self.bff_draws} draws only (one sparse solve per entity "
            "on a cycle per draw)",
        ]
        if self.shock:
            out.append(f"shock: {c.get('shock')}")
            out.append(f"contagion models: " + "; ".join(f"{m}: {MODEL_TITLES[m]}" for m in MODELS)
                       + f"; conventions as `finflow contagion` ({c.get('contagion')})")
        if self.rank_draws:
            out.append(f"ranking: linear DebtRank (Bardoscia et al. 2015) impact of each entity "
                       f"defaulting alone, first {self.rank_draws} draws; rank = 1 for the "
                       "largest impact (ties share the best rank); Kendall's tau-b of each "
                       "draw's impacts against the point estimate's")
        if self.lgd:
            out.append("LGD: " + ", ".join(f"{k} {v:g}" for k, v in self.lgd.items()))
        for info in self.scenario_info:
            out.append(f"scenario {info['name']}: {info['description']} "
                       f"(statuses {', '.join(info['statuses'])}"
                       + ("; cancelable rows dropped" if info["drop_cancelable"] else "")
                       + f"; {info['commitments']} commitments)")
        if self.null_model is not None:
            out.extend(self.null_model.notes())
        for k, v in self.skipped.items():
            out.append(f"{k} skipped: {v}")
        return out

    def to_dict(self) -> dict[str, Any]:
        scen = []
        if not self.scenarios.empty:
            for info in self.scenario_info:
                vals = {}
                for r in self.scenarios.itertuples(index=False):
                    vals[r.name] = jsonable(getattr(r, _col(info["name"])))
                scen.append({**info, "statuses": list(info["statuses"]), "figures": vals})
        return {
            "name": self.name, "unit": self.unit, "draws": self.draws, "seed": self.seed,
            "statuses": list(self.statuses), "kinds": list(self.kinds),
            "presence": dict(self.presence), "distribution": self.distribution,
            "couple_deals": self.couple_deals, "shock": dict(self.shock),
            "shock_source": self.shock_source, "max_length": self.max_length,
            "bff_draws": self.bff_draws, "rank_draws": self.rank_draws,
            "figures": records(self.figures),
            "entities": records(self.entities),
            "entity_defaults": records(self.entity_defaults),
            "top_cycles": records(self.top_cycles),
            "scenarios": scen,
            "null_model": self.null_model.to_dict() if self.null_model is not None else None,
            "rank_stability": jsonable(self.rank_stability),
            "inputs": records(self.inputs) if self.inputs is not None else [],
            "lgd": dict(self.lgd), "conventions": jsonable(self.conventions),
            "skipped": dict(self.skipped),
            # wall-clock timings change every run: they stay out of the JSON, so the same
            # seed gives the same bytes (``timings()``; the CLI prints them with --timings)
            "diagnostics": jsonable({k: v for k, v in self.diagnostics.items()
                                     if k != "seconds"}),
            "summary": self.summary(), "notes": self.notes(),
        }


def _g(x) -> str:
    return "-" if x is None else f"{x:g}"


def _col(name: str) -> str:
    return name.replace("-", "_")


# --------------------------------------------------------------------------------------
# the analysis
# --------------------------------------------------------------------------------------
def _resolve_scenarios(scenarios) -> tuple[str, ...]:
    if scenarios is None:
        return tuple(SCENARIOS)
    items = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    items = [p.strip().lower() for it in items for p in str(it).split(",") if p.strip()]
    if items in (["none"], []):
        return ()
    if "all" in items:
        return tuple(SCENARIOS)
    bad = [s for s in items if s not in SCENARIOS]
    if bad:
        raise FinflowError(f"unknown scenario {', '.join(map(repr, bad))}; choose from "
                           f"{', '.join(SCENARIOS)}, all or none")
    return tuple(s for s in SCENARIOS if s in items)


def uncertainty(network: Network, draws: int = DEFAULT_DRAWS,
                seed: int | None = DEFAULT_SEED, *,
                presence: Mapping[str, float] | Iterable[str] | str | None = None,
                distribution: str = "triangular", couple_deals: bool = True,
                scenarios: str | Iterable[str] | None = None,
                defaults: str | Iterable[str] | None = None,
                shocks: Mapping[str, float] | Iterable[str] | None = None,
                null_samples: int = DEFAULT_NULL_SAMPLES,
                swaps_per_edge: float = DEFAULT_SWAPS_PER_EDGE,
                max_length: int | None = DEFAULT_MAX_LENGTH,
                cycle_limit: int | None = CYCLE_LIMIT,
                bff_draws: int | None = DEFAULT_BFF_DRAWS,
                rank_draws: int | None = None,
                contagion: bool = True,
                lgd=None, missing_equity: str | None = None, default_rule: str = ">=",
                weights=None,
                alpha: float = 1.0, beta: float = 1.0, outside_debt: str = "pari_passu",
                status: str | Iterable[str] | None = None,
                kinds: str | Iterable[str] | None = None,
                scale: float | None = None, block_size: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> UncertaintyResult:
    """How sure is each finding? Bands over amount ranges and deal status, status
    scenarios side by side, rank stability and the significance of circularity.

    Parameters
    ----------
    network : Network
    draws : int, default 1,000
        Monte Carlo draws of the commitments (0: point estimate, scenarios and null
        model only).
    seed : int or None, default 0
        Seed of numpy's PCG64 generator (via ``SeedSequence``): the same seed gives the
        same numbers; None draws fresh entropy (and reports ``seed`` None).
    presence : mapping or ``STATUS=P`` items, optional
        Probability that a commitment of each status is present (see
        :func:`parse_presence`; default closed 1, committed 1, loi 0.5, reported 0.5,
        a selected lapsed status 1); ``cancelable=P`` also keeps a cancelable row only
        with probability P.
    distribution : {"triangular", "uniform", "fixed"}
        Amounts within ``[amount_low or amount, amount_high or amount]``: triangular with
        its mode at the headline amount (default), uniform, or fixed at the headline.
    couple_deals : bool, default True
        The legs of one deal share their random numbers (presence and amount quantile).
    scenarios : names, optional
        Status scenarios run side by side (default all of :data:`SCENARIOS`;
        ``"none"`` for none).
    defaults, shocks : optional
        The shock of the contagion figures (``--default ID``, ``--shock ID=F``). Default:
        the entity with the largest impact in the point estimate's systemic ranking
        (linear DebtRank) defaults.
    null_samples : int, default 999
        Random networks of the null model (0 skips it); see
        :func:`~finflow.analysis.nullmodel.circularity_significance`.
    swaps_per_edge : float, default 10
        Swap proposals per commitment in each leg of the null model's chain.
    max_length : int or None, default 4
        Longest cycle counted in the cycle figures and the null model.
    cycle_limit : int or None, default 10,000
        At most this many cycles are enumerated (beyond: the cycle figures are skipped,
        and so are the null model's cycle statistics).
    bff_draws : int or None, default 200
        Draws (the first ones) in which the balanced-flow-forwarding circular share is
        computed (None: every draw; 0: none, nor in the point estimate and scenarios).
        It costs one sparse solve per entity on a cycle per draw.
    rank_draws : int or None
        Draws (the first ones) in which the systemic ranking is computed (default every
        draw).
    contagion : bool, default True
        Compute the contagion and ranking figures.
    lgd : mapping kind -> float, or ``"KIND=X"`` items, optional
        Loss given default per kind of commitment, in [0, 1], over the defaults of
        :data:`finflow.KINDS` and the network's own (see :func:`finflow.resolve_lgd`):
        ``E[i, j]`` is i's LGD-weighted claim on j.
    missing_equity : {"error", "skip", "zero"}, optional
        Entities without book equity: stop with a :class:`~finflow.MissingDataError`
        (``"error"``), leave them out (they never default and do not propagate;
        ``"skip"``) or give them zero equity (``"zero"``). Default: the network's
        ``missing_equity`` metadata, else ``"error"``.
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
    weights : optional
        Weights of DebtRank R in the ranking, as :func:`finflow.systemic_ranking` (R only
        breaks ties of impact when naming each draw's top entity).
    status, kinds : filters
        The point estimate's statuses and kinds (default every status but lapsed, every
        kind); draws keep a row of a selected status with its presence probability.
    scale : float, optional
        Integer scaling of the min-cost-flow solver.
    block_size : int, optional
        Draws evaluated together (default: as many as keep the disjoint union of the
        block at 3,000 entities). Results do not depend on it.
    progress : callable(done, total), optional
        Called after each block of draws and each chunk of null samples; ``total`` =
        draws + null samples.

    Returns
    -------
    UncertaintyResult

    Raises
    ------
    FinflowError, MissingDataError
        On bad parameters, filters, presence, shock or scenario names. When the
        contagion models lack equity figures (``missing_equity="error"``) the contagion
        and ranking figures are skipped and ``skipped`` says why.

    Notes
    -----
    *Draws* (module docstring): amounts triangular on ``[lo, hi]`` with mode at the
    headline, presence Bernoulli per status, the legs of a deal coupled; absent rows drop
    out of F, E and L. Rows without a known amount or with ``in_totals`` false are
    left out, as in every analysis.

    *Figures*, each with the point estimate, the median and the 5-95 % band over the
    draws: ``commitments`` present; ``total_flow``; ``max_circulation`` and
    ``max_circulation_share`` = maximum circulation / total flow
    (:func:`~finflow.analysis.circulation.max_circulation`); ``bff_circular_share`` (the
    circular share by balanced flow forwarding, first ``bff_draws`` draws);
    ``cycles`` and ``cycle_weight`` (the number and total bottleneck of the simple
    cycles of at most ``max_length`` edges) and ``heaviest_cycle`` (the largest
    bottleneck among them); for the shock, each contagion model's ``equity_lost``
    and ``defaults`` (as ``finflow contagion``); the point top entity's ``impact`` and
    ``kendall_tau`` (tau-b of each draw's linear-DebtRank impacts against the point
    estimate's). Per entity: ``coverage`` = commitments due / revenue and
    ``inflow_hhi`` (as ``finflow concentration``), the impact rank and the share of
    draws it ranks first, and the share of draws it defaults under each model.
    ``top_cycles`` follows the point estimate's heaviest short cycles: bottleneck band,
    share of draws in which the cycle exists and in which it is the heaviest.

    *Evaluation*: F, E and L are linear in per-commitment values (amount; LGD x
    remaining amount; remaining amount, with remaining = funded, else amount, for stakes
    and loans, and amount - funded for contracts), so a block of draws is a
    (commitments x draws) matrix times a sparse commitment -> pair aggregator.
    Maximum circulation and BFF run per draw; contagion and ranking run the models'
    kernels (:mod:`finflow.analysis.propagation`) once per block on the disjoint union
    of the block's draws (block-diagonal matrices), which is exactly every draw on its
    own; the ranking shocks entity j in every copy at once.

    *Scenarios* (:data:`SCENARIOS`): ``binding-only`` (closed and committed),
    ``announced`` (every status but lapsed), ``no-cancelable`` (the selected statuses
    without cancelable rows), ``low-amounts`` / ``high-amounts`` (every amount at the
    bottom / top of its range); headline amounts otherwise; point values of the same
    figures, side by side with the point estimate.

    *Null model*: :func:`~finflow.analysis.nullmodel.circularity_significance` on the
    point network.

    Cost on the bundled network (45 entities, 80 counted commitments), 1,000 draws:
    a few seconds in all (see the README's performance table).

    Examples
    --------
    A 2-cycle whose return leg is a letter of intent: present in about half the draws,
    so the circularity's band runs from 0 to the point estimate.

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b"]}),
    ...     pd.DataFrame({"payer": ["a", "b"], "payee": ["b", "a"], "kind": "other",
    ...                   "amount": [10.0, 10.0], "status": ["closed", "loi"]}))
    >>> r = uncertainty(net, 200, null_samples=0, scenarios="binding-only")
    >>> c = r.figure("max_circulation_share")
    >>> c["point"], c["p05"], c["p95"]
    (1.0, 0.0, 1.0)
    >>> r.to_dict()["scenarios"][0]["figures"]["max_circulation_share"]
    0.0

    References
    ----------
    D. Johnson (1997), "The triangular distribution as a proxy for the beta distribution
    in risk analysis", JRSS D 46(3). J. Besag, P. Clifford (1989), "Generalized Monte
    Carlo significance tests", Biometrika 76(4). M. G. Kendall (1945), "The treatment of
    ties in ranking problems", Biometrika 33(3). Bardoscia et al. (2015), "DebtRank: a
    microscopic foundation for shock propagation", PLoS ONE 10(6).
    """
    ensure_network(network, "uncertainty")
    t_start = time.perf_counter()
    draws = _check_count(draws, "draws")
    null_samples = _check_count(null_samples, "null samples")
    bff_draws = draws if bff_draws is None else min(_check_count(bff_draws, "BFF draws"), draws)
    rank_draws = draws if rank_draws is None else min(_check_count(rank_draws, "rank draws"),
                                                      draws)
    max_length = _check_length(max_length)
    rule = _check_rule(default_rule)
    if outside_debt not in OUTSIDE_DEBT_RULES:
        raise FinflowError(f"outside debt must be one of {', '.join(OUTSIDE_DEBT_RULES)}")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    pres = parse_presence(presence)
    chosen = _resolve_scenarios(scenarios)
    lgd_table = network.lgd(lgd)
    ss = _seed_sequence(seed)
    ss_draws, ss_null = ss.spawn(2)
    equity_sampler = _EquitySampler(network, distribution, ss.spawn(1)[0])  # third child
    n = network.n
    names = np.asarray(network.index, dtype=object)
    rows = _universe(network, statuses, kind_list, chosen)
    com = network.commitments.iloc[rows]
    status_arr = com["status"].to_numpy(dtype=object)
    # draws come from the rows of the selected statuses only, so that they are the
    # draws of draw_commitments whatever scenarios widen the engine's rows
    sel_idx = np.flatnonzero(np.isin(status_arr, list(statuses)))
    sampler = _Sampler(com.iloc[sel_idx], statuses, pres, distribution, couple_deals,
                       ss_draws)
    lo_u, mode_u, hi_u = _ranges(com)
    cancelable = com["cancelable"].fillna(False).to_numpy(dtype=bool) \
        if "cancelable" in com else np.zeros(len(com), dtype=bool)
    engine = _Engine(network, rows, lgd_table, max_length, cycle_limit, scale)
    skipped: dict[str, str] = {}
    if engine.cyc_truncated:
        skipped["cycles"] = (f"more than {cycle_limit} cycles of at most {max_length} "
                             "edges; raise the cycle limit or lower the length")

    # ---- deterministic columns: the point estimate and the scenarios -------------------
    det_names = ["point"] + list(chosen)
    det_amounts = np.empty((len(rows), len(det_names)))
    det_present = np.zeros((len(rows), len(det_names)), dtype=bool)
    scenario_info = []
    for c, name in enumerate(det_names):
        spec = SCENARIOS.get(name, {"statuses": None, "drop_cancelable": False,
                                    "amounts": "amount"})
        sts = spec["statuses"] or statuses
        det_present[:, c] = np.isin(status_arr, list(sts))
        if spec["drop_cancelable"]:
            det_present[:, c] &= ~cancelable
        det_amounts[:, c] = {"amount": mode_u, "low": lo_u, "high": hi_u}[spec["amounts"]]
        if name != "point":
            scenario_info.append({"name": name, "description": spec["description"],
                                  "statuses": tuple(s for s in STATUSES if s in sts),
                                  "drop_cancelable": spec["drop_cancelable"],
                                  "amounts": spec["amounts"],
                                  "commitments": int(det_present[:, c].sum())})

    # ---- contagion set-up (the shock defaults to the point ranking's top entity) -------
    cont: _Contagion | None = None
    shock: dict[str, float] = {}
    shock_source = ""
    if contagion:
        from .scenario import parse_shock
        shock = parse_shock(network, defaults, shocks)
        shock_source = "given"
        try:
            cont = _Contagion(network, engine, shock, statuses, kind_list, lgd,
                              missing_equity, rule, alpha, beta, outside_debt, weights)
        except MissingDataError as exc:
            skipped["contagion"] = str(exc)
            cont = None
        if cont is not None and not len(cont.J):
            skipped["contagion"] = "no entity can be shocked (every entity is external)"
            cont = None
    t_setup = time.perf_counter()

    def evaluate(amounts, present, bff_cols, rank_cols, eq=None) -> dict:
        flow, exp, obl = engine.values(amounts, present)
        Fd = engine.Mf @ flow
        out = engine.flows(Fd, obl, bff_cols)
        out["commitments"] = present.sum(axis=0).astype(float)
        if cont is not None:
            Ed = engine.Me @ exp
            if cont.shock:
                Ld = engine.Ml @ obl
                lend = engine.Mlend @ obl
                for m, (lost, nd, D) in cont.shock_block(Ed, Ld, lend, eq).items():
                    out[f"{m}_equity_lost"], out[f"{m}_defaults"] = lost, nd
                    out[f"{m}_default_mask"] = D
            k = amounts.shape[1]
            imp = np.full((len(cont.J), k), np.nan)
            R = np.full((len(cont.J), k), np.nan)
            if rank_cols.any():
                imp[:, rank_cols], R[:, rank_cols] = cont.rank_block(
                    Ed[:, rank_cols], eq=None if eq is None else eq[:, rank_cols])
            out["impact"], out["debtrank_R"] = imp, R
        return out

    def split(k: int) -> int:
        return max(1, int(block_size or min(max(k, 1), max(1, _UNION_NODES // max(n, 1)))))

    # the point estimate first: it names the default shock
    det_flags = np.ones(len(det_names), dtype=bool)
    det_bff = det_flags & (bff_draws > 0)
    if cont is not None and not shock:
        point = evaluate(det_amounts[:, :1], det_present[:, :1], ~det_flags[:1], det_flags[:1])
        top = cont.J[_top_of(point["impact"], point["debtrank_R"],
                             names[cont.J].astype(str))[0]]
        shock = {str(names[top]): 1.0}
        shock_source = "the most systemic entity of the point estimate, by linear DebtRank"
        if not np.nanmax(point["impact"][:, 0]) > 0:
            shock_source += " (no default costs the others anything: the first by id)"
        try:
            cont = _Contagion(network, engine, shock, statuses, kind_list, lgd,
                              missing_equity, rule, alpha, beta, outside_debt, weights)
        except MissingDataError as exc:                      # pragma: no cover - same rule
            skipped["contagion"] = str(exc)
            cont = None
    det: dict[str, np.ndarray] = {}
    step = split(len(det_names))
    for lo in range(0, len(det_names), step):
        sl = slice(lo, lo + step)
        part = evaluate(det_amounts[:, sl], det_present[:, sl], det_bff[sl], det_flags[sl])
        for key, v in part.items():
            det.setdefault(key, []).append(v)
    det = {k: np.concatenate(v, axis=-1) for k, v in det.items()}
    t_det = time.perf_counter()

    # ---- the draws ---------------------------------------------------------------------
    total_work = draws + null_samples
    acc: dict[str, list[np.ndarray]] = {}
    step = split(draws)
    for lo in range(0, draws, step):
        k = min(step, draws - lo)
        a_s, p_s = sampler.next(k)
        amounts = np.repeat(mode_u[:, None], k, axis=1)
        amounts[sel_idx] = a_s
        present = np.zeros((len(rows), k), dtype=bool)
        present[sel_idx] = p_s
        idx = np.arange(lo, lo + k)
        eq = equity_sampler.next(k) if equity_sampler.active else None
        part = evaluate(amounts, present, idx < bff_draws, idx < rank_draws, eq)
        for key, v in part.items():
            acc.setdefault(key, []).append(v)
        if progress is not None:
            progress(lo + k, total_work)
    mc = {k: np.concatenate(v, axis=-1) for k, v in acc.items()} if draws else {
        k: v[..., :0] for k, v in det.items()}
    t_draws = time.perf_counter()

    # ---- null model --------------------------------------------------------------------
    null = None
    if null_samples:
        prog = (lambda d, t: progress(draws + d, total_work)) if progress else None
        null = circularity_significance(network, null_samples, ss_null,
                                        swaps_per_edge=swaps_per_edge, max_length=max_length,
                                        cycle_limit=cycle_limit, status=statuses,
                                        kinds=kind_list, scale=scale, progress=prog)
        null = replace(null, seed=seed)
    t_null = time.perf_counter()

    # ---- tables ------------------------------------------------------------------------
    u = network.unit_label
    fig_rows = []
    labels = {
        "commitments": ("commitments present", "count"),
        "total_flow": ("total flow", u),
        "max_circulation": ("maximum circulation", u),
        "max_circulation_share": ("max_circulation_share (maximum circulation / total flow)", "share"),
        "bff_circular_share": ("circular share, balanced flow forwarding", "share"),
        "cycles": (f"cycles of at most {max_length} edges", "count"),
        "cycle_weight": (f"total bottleneck of cycles of at most {max_length} edges", u),
        "heaviest_cycle": (f"heaviest cycle of at most {max_length} edges (bottleneck)", u),
    }
    keys = [k for k in _FLOW_FIGURES if not (k in ("cycles", "cycle_weight", "heaviest_cycle")
                                              and "cycles" in skipped)
            and not (k == "bff_circular_share" and bff_draws == 0)]
    if cont is not None and cont.shock:
        for m in MODELS:
            labels[f"{m}_equity_lost"] = (f"{m}: equity lost", u)
            labels[f"{m}_defaults"] = (f"{m}: defaults", "count")
            keys += [f"{m}_equity_lost", f"{m}_defaults"]
    rank_stability: dict[str, Any] = {}
    top_point = None
    if cont is not None:
        Jn = names[cont.J].astype(str)
        p_imp, p_R = det["impact"][:, 0], det["debtrank_R"][:, 0]
        top_point = int(_top_of(p_imp[:, None], p_R[:, None], Jn)[0])
        det["top_impact"] = det["impact"][top_point]
        mc["top_impact"] = mc["impact"][top_point]
        labels["top_impact"] = (f"impact of {Jn[top_point]} defaulting alone "
                                "(linear DebtRank)", u)
        det["kendall_tau"] = kendall_tau(p_imp, det["impact"])
        mc["kendall_tau"] = kendall_tau(p_imp, mc["impact"])
        labels["kendall_tau"] = ("Kendall's tau to the point ranking", "tau")
        keys += ["top_impact", "kendall_tau"]
        ranked = mc["impact"][:, :rank_draws]
        tops = _top_of(ranked, mc["debtrank_R"][:, :rank_draws], Jn) if rank_draws else \
            np.zeros(0, dtype=int)
        taus = mc["kendall_tau"][:rank_draws]
        med, p05, p95, _ = _band(taus)
        rank_stability = {
            "model": "linear-debtrank", "draws": rank_draws,
            "top_entity": str(Jn[top_point]),
            "top_stays_top": float(np.mean(tops == top_point)) if rank_draws else None,
            "kendall_tau": {"median": float(med), "p05": float(p05), "p95": float(p95),
                            "mean": float(np.mean(taus[np.isfinite(taus)]))
                            if np.isfinite(taus).any() else None},
            "top_shares": {str(Jn[i]): float(np.mean(tops == i))
                           for i in np.unique(tops)} if rank_draws else {},
        }
    for key in keys:
        label, unit = labels[key]
        x = mc[key]
        if key == "bff_circular_share":
            x = x[:bff_draws]
        elif key in ("top_impact", "kendall_tau"):
            x = x[:rank_draws]
        med, p05, p95, cnt = _band(x)
        fig_rows.append({"name": key, "label": label, "unit": unit,
                         "point": float(det[key][0]), "median": float(med),
                         "p05": float(p05), "p95": float(p95), "draws": int(cnt)})
    figures = pd.DataFrame(fig_rows, columns=["name", "label", "unit", "point", "median",
                                              "p05", "p95", "draws"])

    # per entity
    ent = pd.DataFrame({"id": names.astype(str)})
    for key in ("coverage", "inflow_hhi"):
        med, p05, p95, cnt = _band(mc[key], axis=1)
        ent[f"{key}_point"] = det[key][:, 0]
        ent[f"{key}_median"], ent[f"{key}_p05"], ent[f"{key}_p95"] = med, p05, p95
        ent[f"{key}_draws"] = cnt.astype(int)
    defaults_frame = pd.DataFrame({"id": names.astype(str)})
    if cont is not None:
        pos = cont.J
        point_rank = rankdata(-det["impact"][:, 0], method="min")
        ranks = rankdata(-mc["impact"][:, :rank_draws], method="min", axis=0) if rank_draws \
            else np.zeros((len(pos), 0))
        med, p05, p95, _ = _band(ranks, axis=1)
        i_med, i_p05, i_p95, _ = _band(mc["impact"][:, :rank_draws], axis=1)
        for col, val in (("impact_point", det["impact"][:, 0]), ("impact_median", i_med),
                         ("impact_p05", i_p05), ("impact_p95", i_p95),
                         ("impact_rank_point", point_rank), ("impact_rank_median", med),
                         ("impact_rank_p05", p05), ("impact_rank_p95", p95)):
            ent[col] = np.nan
            ent.loc[pos, col] = val
        ent["top_share"] = np.nan
        ent.loc[pos, "top_share"] = [float(np.mean(tops == i)) if rank_draws else np.nan
                                     for i in range(len(pos))]
        if cont.shock:
            for m in MODELS:
                share = mc[f"{m}_default_mask"].mean(axis=1) if draws else np.full(n, np.nan)
                ent[f"defaults_{_col(m)}"] = share
                defaults_frame[m] = share
                ent[f"defaults_point_{_col(m)}"] = det[f"{m}_default_mask"][:, 0]
    # top cycles: the point estimate's heaviest short cycles across the draws
    top_cycles = pd.DataFrame(columns=["cycle", "point", "median", "p05", "p95", "present",
                                       "heaviest"])
    if "cycles" not in skipped and len(engine.cyc_start):
        pb = det["cycle_bottlenecks"][:, 0]
        order = [i for i in np.lexsort((np.arange(len(pb)), -pb)) if pb[i] > 0][:5]
        B = mc["cycle_bottlenecks"]
        best = B.max(axis=0) if B.shape[1] else np.zeros(0)
        rows_c = []
        for i in order:
            med, p05, p95, _ = _band(B[i])
            rows_c.append({"cycle": " > ".join(names[_rotate(engine.cyc_raw[i], names)]),
                           "point": float(pb[i]), "median": float(med), "p05": float(p05),
                           "p95": float(p95),
                           "present": float(np.mean(B[i] > 0)) if draws else np.nan,
                           "heaviest": float(np.mean((B[i] > 0) & (B[i] >= best)))
                           if draws else np.nan})
        if rows_c:
            top_cycles = pd.DataFrame(rows_c)
        if rows_c and draws:
            rank_stability["top_cycle"] = rows_c[0]["cycle"]
            rank_stability["top_cycle_stays_top"] = rows_c[0]["heaviest"]
    # scenarios side by side (point values)
    scen_frame = pd.DataFrame()
    if chosen:
        data: dict[str, list] = {"name": [], "unit": []}
        for c in det_names:
            data[_col(c)] = []
        for key in keys:
            data["name"].append(key)
            data["unit"].append(labels[key][1])
            for c, name in enumerate(det_names):
                data[_col(name)].append(float(det[key][c]))
        if cont is not None:
            data["name"].append("top_entity")
            data["unit"].append("id")
            for c, name in enumerate(det_names):
                t = _top_of(det["impact"][:, c:c + 1], det["debtrank_R"][:, c:c + 1],
                            names[cont.J].astype(str))[0]
                data[_col(name)].append(str(names[cont.J][t]))
        scen_frame = pd.DataFrame(data)
    # the commitments that vary
    scom = com.iloc[sel_idx]
    p_keep = sampler.p * np.where(sampler.cancelable, pres.get("cancelable", 1.0), 1.0)
    sel = (sampler.hi > sampler.lo) | (p_keep < 1.0)
    inputs = pd.DataFrame({
        "id": scom["id"].astype(str).to_numpy()[sel], "payer": scom["payer"].to_numpy()[sel],
        "payee": scom["payee"].to_numpy()[sel], "kind": scom["kind"].to_numpy()[sel],
        "status": scom["status"].to_numpy(dtype=object)[sel],
        "low": sampler.lo[sel], "amount": sampler.mode[sel], "high": sampler.hi[sel],
        "presence": p_keep[sel],
        "deal": scom["deal"].to_numpy(dtype=object)[sel] if "deal" in scom else None,
    })
    conventions = {
        "amounts": (f"{distribution} on [amount_low or amount, amount_high or amount]"
                    + (" with its mode at the headline amount" if distribution == "triangular"
                       else "") + "; rows without a range keep their amount; rows without a "
                    "known amount or with in_totals false are left out"),
        "presence": ", ".join(f"{s} {pres[s]:g}" for s in statuses)
        + (f"; cancelable rows kept with probability {pres['cancelable']:g}"
           if "cancelable" in pres else "")
        + ("; the legs of one deal share their random numbers" if couple_deals else
           "; every commitment drawn on its own"),
        "random": f"numpy PCG64 from SeedSequence({seed}); separate streams for amounts, "
                  "presence, cancelation, equity and the null model; draws do not depend "
                  "on the block size",
    }
    if equity_sampler.active:
        conventions["equity"] = (
            f"{len(equity_sampler.idx)} entities' equity drawn within equity_low.."
            f"equity_high ({distribution}, mode at equity): "
            + ", ".join(network.index[i] for i in equity_sampler.idx[:12])
            + (" ..." if len(equity_sampler.idx) > 12 else "")
            + "; the point estimate and the scenarios use equity")
    if cont is not None and cont.shock:
        conventions["shock"] = ("; ".join(f"{k} defaults" if v >= 1 else
                                          f"{k} loses {v:.0%} of equity"
                                          for k, v in cont.shock.items())
                                + f" ({shock_source})")
        conventions["contagion"] = (f"default rule '{rule}', missing equity "
                                    f"{cont.sc.missing_equity}, Eisenberg-Noe alpha {alpha:g} "
                                    f"beta {beta:g}, outside debt {outside_debt}")
    t_end = time.perf_counter()
    diagnostics = {"seconds": {"setup": t_setup - t_start, "point_and_scenarios": t_det - t_setup,
                               "draws": t_draws - t_det, "null_model": t_null - t_draws,
                               "tables": t_end - t_null, "total": t_end - t_start},
                   "block_size": split(draws), "rows": int(len(rows)),
                   "cycles_enumerated": int(len(engine.cyc_start))}
    return UncertaintyResult(
        name=network.name, unit=u, draws=draws, seed=seed, statuses=statuses,
        kinds=kind_list, presence=pres, distribution=distribution, couple_deals=couple_deals,
        shock=dict(cont.shock) if cont is not None else {},
        shock_source=shock_source if cont is not None else "",
        figures=figures, entities=ent, entity_defaults=defaults_frame if cont is not None
        and cont.shock else pd.DataFrame(), top_cycles=top_cycles, scenarios=scen_frame,
        scenario_info=tuple(scenario_info), null_model=null, rank_stability=rank_stability,
        inputs=inputs, max_length=max_length, bff_draws=bff_draws,
        rank_draws=rank_draws if cont is not None else 0,
        lgd={k: lgd_table[k] for k in kind_list if k != "other"}, conventions=conventions,
        skipped=skipped, diagnostics=diagnostics,
        samples=pd.DataFrame({key: mc[key] for key in keys}),
        impact_samples=pd.DataFrame(mc["impact"][:, :rank_draws].T,
                                    columns=list(names[cont.J].astype(str)))
        if cont is not None else None)
