"""Exposure concentration and coverage, per entity and for the network
(``../shared/DESIGN.md`` section 3, "Concentration").

Per entity: how concentrated its inflow and outflow are (Herfindahl-Hirschman index, top
counterparty and its share), how large its largest single exposure is against its equity
(flagged above the Basel large-exposure limit of 25 %), how far its commitments due run
beyond its revenue (coverage), and how much of its inflow it financed itself (money it
sent out that came back round, by balanced flow forwarding). For the network: Gini and
HHI of throughput, the share of volume touching the top entity, and PageRank centralities
on the flow graph and on the exposure matrix.

Every kernel runs on scipy.sparse matrices over ``network.index``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import FinflowError
from ..kinds import KINDS, resolve_kinds, resolve_lgd, resolve_statuses
from ..model import Network, floor_series
from ..text import format_number
from ..results import Result, jsonable, records
from .decomposition import circular_decomposition
from ..netcheck import ensure_network

__all__ = [
    "Concentration",
    "concentration",
    "counterparty_shares",
    "hhi",
    "gini",
    "pagerank",
    "LARGE_EXPOSURE_LIMIT",
    "SORT_FIELDS",
]

#: Basel large-exposure limit: 25 % of Tier 1 capital (BCBS 2014); book equity stands in.
LARGE_EXPOSURE_LIMIT = 0.25

#: Numeric per-entity fields that ``sort`` (``--sort``) accepts.
SORT_FIELDS: tuple[str, ...] = (
    "inflow", "outflow", "throughput", "n_payers", "n_payees", "n_counterparties",
    "inflow_hhi", "inflow_hhi_10k", "top_share", "outflow_hhi", "outflow_hhi_10k",
    "top_payee_share", "equity", "largest_exposure", "max_exposure_to_equity",
    "total_exposure", "total_exposure_to_equity", "large_exposure", "exposed_to_it",
    "revenue", "cash", "commitments_due", "coverage", "coverage_with_cash", "annual_due",
    "annual_coverage", "circular_inflow", "self_financed_share", "flow_pagerank",
    "exposure_pagerank",
)

#: Columns of the text table (``tables()["entities"]``) -> their JSON field names.
DISPLAY_COLUMNS: dict[str, str] = {
    "id": "id",
    "inflow": "inflow",
    "top_payer": "top_counterparty",
    "top_share": "top_share",
    "hhi_in": "inflow_hhi_10k",
    "exposed_to": "largest_exposure_to",
    "exposure": "largest_exposure",
    "exp/eq": "max_exposure_to_equity",
    ">25%": "large_exposure",
    "due": "commitments_due",
    "revenue": "revenue",
    "due/rev": "coverage",
    "yearly/rev": "annual_coverage",
    "self_fin": "self_financed_share",
}

DEFAULT_DAMPING = 0.85


# ---- generic measures ---------------------------------------------------------------
def _nonnegative(values: Any, what: str) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if np.isnan(x).any():
        raise FinflowError(f"{what}: values must not be missing (NaN)")
    if (x < 0).any():
        raise FinflowError(f"{what}: values must be non-negative")
    return x


def hhi(values: Iterable[float]) -> float:
    """Herfindahl-Hirschman index of a set of amounts, on the 0-1 scale.

    Parameters
    ----------
    values : array-like of float
        Non-negative amounts (one per counterparty, entity, ...).

    Returns
    -------
    float
        ``sum_i s_i**2`` with ``s_i = x_i / sum(x)``; NaN when the total is zero (no
        shares exist). Multiply by 10,000 for the antitrust convention (shares in %).

    Raises
    ------
    FinflowError
        If a value is negative or missing.

    Notes
    -----
    1/n <= HHI <= 1 for n positive amounts: 1 when one counterparty has everything,
    1/n when n share equally; 1/HHI is the "equivalent number" of equal counterparties.
    Complexity O(n).

    Examples
    --------
    >>> hhi([1, 1, 1, 1]), hhi([3, 1]), hhi([5])
    (0.25, 0.625, 1.0)

    References
    ----------
    O. C. Herfindahl (1950), "Concentration in the steel industry", PhD thesis, Columbia
    University; A. O. Hirschman (1945), "National Power and the Structure of Foreign Trade".
    """
    x = _nonnegative(values, "hhi")
    total = x.sum()
    if total <= 0:
        return float("nan")
    s = x / total
    return float(np.dot(s, s))


def gini(values: Iterable[float]) -> float:
    """Gini coefficient of a set of non-negative amounts (population definition).

    Parameters
    ----------
    values : array-like of float
        Non-negative amounts, e.g. every entity's throughput.

    Returns
    -------
    float
        ``G = sum_i sum_j |x_i - x_j| / (2 n^2 mean(x))``, in [0, 1 - 1/n]; NaN when the
        values are empty or sum to zero.

    Raises
    ------
    FinflowError
        If a value is negative or missing.

    Notes
    -----
    The mean-difference form (Gini 1912), computed in O(n log n) from the sorted values
    x_(1) <= ... <= x_(n) as ``G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n``. This is
    the population definition: one entity holding everything among n gives 1 - 1/n (the
    sample definition would multiply by n / (n - 1) and give 1).

    Examples
    --------
    >>> gini([1, 1, 1, 1]), gini([0, 0, 0, 1]), gini([1, 3])
    (0.0, 0.75, 0.25)

    References
    ----------
    C. Gini (1912), "Variabilità e mutabilità", Studi Economico-Giuridici della R.
    Università di Cagliari, 3(2).
    """
    x = np.sort(_nonnegative(values, "gini"))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1, dtype=float)
    g = 2.0 * np.dot(i, x) / (n * total) - (n + 1.0) / n
    return float(min(max(g, 0.0), 1.0))


def pagerank(matrix: sp.spmatrix | sp.sparray | np.ndarray, damping: float = DEFAULT_DAMPING,
             *, tol: float = 1e-12, max_iter: int = 1000) -> np.ndarray:
    """PageRank of a weighted directed graph given as a sparse matrix, by power iteration.

    Parameters
    ----------
    matrix : sparse or dense (n, n) array
        ``matrix[i, j]`` >= 0 = weight of the edge i -> j.
    damping : float
        Probability of following an edge rather than jumping to a uniformly random
        node (default 0.85, Brin and Page 1998); must lie in [0, 1).
    tol : float
        Stop when the L1 change of the score vector falls below ``tol``.
    max_iter : int
        Stop with an error after this many iterations.

    Returns
    -------
    numpy.ndarray
        Scores summing to 1, one per row/column.

    Raises
    ------
    FinflowError
        If the matrix is not square, has negative weights, the damping is outside
        [0, 1), or the iteration does not converge.

    Notes
    -----
    x = damping (P^T x + (dangling mass) / n) + (1 - damping) / n with P = the matrix
    row-normalised (a walker at i steps to j in proportion to weight i -> j); nodes
    without out-weight ("dangling") spread their score uniformly, as in
    ``networkx.pagerank``. Each iteration is one sparse matrix-vector product on CSR:
    O(edges); the error shrinks by at least the factor ``damping`` per iteration, so
    about 170 iterations reach 1e-12 at 0.85.

    Examples
    --------
    A 2-cycle is symmetric; a star's centre collects the walkers:

    >>> import numpy as np
    >>> pagerank(np.array([[0, 1], [1, 0]])).round(6).tolist()
    [0.5, 0.5]
    >>> x = pagerank(np.array([[0, 0, 0], [1, 0, 0], [1, 0, 0]]))
    >>> bool(x[0] > x[1] == x[2])
    True

    References
    ----------
    S. Brin, L. Page (1998), "The anatomy of a large-scale hypertextual Web search
    engine", Computer Networks and ISDN Systems 30(1-7).
    """
    m = sp.csr_array(matrix, dtype=float)
    if m.shape[0] != m.shape[1]:
        raise FinflowError("pagerank: the matrix must be square")
    if not 0.0 <= damping < 1.0:
        raise FinflowError(f"pagerank: damping {damping} is outside [0, 1)")
    n = m.shape[0]
    if n == 0:
        return np.zeros(0)
    if m.nnz and m.data.min() < 0:
        raise FinflowError("pagerank: weights must be non-negative")
    out = np.asarray(m.sum(axis=1)).ravel()
    dangling = out <= 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out))
    pt = (sp.diags_array(inv) @ m).T.tocsr()
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        new = damping * (pt @ x + x[dangling].sum() / n) + (1.0 - damping) / n
        err = np.abs(new - x).sum()
        x = new
        if err < tol:
            return x / x.sum()
    raise FinflowError(f"pagerank did not converge to {tol} in {max_iter} iterations")


# ---- per-entity kernels -------------------------------------------------------------
def _received(f: sp.csr_array) -> sp.csr_array:
    """F transposed as CSR: row i = what i receives from each payer."""
    r = sp.csr_array(f.T)
    r.sum_duplicates()
    r.eliminate_zeros()
    return r


def _row_shares(m: sp.csr_array) -> tuple[sp.csr_array, np.ndarray]:
    """Each row divided by its sum (empty rows stay empty), and the row sums."""
    total = np.asarray(m.sum(axis=1)).ravel()
    inv = np.where(total > 0, 1.0 / np.where(total > 0, total, 1.0), 0.0)
    s = sp.csr_array(sp.diags_array(inv) @ m)
    s.eliminate_zeros()
    return s, total


def counterparty_shares(network: Network, side: str = "inflow",
                        status: str | Iterable[str] | None = None,
                        kinds: str | Iterable[str] | None = None) -> sp.csr_array:
    """Each entity's counterparty shares on the flow graph F, as a sparse matrix.

    Parameters
    ----------
    network : Network
    side : {"inflow", "outflow"}
        ``inflow``: ``S[i, j]`` = share of i's inflow paid by j; ``outflow``: ``S[i, j]``
        = share of i's outflow paid to j.
    status, kinds : filters, as in :meth:`Network.flow_matrix`.

    Returns
    -------
    scipy.sparse.csr_array
        n x n over ``network.index``; each row with any flow sums to 1, a row without
        flow is empty.

    Raises
    ------
    FinflowError
        For an unknown ``side``, status or kind.

    Notes
    -----
    HHI of entity i = sum of squares of row i; top counterparty = the row's largest
    entry. O(edges).

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b"], "payee": ["c", "c"],
    ...                   "kind": ["purchase", "purchase"], "amount": [3.0, 1.0]}))
    >>> counterparty_shares(net).toarray()[2].tolist()   # c's inflow: 3/4 from a
    [0.75, 0.25, 0.0]
    """
    ensure_network(network, "counterparty_shares")
    f = network.flow_matrix(status, kinds)
    if side == "inflow":
        m = _received(f)
    elif side == "outflow":
        m = sp.csr_array(f)
    else:
        raise FinflowError(f"side must be 'inflow' or 'outflow', not {side!r}")
    return _row_shares(m)[0]


def _row_top(m: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """(argmax column, max value) of every row of a non-negative CSR matrix; -1 / 0 for
    an empty row. Ties go to the lowest column (entity order). O(nnz), no Python loop."""
    n = m.shape[0]
    top = np.full(n, -1, dtype=int)
    val = np.zeros(n)
    if m.nnz == 0:
        return top, val
    counts = np.diff(m.indptr)
    rows = np.flatnonzero(counts)
    starts = m.indptr[rows]
    val[rows] = np.maximum.reduceat(m.data, starts)
    row_of = np.repeat(np.arange(n), counts)
    cols = np.where(m.data == val[row_of], m.indices, n)
    top[rows] = np.minimum.reduceat(cols, starts)
    return top, val


def _concentration_side(m: sp.csr_array, ids: np.ndarray) -> dict[str, np.ndarray]:
    shares, total = _row_shares(m)
    h = np.asarray(shares.multiply(shares).sum(axis=1)).ravel()
    h = np.where(total > 0, h, np.nan)
    top, top_share = _row_top(shares)
    return {
        "total": total,
        "hhi": h,
        "top": np.where(top >= 0, ids[np.maximum(top, 0)], None),
        "top_share": np.where(total > 0, top_share, np.nan),
        "n": np.diff(m.indptr),
    }


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den where den is known and positive, NaN elsewhere."""
    ok = np.isfinite(den) & (den > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, num / np.where(ok, den, 1.0), np.nan)


def _annual_due(network: Network, statuses: tuple[str, ...],
                kind_list: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Per entity, the yearly payment rate of the contracts it pays (purchase, compute,
    lease), and the ids of unpaid contracts with neither a stated annual rate nor a term.

    Rate = ``annual`` where stated, else unpaid remainder / term in years. The term runs
    from the first day of ``start`` to the first day of ``end``, except that a year-only
    ``end`` counts to the end of that year (the bundled data's reading: 2027..2034 at 12.5
    a year = 100 is 8 years). An entity with such a contract gets NaN.
    """
    com = network.commitments
    payer_kinds = [k for k in kind_list if KINDS[k].obligation == "payer"]
    sel = network.mask(statuses, kind_list) & com["kind"].isin(payer_kinds).to_numpy()
    rows = com[sel]
    n = network.n
    if rows.empty:
        return np.zeros(n), []
    amount = rows["amount"].to_numpy(dtype=float)
    funded = np.nan_to_num(rows["funded"].to_numpy(dtype=float), nan=0.0)
    unpaid = np.clip(amount - funded, 0.0, None)
    start = floor_series(rows["start"])
    end = floor_series(rows["end"])
    year_only = rows["end"].astype(object).map(
        lambda s: isinstance(s, str) and len(s) == 4).to_numpy(dtype=bool)
    end = end.where(~year_only, end + pd.DateOffset(years=1))
    # whole months count exactly (2025-10 .. 2030-10 = 5 years), days at 365.25 a year
    years = ((end.dt.year - start.dt.year) + (end.dt.month - start.dt.month) / 12.0
             + (end.dt.day - start.dt.day) / 365.25).to_numpy(dtype=float)
    by_term = np.where(np.isfinite(years) & (years > 0), unpaid / np.where(years > 0, years, 1.0),
                       np.nan)
    annual = rows["annual"].to_numpy(dtype=float)
    rate = np.where(np.isfinite(annual), annual, by_term)
    rate = np.where(unpaid > 0, rate, 0.0)
    pos = pd.Index(network.index).get_indexer(rows["payer"])
    unknown = ~np.isfinite(rate)
    due = np.bincount(pos, weights=np.where(unknown, 0.0, rate), minlength=n)
    missing = np.bincount(pos, weights=unknown.astype(float), minlength=n) > 0
    due[missing] = np.nan
    return due, list(rows["id"].to_numpy()[unknown])


# ---- the result ---------------------------------------------------------------------
def _fmt_ratio(x: float) -> str:
    return f"{x:,.1f}" if abs(x) >= 10 else f"{x:,.2f}"


@dataclass(frozen=True)
class Concentration(Result):
    """What ``finflow concentration`` prints: one row per entity (``entities``), the
    network-level measures (``network``), and the conventions used (``notes()``)."""

    name: str
    unit: str
    as_of: str | None
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    lgd: dict[str, float]
    sort: str
    damping: float
    entities: pd.DataFrame = field(repr=False)
    network: dict[str, Any] = field(repr=False)
    missing: dict[str, list[str]] = field(repr=False)
    no_term: tuple[str, ...] = ()
    title: str = "Concentration and coverage"

    # ---- tables ----
    def to_frame(self) -> pd.DataFrame:
        return self.entities

    def display_frame(self) -> pd.DataFrame:
        """The one table people read: who depends most on whom (top payer and its share,
        largest exposure against equity) and who has committed beyond its revenue."""
        out = pd.DataFrame({short: self.entities[col] for short, col in DISPLAY_COLUMNS.items()})
        out["hhi_in"] = out["hhi_in"].round().astype("Int64")  # 0-10,000 scale, whole points
        return out.reset_index(drop=True)

    def network_frame(self) -> pd.DataFrame:
        """The network-level measures as one row (so ``--limit`` never cuts it)."""
        net = self.network
        cent = net["centralities"]

        def top(key: str) -> str | None:
            t = cent[key]["top"]
            return t[0]["id"] if t else None

        return pd.DataFrame([{
            "active": net["n_active"],
            "volume": net["total_volume"],
            "gini": net["gini"],
            "hhi": net["hhi"],
            "hhi_10k": None if net["hhi_10k"] is None else round(net["hhi_10k"]),
            "top_entity": net["top_entity"],
            "its_volume_share": net["top_entity_volume_share"],
            "bff_circular_share": net["bff_circular_share"],
            "large_exposures": net["large_exposures"],
            "top_flow_pagerank": top("flow_pagerank"),
            "top_exposure_pagerank": top("exposure_pagerank"),
        }])

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"entities": self.display_frame(), "network": self.network_frame()}

    # ---- sentences ----
    def summary(self) -> list[str]:
        e = self.entities.set_index("id", drop=False)
        u = self.unit
        lines: list[str] = []
        cov = e[e["coverage"].notna() & (e["commitments_due"] > 0)].sort_values(
            "coverage", ascending=False)
        if len(cov):
            r = cov.iloc[0]
            line = (f"{r['id']}: commitments due {format_number(r['commitments_due'])} = "
                    f"{_fmt_ratio(r['coverage'])} x revenue ({format_number(r['revenue'])} "
                    f"{u} a year)")
            if pd.notna(r["annual_due"]) and r["annual_due"] > 0:
                line += (f"; at the contracts' yearly rates {format_number(r['annual_due'])} "
                         f"a year = {_fmt_ratio(r['annual_coverage'])} x revenue")
            lines.append(line + ".")
            beyond = cov[cov["coverage"] > 1].iloc[1:6]
            if len(beyond):
                lines.append("Also committed beyond a year of revenue: " + ", ".join(
                    f"{i} {_fmt_ratio(c)} x" for i, c in beyond["coverage"].items()) + ".")
        exp = e[e["max_exposure_to_equity"].notna() & (e["largest_exposure"] > 0)].sort_values(
            "max_exposure_to_equity", ascending=False)
        if len(exp):
            r = exp.iloc[0]
            lines.append(
                f"{r['id']}: largest exposure {format_number(r['largest_exposure'])} to "
                f"{r['largest_exposure_to']} = {_fmt_ratio(r['max_exposure_to_equity'])} x "
                f"its equity ({format_number(r['equity'])}).")
            big = exp[exp["large_exposure"] == True]  # noqa: E712 (object column)
            if len(big):
                lines.append(
                    f"{len(big)} entities hold a single exposure above "
                    f"{LARGE_EXPOSURE_LIMIT:.0%} of equity (Basel large-exposure limit): "
                    + ", ".join(f"{i} to {t} {_fmt_ratio(x)} x" for i, t, x in zip(
                        big["id"], big["largest_exposure_to"], big["max_exposure_to_equity"]))
                    + ".")
        dep = e[e["top_share"] > 0.5].sort_values("inflow", ascending=False)
        n_recv = int((e["inflow"] > 0).sum())
        if len(dep):
            lines.append(
                f"{len(dep)} of {n_recv} receiving entities get more than half their inflow "
                "from one payer; the largest: " + ", ".join(
                    f"{i} {s:.0%} from {t} (of {format_number(x)})" for i, s, t, x in zip(
                        dep["id"][:4], dep["top_share"][:4], dep["top_counterparty"][:4],
                        dep["inflow"][:4])) + ".")
        hit = e[e["exposed_to_it"] > 0].sort_values("exposed_to_it", ascending=False)
        if len(hit):
            r = hit.iloc[0]
            lines.append(f"If {r['id']} defaulted, its counterparties would lose "
                         f"{format_number(r['exposed_to_it'])} (LGD-weighted exposures to it).")
        sf = e[(e["self_financed_share"] > 0)].sort_values("circular_inflow", ascending=False)
        if len(sf):
            lines.append("Inflow that came back round (self-financed, balanced flow "
                         "forwarding): " + ", ".join(
                             f"{i} {s:.0%} ({format_number(c)})" for i, s, c in zip(
                                 sf["id"][:4], sf["self_financed_share"][:4],
                                 sf["circular_inflow"][:4])) + ".")
        net = self.network
        if net["top_entity"] is not None:
            lines.append(
                f"Throughput Gini {net['gini']:.2f}, HHI {net['hhi']:.3f} "
                f"({format_number(net['hhi_10k'], 0)} on the 0-10,000 scale, like "
                f"{net['effective_entities']:.1f} equal entities); {net['top_entity']} "
                f"touches {net['top_entity_volume_share']:.0%} of all volume.")
            parts = []
            for key, cent in net["centralities"].items():
                if cent["top"]:
                    tops = ", ".join(f"{t['id']} {t['score']:.2f}" for t in cent["top"][:3])
                    parts.append(f"{key} {tops}")
            if parts:
                lines.append("Most central: " + "; ".join(parts) + ".")
        return lines

    def notes(self) -> list[str]:
        out = [
            f"statuses: {', '.join(self.statuses)}; kinds: {', '.join(self.kinds)}"
            + (f"; as of {self.as_of}" if self.as_of else "") + f"; amounts in {self.unit}.",
            "exposure: an LGD-weighted claim at risk, not a realised loss.",
            "inflow_hhi / outflow_hhi: sum of squared counterparty shares of the entity's "
            "inflow / outflow on the flow graph F (0-1 scale: 1 = one counterparty, 1/n = n "
            "equal ones); *_hhi_10k = x 10,000, the antitrust convention (US 2023 Merger "
            "Guidelines: above 1,800 is highly concentrated). Missing without inflow / outflow.",
            "top_counterparty = the payer giving the largest share of the entity's inflow "
            "(top_share); top_payee = the payee taking the largest share of its outflow "
            "(top_payee_share). Ties go to the entity listed first.",
            "Exposures: E[i, j] = what i loses if j defaults = remaining amount x LGD; LGD "
            + ", ".join(f"{k} {self.lgd[k]:g}" for k in self.kinds if KINDS[k].exposed)
            + " (--lgd KIND=X overrides). largest_exposure_to = the counterparty of the "
            "largest; exposed_to_it = what all others lose if the entity defaults.",
            f"large_exposure: largest exposure > {LARGE_EXPOSURE_LIMIT:.0%} of equity, the "
            "Basel large-exposure limit (BCBS 2014, Supervisory framework for measuring and "
            "controlling large exposures: 25% of Tier 1 capital). Book equity stands in for "
            "Tier 1 capital, and exposures here are LGD-weighted where Basel counts them "
            "gross (use --lgd KIND=1 for every kind for the gross figure).",
            "commitments_due = the entity's row of the obligation matrix L: the unpaid "
            "remainder (amount - funded) of purchase, compute and lease contracts it pays "
            "plus the principal (funded, else amount) of loans, bonds and credit it owes. "
            "Its own unfunded equity pledges and loans it promised others are not counted. "
            "coverage = commitments_due / revenue (annual): 60 means commitments of 60 years "
            "of current revenue; coverage_with_cash = commitments_due / (revenue + cash).",
            "annual_due = yearly rate of the contracts it pays: the stated annual amount, "
            "else unpaid remainder / term (start to end; a year-only end counts to that "
            "year's end); debt principal is left out. annual_coverage = annual_due / revenue.",
            "self_financed_share = circular_inflow / inflow from the balanced flow forwarding "
            "decomposition (Homs-Dones, MacKay, Sansom and Zhou 2025): the part of its "
            "receipts that is money that went round a loop through it."
            + ("" if self.network["bff_circular_share"] is not None or not self.network["total_volume"]
               else " " + (self.network.get("self_financed_note")
                           or "Not computed here (self_financed=False / --no-self-financed).")),
            f"Gini and HHI of throughput (inflow + outflow) over the {self.network['n_active']} "
            "entities with selected flow; Gini population definition (Gini 1912). "
            "its_volume_share = amounts of the commitments the top entity (by throughput) "
            "pays or receives / total volume; bff_circular_share = circular volume / total (BFF). "
            f"PageRank damping {self.damping:g} (Brin and Page 1998): flow_pagerank on F "
            "(payer -> payee, weight = amount); exposure_pagerank on E (creditor -> obligor, "
            "weight = exposure).",
            "Table headers -> JSON fields (hhi_in on the 0-10,000 scale): " + ", ".join(
                f"{k} = {v}" for k, v in DISPLAY_COLUMNS.items() if k != v)
            + f". Sorted by {self.sort} (descending, missing last).",
        ]
        for key, label in (("equity", "equity (ratios to equity missing)"),
                           ("revenue", "revenue (coverage missing)"),
                           ("cash", "cash (coverage_with_cash missing)")):
            ids = self.missing.get(key) or []
            if ids:
                out.append(f"{len(ids)} entities lack {label}: {', '.join(ids)}.")
        if self.no_term:
            out.append("Contracts with neither an annual amount nor a term (their payer's "
                       f"annual_due is missing): {', '.join(self.no_term)}.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "as_of": self.as_of,
            "statuses": list(self.statuses),
            "kinds": list(self.kinds),
            "lgd": {k: self.lgd[k] for k in self.kinds},
            "sort": self.sort,
            "large_exposure_limit": LARGE_EXPOSURE_LIMIT,
            "network": jsonable(self.network),
            "entities": records(self.entities),
            "missing": jsonable(self.missing),
            "notes": self.notes(),
        }


# ---- the analysis -------------------------------------------------------------------
def _sorted(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    if by not in SORT_FIELDS:
        raise FinflowError(f"cannot sort by {by!r}; choose a numeric entity field: "
                           + ", ".join(SORT_FIELDS))
    col = frame[by]
    if col.dtype == object:  # large_exposure: True / False / None
        col = col.map({True: 1.0, False: 0.0})
    key = pd.to_numeric(col, errors="coerce")
    order = np.lexsort((frame["id"].to_numpy(dtype=str), -key.fillna(0).to_numpy(),
                        key.isna().to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def concentration(network: Network, status: str | Iterable[str] | None = None,
                  kinds: str | Iterable[str] | None = None,
                  lgd: Mapping[str, float] | Iterable[str] | str | None = None, *,
                  sort: str = "throughput", damping: float = DEFAULT_DAMPING,
                  self_financed: bool = True) -> Concentration:
    """Exposure concentration and coverage per entity, and concentration of the network.

    Parameters
    ----------
    network : Network
    status, kinds : filters, as in :meth:`Network.flow_matrix` (default: every status but
        lapsed, every kind). They apply to F, E and L alike.
    lgd : mapping or ``KIND=X`` items, optional
        Loss-given-default overrides for the exposure matrix (see :func:`resolve_lgd`).
    sort : str
        Numeric entity field to sort by, descending, missing values last (default
        ``throughput``); one of :data:`SORT_FIELDS`.
    damping : float
        PageRank damping factor (default 0.85).
    self_financed : bool
        Compute the self-financed share by balanced flow forwarding (default). Its cost
        grows fastest with network size; ``False`` leaves ``circular_inflow`` and
        ``self_financed_share`` missing and says so in the notes.

    Returns
    -------
    Concentration
        ``entities``: one row per entity with ``id``, ``inflow``, ``outflow``,
        ``throughput``, ``n_payers``, ``n_payees``, ``n_counterparties``, ``inflow_hhi``
        (+ ``_10k``), ``top_counterparty``, ``top_share``, ``outflow_hhi`` (+ ``_10k``),
        ``top_payee``, ``top_payee_share``, ``equity``, ``largest_exposure``,
        ``largest_exposure_to``, ``max_exposure_to_equity``, ``total_exposure``,
        ``total_exposure_to_equity``, ``large_exposure``, ``exposed_to_it``, ``revenue``,
        ``cash``, ``commitments_due``, ``coverage``, ``coverage_with_cash``,
        ``annual_due``, ``annual_coverage``, ``circular_inflow``, ``self_financed_share``,
        ``flow_pagerank``, ``exposure_pagerank``. ``network``: ``gini``, ``hhi``,
        ``hhi_10k``, ``top_entity``, ``top_entity_volume_share``, ``centralities`` ...

    Raises
    ------
    FinflowError
        For an unknown status, kind, LGD or sort field.

    Notes
    -----
    *Counterparty concentration* (on the flow graph F: money payer -> payee, every
    selected kind): for entity i with inflow, ``s_j`` = share of i's inflow paid by j;
    ``inflow_hhi = sum_j s_j**2`` (0-1 scale; ``inflow_hhi_10k`` = x 10,000);
    ``top_counterparty`` = argmax s_j, ``top_share`` = max s_j. Likewise for outflow
    (``top_payee``). No inflow: missing, not 0.

    *Exposures* (E = ``network.exposure_matrix(lgd)``, LGD-weighted):
    ``largest_exposure`` = max_j E[i, j] and its counterparty, ``total_exposure`` = sum_j
    E[i, j], each divided by book equity; ``large_exposure`` = largest / equity > 0.25,
    the Basel limit (25 % of Tier 1 capital; book equity stands in). Missing or
    non-positive equity gives missing ratios and flag, listed in ``notes()``.

    *Coverage*: ``commitments_due`` = row sum of L = ``network.obligation_matrix()``
    (unpaid purchase/compute/lease contracts it pays + loan/bond/credit principal it
    owes); ``coverage`` = commitments_due / revenue, ``coverage_with_cash`` =
    commitments_due / (revenue + cash); ``annual_due`` = the yearly rate of its
    contracts (stated ``annual``, else unpaid / term), ``annual_coverage`` = annual_due
    / revenue. Missing or zero revenue gives missing ratios.

    *Self-financed share*: ``self_financed_share`` of the balanced flow forwarding
    decomposition (:func:`~finflow.analysis.decomposition.circular_decomposition`).
    BFF writes F = C + D with C balanced and a sum of cycles; a unit of C entering an
    entity leaves it along C and comes back to it round a cycle, so an entity's circular
    inflow is money it sent out that returned to it, directly or through others. The
    split is unique (it depends only on the network), unlike a maximum circulation's.

    *Network*: ``gini`` (:func:`gini`) and ``hhi`` (:func:`hhi`) of throughput over the
    entities with selected flow; ``top_entity`` = largest throughput and
    ``top_entity_volume_share`` = amounts of commitments it pays or receives / total.
    Centralities (:func:`pagerank`, damping 0.85):

    - ``flow_pagerank``, on F weighted by amount: where money ends up when every entity
      forwards what it receives in proportion to what it pays;
    - ``exposure_pagerank``, on E with edges creditor -> obligor weighted by exposure:
      systemic importance, high for an entity that many (important) creditors are
      exposed to, so its default hurts where it matters.

    Complexity: sparse products and sorts over the edges, O(edges log edges); PageRank
    O(edges) per iteration; the BFF decomposition one sparse LU per component per round.

    Examples
    --------
    c receives 3 from a and 1 from b: shares 3/4, 1/4, HHI 9/16 + 1/16 = 0.625; c owes
    4 against revenue 2: coverage 2.

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b", "c"], "revenue": [None, None, 2.0]}),
    ...     pd.DataFrame({"payer": ["a", "b", "c"], "payee": ["c", "c", "a"],
    ...                   "kind": ["equity", "equity", "purchase"],
    ...                   "amount": [3.0, 1.0, 4.0]}))
    >>> c = concentration(net).to_dict()["entities"]
    >>> c = next(row for row in c if row["id"] == "c")
    >>> c["inflow_hhi"], c["top_counterparty"], c["top_share"], c["coverage"]
    (0.625, 'a', 0.75, 2.0)

    References
    ----------
    Basel Committee on Banking Supervision (2014), "Supervisory framework for measuring
    and controlling large exposures". C. Gini (1912), "Variabilità e mutabilità".
    S. Brin, L. Page (1998), "The anatomy of a large-scale hypertextual Web search
    engine". M. Homs-Dones, R. S. MacKay, B. Sansom, Y. Zhou (2025), "Circular
    Directional Flow Decomposition of Networks", arXiv:2506.12546.
    """
    ensure_network(network, "concentration")
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    lgd_table = network.lgd(lgd)
    if sort not in SORT_FIELDS:
        _sorted(pd.DataFrame({"id": []}), sort)  # raises with the list of fields
    n = network.n
    ids = np.asarray(network.index, dtype=object)
    ents = network.entities

    # flow concentration on F
    f = network.flow_matrix(statuses, kind_list)
    f.sum_duplicates()
    f.eliminate_zeros()
    inside = _concentration_side(_received(f), ids)
    outside = _concentration_side(sp.csr_array(f), ids)
    inflow, outflow = inside["total"], outside["total"]
    both = sp.csr_array(abs(f) + abs(f.T))
    both.setdiag(0)
    both.eliminate_zeros()
    n_counterparties = np.diff(both.indptr)

    # exposures on E
    e = network.exposure_matrix(lgd_table, statuses, kind_list)
    e.sum_duplicates()
    e.eliminate_zeros()
    top_e, largest = _row_top(e)
    total_exposure = np.asarray(e.sum(axis=1)).ravel()
    exposed_to_it = np.asarray(e.sum(axis=0)).ravel()
    equity = network.entity_vector("equity")
    max_to_eq = _ratio(largest, equity)
    large = np.full(n, None, dtype=object)
    known = np.isfinite(max_to_eq)
    large[known] = (max_to_eq[known] > LARGE_EXPOSURE_LIMIT).tolist()

    # coverage on L
    due = np.asarray(network.obligation_matrix(statuses, kind_list).sum(axis=1)).ravel()
    revenue = network.entity_vector("revenue")
    cash = network.entity_vector("cash")
    annual_due, no_term = _annual_due(network, statuses, kind_list)

    # self-financed share (balanced flow forwarding)
    skipped = None
    if self_financed:
        try:
            dec = circular_decomposition(network, statuses, kind_list).entities.set_index("id")
        except FinflowError as exc:  # too many entities on cycles for BFF
            skipped = f"self_financed_share not computed: {exc}."
            self_financed = False
    if self_financed:
        circ_in = dec["circular_inflow"].reindex(ids).to_numpy(dtype=float)
        circ_share = dec["self_financed_share"].reindex(ids).to_numpy(dtype=float)
    else:
        circ_in = circ_share = np.full(n, np.nan)

    # centralities
    flow_pr = pagerank(f, damping)
    exposure_pr = pagerank(e, damping)

    frame = pd.DataFrame({
        "id": ids,
        "name": ents["name"].to_numpy(dtype=object) if "name" in ents else ids,
        "type": ents["type"].to_numpy(dtype=object) if "type" in ents else None,
        "inflow": inflow,
        "outflow": outflow,
        "throughput": inflow + outflow,
        "n_payers": inside["n"].astype(int),
        "n_payees": outside["n"].astype(int),
        "n_counterparties": n_counterparties.astype(int),
        "inflow_hhi": inside["hhi"],
        "inflow_hhi_10k": inside["hhi"] * 10_000,
        "top_counterparty": inside["top"],
        "top_share": inside["top_share"],
        "outflow_hhi": outside["hhi"],
        "outflow_hhi_10k": outside["hhi"] * 10_000,
        "top_payee": outside["top"],
        "top_payee_share": outside["top_share"],
        "equity": equity,
        "largest_exposure": largest,
        "largest_exposure_to": np.where(top_e >= 0, ids[np.maximum(top_e, 0)], None),
        "max_exposure_to_equity": max_to_eq,
        "total_exposure": total_exposure,
        "total_exposure_to_equity": _ratio(total_exposure, equity),
        "large_exposure": large,
        "exposed_to_it": exposed_to_it,
        "revenue": revenue,
        "cash": cash,
        "commitments_due": due,
        "coverage": _ratio(due, revenue),
        "coverage_with_cash": _ratio(due, revenue + cash),
        "annual_due": annual_due,
        "annual_coverage": _ratio(annual_due, revenue),
        "circular_inflow": circ_in,
        "self_financed_share": circ_share,
        "flow_pagerank": flow_pr,
        "exposure_pagerank": exposure_pr,
    })

    # network level
    throughput = inflow + outflow
    active = throughput > 0
    total_volume = float(f.sum())
    if active.any():
        t = int(np.lexsort((np.arange(n), -throughput))[0])
        touching = float(f[[t], :].sum() + f[:, [t]].sum() - f[t, t])
        top_entity, top_share = str(ids[t]), touching / total_volume
        g, h = gini(throughput[active]), hhi(throughput[active])
    else:
        top_entity, top_share, g, h = None, None, None, None

    def top_scores(x: np.ndarray, k: int = 5) -> list[dict[str, Any]]:
        if not active.any():
            return []
        order = np.lexsort((np.arange(n), -x))[:k]
        return [{"id": str(ids[i]), "score": float(x[i])} for i in order]

    network_stats = {
        "n_entities": n,
        "n_active": int(active.sum()),
        "total_volume": total_volume,
        "gini": g,
        "hhi": h,
        "hhi_10k": None if h is None else h * 10_000,
        "effective_entities": None if not h else 1.0 / h,
        "top_entity": top_entity,
        "top_entity_throughput": float(throughput[ids == top_entity][0]) if top_entity else None,
        "top_entity_volume_share": top_share,
        "bff_circular_share": (float(np.nansum(circ_in)) / total_volume)
        if self_financed and total_volume > 0 else None,
        "large_exposures": int(sum(1 for x in large if x is True)),
        "self_financed_note": skipped,
        "centralities": {
            "flow_pagerank": {
                "graph": "F: payer -> payee, weight = amount", "damping": damping,
                "meaning": "where money ends up when forwarded",
                "top": top_scores(flow_pr)},
            "exposure_pagerank": {
                "graph": "E: creditor -> obligor, weight = LGD-weighted exposure",
                "damping": damping,
                "meaning": "whose default creditors are exposed to",
                "top": top_scores(exposure_pr)},
        },
    }

    no_equity = ~(np.isfinite(equity) & (equity > 0))
    missing = {
        "equity": list(ids[no_equity & (largest > 0)]),
        "revenue": list(ids[~(np.isfinite(revenue) & (revenue > 0)) & (due > 0)]),
        "cash": list(ids[~np.isfinite(cash) & np.isfinite(revenue) & (due > 0)]),
    }
    return Concentration(
        name=network.name,
        unit=network.unit_label,
        as_of=network.metadata.get("as_of"),
        statuses=statuses,
        kinds=kind_list,
        lgd=lgd_table,
        sort=sort,
        damping=damping,
        entities=_sorted(frame, sort),
        network=network_stats,
        missing=missing,
        no_term=tuple(no_term),
    )
