"""Turn raw tables (text cells from files, or user DataFrames) into typed, validated tables.

Validation collects *every* problem before raising one :class:`NetworkFileError`, and
works column by column with pandas (no Python loop over rows), so a million commitments
validate in about a second.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import NetworkFileError, Problem
from ..schema import (
    COMMITMENT_COLUMNS,
    COMMITMENT_REQUIRED,
    DEFAULTS,
    ENTITY_COLUMNS,
    ENTITY_REQUIRED,
    ENUMS,
)

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["Locator", "arrow_strings", "coerce_tables", "normalise_date", "MISSING_TOKENS",
           "AMOUNT_CEILING",
           "YEAR_RANGE"]

#: cell values read as "missing" (case-insensitive), besides the empty cell
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none"})
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

#: the largest amount (or absolute equity) accepted, in the network's own unit. Sums of
#: a million such figures stay far below the float64 maximum (1.8e308) and keep a
#: relative precision of 1e-16 x the sum; 1e15 is ten times world GDP in USD, so a larger
#: figure is a unit mistake (write the network in billions, say).
AMOUNT_CEILING = 1e15
#: the years a date may have: what pandas' nanosecond timestamps hold (1677-09-21 to
#: 2262-04-11), in whole years
YEAR_RANGE = (1678, 2261)


@dataclass
class Locator:
    """Says where a row came from, for error messages.

    ``file`` is the name shown; ``lines`` the 1-based file line of each row (CSV), or
    ``None`` with ``label`` making a description of row ``i`` (``"node 'x'"``).
    """

    file: str
    lines: Sequence[int] | None = None
    label: Callable[[int], str] | None = None

    def problem(self, row: int | None, field: str, message: str) -> Problem:
        if row is None:
            return Problem(self.file, None, field, message)
        if self.lines is not None:
            return Problem(self.file, int(self.lines[row]), field, message)
        where = self.label(row) if self.label else f"row {row + 1}"
        return Problem(self.file, None, field, message, where=where)


class _Cells:
    """A column factorised: each row's code into a small table of unique cell texts.

    Validation then works once per distinct value (dates, kinds and statuses repeat
    a lot), and per-row results are numpy takes, so a million rows stay fast.
    """

    _u_missing: np.ndarray | None = None
    _arrow_uniques: "pa.ChunkedArray | None" = None

    def __init__(self, col: pd.Series, distinct: bool = False):
        arrow = arrow_strings(col)
        if arrow is not None:
            self._from_arrow(arrow, distinct)
            return
        encoded = _arrow_dictionary(col)
        if encoded is not None:  # already codes and distinct texts (Parquet)
            self._from_arrow_codes(encoded.indices.fill_null(-1)
                                   .to_numpy(zero_copy_only=False),
                                   _large(encoded.dictionary))
            return
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        unique_list = np.asarray(uniques, dtype=object).tolist()
        texts = [v.strip() if isinstance(v, str) else _scalar_text(v) for v in unique_list]
        #: whether some distinct cell changed on the way to text (stripped, say), so that
        #: two distinct cells may now read the same (str.strip returns the same object
        #: when there is nothing to strip: this comparison is by identity, fast)
        self.changed = texts != unique_list
        texts.append("")  # the code of a missing cell
        self.codes = np.where(codes < 0, len(texts) - 1, codes)
        self.u = np.array(texts, dtype=object)
        self.u_missing = _missing_of(texts)

    def _from_arrow(self, arr: "pa.ChunkedArray", distinct: bool) -> None:
        """The same from pyarrow text, with the per-value work done by pyarrow's kernels
        (Python touches a value only when it has spaces to strip). ``distinct`` (a
        column of ids): first try whether every cell differs, which spares the hashing
        into codes."""
        import pyarrow as pa
        import pyarrow.compute as pc
        n = len(arr)
        if _all_empty(arr):  # a column left empty: no hashing
            self.codes = np.zeros(n, dtype=np.intp)
            self.u = np.array([""], dtype=object)
            self.u_missing = np.array([True])
            self.changed = False
            return
        if distinct and arr.null_count == 0 and pc.count_distinct(arr).as_py() == n:
            codes = np.arange(n)
            uniques = arr
        else:
            # encoded chunk by chunk, then the codes combined (the strings are not copied)
            enc = arr.dictionary_encode().combine_chunks()
            codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            uniques = pa.chunked_array([enc.dictionary])
        self._from_arrow_codes(codes, uniques)

    def _from_arrow_codes(self, codes: np.ndarray, uniques: "pa.ChunkedArray") -> None:
        """Codes (-1: missing) into distinct pyarrow texts."""
        import pyarrow.compute as pc
        if pc.any(pc.match_substring_regex(uniques, _EDGE_SPACE)).as_py():
            unique_list = uniques.to_pylist()
            texts = [v.strip() for v in unique_list]
            self.changed = texts != unique_list
            texts.append("")
            self.u = np.array(texts, dtype=object)
            self.u_missing = _missing_of(texts)
        else:
            self.changed = False
            self.u = np.empty(len(uniques) + 1, dtype=object)
            self.u[:-1] = uniques.to_numpy(zero_copy_only=False)
            self.u[-1] = ""
            self._arrow_uniques = uniques
        self.codes = np.where(codes < 0, len(self.u) - 1, codes)

    @property
    def u_missing(self) -> np.ndarray:
        """Which distinct texts are missing tokens (computed on first use: a column of
        ids never asks)."""
        if self._u_missing is None:
            if self._arrow_uniques is not None:
                import pyarrow.compute as pc
                uniques = self._arrow_uniques
                low = pc.utf8_lower(uniques)
                self._u_missing = np.append(
                    pc.is_in(low, value_set=_MISSING_ARROW(uniques.type))
                    .to_numpy(zero_copy_only=False), True)
            else:
                self._u_missing = _missing_of(self.u.tolist())
        return self._u_missing

    @u_missing.setter
    def u_missing(self, value: np.ndarray) -> None:
        self._u_missing = value

    def rows(self, per_unique: np.ndarray) -> np.ndarray:
        return np.asarray(per_unique)[self.codes]

    def text(self, i: int) -> str:
        return self.u[self.codes[i]]

    @property
    def missing(self) -> np.ndarray:
        return self.u_missing[self.codes]


#: the characters :meth:`str.strip` removes (those of ``str.isspace``), as an RE2 class
_SPACES = ("\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}"
           "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}")
_EDGE_SPACE = f"^[{_SPACES}]|[{_SPACES}]$"


def _MISSING_ARROW(typ: "pa.DataType") -> "pa.Array":
    import pyarrow as pa
    return pa.array(sorted(MISSING_TOKENS), type=typ)


def _missing_of(texts: list[str]) -> np.ndarray:
    """Which texts are missing tokens (a token is at most 4 characters long: the length
    test spares the lower-casing of a million distinct ids)."""
    return np.array([len(t) <= 4 and t.lower() in MISSING_TOKENS for t in texts], dtype=bool)


def arrow_strings(col: pd.Series) -> "pa.ChunkedArray | None":
    """The pyarrow strings behind a column of pyarrow-backed text (the ``str`` dtype of
    pandas 3, or an ``ArrowDtype`` of strings), without a copy; ``None`` for any other
    column."""
    dtype = col.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        pass
    elif isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa
        if not (pa.types.is_string(dtype.pyarrow_dtype)
                or pa.types.is_large_string(dtype.pyarrow_dtype)):
            return None
    else:
        return None
    import pyarrow as pa
    arr = pa.array(col.array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _arrow_dictionary(col: pd.Series) -> "pa.DictionaryArray | None":
    """The pyarrow dictionary array (texts) behind a column, chunks combined; ``None``
    for any other column."""
    dtype = col.dtype
    if not isinstance(dtype, pd.ArrowDtype):
        return None
    import pyarrow as pa
    t = dtype.pyarrow_dtype
    if not (pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type)
                                           or pa.types.is_large_string(t.value_type))):
        return None
    arr = pa.array(col.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr


def _large(arr: "pa.Array") -> "pa.ChunkedArray":
    import pyarrow as pa
    return pa.chunked_array([arr])


def _all_empty(arr: "pa.ChunkedArray") -> bool:
    """Whether every cell of a pyarrow text column is empty or null."""
    import pyarrow.compute as pc
    longest = pc.max(pc.binary_length(arr)).as_py()
    return longest is None or longest == 0


def _cells(raw: pd.DataFrame, col: str, loc: Locator, problems: list[Problem],
           distinct: bool = False) -> _Cells:
    """:class:`_Cells` of a column; a cell holding a list, a mapping or another
    container (from JSON, say) is a problem and counts as missing."""
    series = raw[col]
    try:
        return _Cells(series, distinct)
    except TypeError:  # unhashable cells
        pass
    bad = np.array([isinstance(v, (list, dict, set, tuple)) or (
        not isinstance(v, (str, int, float, bool, np.generic, _dt.date)) and v is not None
        and getattr(type(v), "__hash__", None) is None) for v in series], dtype=bool)
    for i in np.flatnonzero(bad):
        what = type(series.iat[i]).__name__
        what = {"dict": "a mapping", "list": "a list"}.get(what, f"a {what}")
        problems.append(loc.problem(int(i), col, f"is {what}, not a single value"))
    return _Cells(series.where(pd.Series(~bad, index=series.index), None))


def _scalar_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and np.isnan(v):
        return ""
    if v is pd.NaT:
        return ""
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def normalise_date(value: object) -> str | None:
    """A date as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` text, or ``None`` when missing.

    Raises ``ValueError`` for anything else (including impossible calendar dates).

    >>> normalise_date("2025-09")
    '2025-09'
    >>> normalise_date(2027)
    '2027'
    """
    text = _scalar_text(value)
    if text.lower() in MISSING_TOKENS:
        return None
    if not _DATE_RE.match(text):
        raise ValueError(f"{text!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    parts = [int(p) for p in text.split("-")]
    try:
        _dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date") from None
    if not YEAR_RANGE[0] <= parts[0] <= YEAR_RANGE[1]:
        raise ValueError(f"{text!r} is not a calendar date finflow handles (years "
                         f"{YEAR_RANGE[0]} to {YEAR_RANGE[1]})")
    return text


def _coerce_table(
    raw: pd.DataFrame,
    columns: dict[str, str],
    required: Sequence[str],
    loc: Locator,
    problems: list[Problem],
    keep: dict[str, _Cells] | None = None,
) -> pd.DataFrame:
    """One table typed and validated, column by column (problems appended); the
    :class:`_Cells` of the id, payer and payee columns go into ``keep`` when given, for
    the checks across rows and tables."""
    raw = raw.copy(deep=False)
    raw.columns = [str(c).strip() for c in raw.columns]
    for col in required:
        if col not in raw.columns:
            problems.append(loc.problem(None, col, "required column is missing"))
    n = len(raw)
    out: dict[str, pd.Series] = {}
    index = pd.RangeIndex(n)
    raw.index = index

    for col, typ in columns.items():
        if col not in raw.columns:
            default = DEFAULTS.get(col)
            if typ in ("amount", "signed"):
                out[col] = pd.Series(np.full(n, np.nan), index=index, dtype=float, copy=False)
            elif typ == "bool":
                out[col] = pd.Series(np.full(n, bool(default)), index=index, dtype=bool,
                                     copy=False)
            elif typ == "id" and col == "id" and columns is COMMITMENT_COLUMNS:
                out[col] = pd.Series([f"r{i + 1}" for i in range(n)], index=index,
                                     dtype=object)
            else:
                out[col] = pd.Series([default] * n, index=index, dtype=object, copy=False)
            continue
        if typ in ("amount", "signed"):
            series = raw[col]
            if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
                fast = series.to_numpy(dtype=float, na_value=np.nan)  # typed (Parquet, frames)
            else:
                fast = _arrow_numbers(series)
        if typ in ("amount", "signed") and fast is not None:
            values = fast
            bad = np.zeros(n, dtype=bool)
            cells = None
        else:
            cells = _cells(raw, col, loc, problems, distinct=typ == "id")
            missing = cells.missing
        if typ in ("amount", "signed"):
            if cells is None:
                pass
            elif pd.api.types.is_numeric_dtype(raw[col]) and not pd.api.types.is_bool_dtype(raw[col]):
                values = raw[col].to_numpy(dtype=float)
                bad = np.zeros(n, dtype=bool)
            else:
                u_text = np.where(cells.u_missing, None, cells.u)
                u_vals = pd.to_numeric(pd.Series(u_text, dtype=object),
                                       errors="coerce").to_numpy(dtype=float)
                u_bad = np.isnan(u_vals) & ~cells.u_missing
                values = cells.rows(u_vals)
                bad = cells.rows(u_bad)
            for i in np.flatnonzero(bad):
                text = cells.text(i) if cells is not None else values[i]
                problems.append(loc.problem(int(i), col, f"{text!r} is not a number"))
            for i in np.flatnonzero(np.isinf(values)):
                problems.append(loc.problem(int(i), col, "is not a finite number"))
            for i in np.flatnonzero(np.isfinite(values) & (np.abs(values) > AMOUNT_CEILING)):
                problems.append(loc.problem(int(i), col, f"{values[i]:g} is above the ceiling "
                                            f"of {AMOUNT_CEILING:g} in the network's unit "
                                            "(state amounts in a larger unit)"))
            values = values + 0.0  # -0.0 becomes 0.0
            if typ == "amount":
                for i in np.flatnonzero(values < 0):
                    problems.append(loc.problem(int(i), col, f"{_scalar_text(values[i])} is negative "
                                                             "(amounts are never negative; direction "
                                                             "carries the sign)"))
            values = np.where(bad, np.nan, values)
            out[col] = pd.Series(values, index=index, dtype=float, copy=False)
        elif typ == "bool":
            low = np.array([t.lower() for t in cells.u], dtype=object)
            default = bool(DEFAULTS.get(col, False))
            u_val = np.array([True if t in _TRUE else False if t in _FALSE else default
                              for t in low], dtype=bool)
            u_bad = np.array([not (t in _TRUE or t in _FALSE) for t in low]) & ~cells.u_missing
            for i in np.flatnonzero(cells.rows(u_bad)):
                problems.append(loc.problem(int(i), col, f"{cells.text(i)!r} is not true or false"))
            out[col] = pd.Series(cells.rows(u_val), index=index, dtype=bool, copy=False)
        elif typ == "date":
            u_val = np.empty(len(cells.u), dtype=object)
            u_err: list[str | None] = []
            for k, t in enumerate(cells.u):
                if cells.u_missing[k]:
                    u_val[k] = None
                    u_err.append(None)
                    continue
                try:
                    u_val[k] = normalise_date(t)
                    u_err.append(None)
                except ValueError as exc:
                    u_val[k] = None
                    msg = str(exc)
                    if "calendar" not in msg:
                        msg = f"{t!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"
                    u_err.append(msg)
            u_bad = np.array([e is not None for e in u_err], dtype=bool)
            for i in np.flatnonzero(cells.rows(u_bad)):
                problems.append(loc.problem(int(i), col, u_err[cells.codes[i]]))
            out[col] = pd.Series(cells.rows(u_val), index=index, dtype=object, copy=False)
        elif typ in ENUMS:
            allowed = ENUMS[typ]
            low = np.array([t.lower() for t in cells.u], dtype=object)
            fill = None if typ == "status_or_empty" else DEFAULTS.get(col)
            u_val = np.where(cells.u_missing, fill, low)
            u_bad = np.array([t not in allowed for t in low], dtype=bool) & ~cells.u_missing
            for i in np.flatnonzero(cells.rows(u_bad)):
                problems.append(loc.problem(int(i), col, f"unknown {col} {cells.text(i)!r}; "
                                                         f"choose from {', '.join(allowed)}"))
            if col in required or (typ == "kind"):
                for i in np.flatnonzero(missing):
                    problems.append(loc.problem(int(i), col, "is empty"))
            out[col] = pd.Series(cells.rows(u_val), index=index, dtype=object, copy=False)
        elif typ in ("id", "ref"):
            if keep is not None:
                keep[col] = cells
            vals = cells.rows(cells.u)
            empty = np.flatnonzero(cells.rows(cells.u == ""))
            for i in empty:
                problems.append(loc.problem(int(i), col, "is empty"))
            if col == "id" and columns is COMMITMENT_COLUMNS:
                # an empty commitment id gets a row-based one so later messages can name it
                vals = vals.copy()
                for i in empty:
                    vals[i] = f"r{i + 1}"
            out[col] = pd.Series(vals, index=index, dtype=object, copy=False)
        else:  # text
            u_val = np.where(cells.u == "", None, cells.u)
            out[col] = pd.Series(cells.rows(u_val), index=index, dtype=object, copy=False)

    # keep extra columns the user added, as text
    for col in raw.columns:
        if col not in columns:
            cells = _cells(raw, col, loc, problems)
            out[col] = pd.Series(cells.rows(np.where(cells.u == "", None, cells.u)),
                                 index=index, dtype=object, copy=False)
    # copy=False: each column keeps its own block (no stacking of a million-row copy)
    frame = pd.DataFrame(out, index=index, copy=False)
    return frame


def _arrow_numbers(col: pd.Series) -> np.ndarray | None:
    """The numbers of a column of pyarrow text, parsed by pyarrow (empty or null cells:
    NaN), when every other cell is a plain finite number; ``None`` otherwise (a cell
    with spaces, a word, ``inf`` or ``nan``, or not a text column), leaving the column
    to the exact per-value path and its messages."""
    arr = arrow_strings(col)
    if arr is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    empty = pc.fill_null(pc.equal(arr, ""), True)
    empty_np = empty.to_numpy(zero_copy_only=False)
    if empty_np.all():
        return np.full(len(col), np.nan)
    try:
        parsed = pc.cast(pc.if_else(empty, pa.scalar(None, type=arr.type), arr), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = parsed.to_numpy(zero_copy_only=False).astype(float, copy=False)
    if not np.isfinite(values[~empty_np]).all():
        return None
    return values


def _all_distinct(cells: _Cells | None) -> bool:
    """Whether a column of ids (as :class:`_Cells`) has no empty cell and no value twice,
    counted on the codes (no hashing of the million texts again); ``False`` when unknown."""
    if cells is None:
        return False
    used = np.bincount(cells.codes, minlength=len(cells.u))
    texts = cells.u[used > 0]
    return bool(used.max(initial=0) <= 1 and not (texts == "").any()
                and (not cells.changed or len(set(texts.tolist())) == len(texts)))


def _duplicates(ids: pd.Series, loc: Locator, problems: list[Problem], what: str) -> None:
    dup = ids.duplicated(keep="first") & (ids != "")
    if not dup.any():
        return
    first = {}
    for i, v in enumerate(ids):
        first.setdefault(v, i)
    for i in np.flatnonzero(dup.to_numpy()):
        j = first[ids.iat[i]]
        at = f"line {loc.lines[j]}" if loc.lines is not None else (
            loc.label(j) if loc.label else f"row {j + 1}")
        problems.append(loc.problem(int(i), "id", f"duplicate {what} id {ids.iat[i]!r} "
                                                   f"(first at {at})"))


def coerce_tables(
    entities: pd.DataFrame,
    commitments: pd.DataFrame,
    entity_loc: Locator,
    commitment_loc: Locator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed, validated (entities, commitments); raises :class:`NetworkFileError` listing
    every problem found in both tables.

    Checks: at least one entity, required columns, empty or duplicate ids, unknown
    entity in an edge, an edge from an entity to itself, unknown kind / status / type /
    confidence, non-numeric, infinite or negative amounts, amounts above
    :data:`AMOUNT_CEILING`, cells holding lists or mappings, ``funded`` above ``amount``,
    ``amount_low`` above ``amount_high``, bad dates (and years outside
    :data:`YEAR_RANGE`), ``end`` before ``start``, non-boolean flags.
    """
    problems: list[Problem] = []
    if len(entities) == 0 and "id" in entities.columns:
        problems.append(entity_loc.problem(None, "", "has no entities (a network needs at "
                                                     "least one)"))
    ent_cells: dict[str, _Cells] = {}
    com_cells: dict[str, _Cells] = {}
    ent = _coerce_table(entities, ENTITY_COLUMNS, ENTITY_REQUIRED, entity_loc, problems,
                        ent_cells)
    com = _coerce_table(commitments, COMMITMENT_COLUMNS, COMMITMENT_REQUIRED, commitment_loc,
                        problems, com_cells)
    if "id" in entities.columns:
        if not _all_distinct(ent_cells.get("id")):
            _duplicates(ent["id"], entity_loc, problems, "entity")
        ent["name"] = ent["name"].where(ent["name"].notna(), ent["id"])
        from .checks import entity_field_problems  # format v2 columns (issue 15)
        problems.extend(entity_field_problems(ent, entity_loc))
    if "id" in commitments.columns and not _all_distinct(com_cells.get("id")):
        _duplicates(com["id"], commitment_loc, problems, "commitment")

    # endpoints as positions in the entity index (-1: unknown), one lookup per distinct
    # cell text; the checks below then compare integers
    ent_index = pd.Index(ent["id"].to_numpy(dtype=object))
    if not ent_index.is_unique:
        ent_index = ent_index.drop_duplicates()
    pos: dict[str, np.ndarray] = {}
    for col in ("payer", "payee"):
        if col not in com_cells:
            continue
        cells = com_cells[col]
        u_pos = ent_index.get_indexer(cells.u)
        pos[col] = cells.rows(u_pos)
        bad = cells.rows((u_pos < 0) & (cells.u != ""))
        for i in np.flatnonzero(bad):
            problems.append(commitment_loc.problem(
                int(i), col, f"unknown entity {com[col].iat[i]!r} (not in {entity_loc.file})"))
    if len(pos) == 2:
        p, q = pos["payer"], pos["payee"]
        selfloop = (p == q) & (p >= 0)
        unknown = np.flatnonzero((p < 0) & (q < 0))
        if len(unknown):  # two unknown endpoints: compare their texts
            a = com["payer"].to_numpy(dtype=object)[unknown]
            b = com["payee"].to_numpy(dtype=object)[unknown]
            selfloop[unknown[(a == b) & (a != "")]] = True
        for i in np.flatnonzero(selfloop):
            problems.append(commitment_loc.problem(
                int(i), "payee", f"payer and payee are the same entity {com['payer'].iat[i]!r}"))

    over = (com["funded"] > com["amount"] * (1 + 1e-9) + 1e-12)
    for i in np.flatnonzero(over.to_numpy()):
        problems.append(commitment_loc.problem(
            int(i), "funded", f"{com['funded'].iat[i]:g} exceeds amount {com['amount'].iat[i]:g}"))
    inverted = com["amount_low"] > com["amount_high"]
    for i in np.flatnonzero(inverted.to_numpy()):
        problems.append(commitment_loc.problem(
            int(i), "amount_low", f"{com['amount_low'].iat[i]:g} exceeds amount_high "
                                  f"{com['amount_high'].iat[i]:g}"))
    # dates as YYYYMMDD integers, one conversion per distinct date
    s_day, s_known = _day_numbers(com["start"], lambda d: d + "-01" * (2 - d.count("-")))
    e_day, e_known = _day_numbers(com["end"], _period_end)
    if (s_known & e_known).any():
        for i in np.flatnonzero(s_known & e_known & (e_day < s_day)):
            problems.append(commitment_loc.problem(
                int(i), "end", f"{com['end'].iat[i]} is before start {com['start'].iat[i]}"))
    if problems:
        problems.sort(key=lambda p: (p.file != entity_loc.file, p.file,
                                     p.line if p.line is not None else -1))
        raise NetworkFileError(problems)
    ent = ent.reset_index(drop=True)
    com = com.reset_index(drop=True)
    return ent, com


def _day_numbers(col: pd.Series, fn: Callable[[str], str]) -> tuple[np.ndarray, np.ndarray]:
    """(``fn(date)`` as a YYYYMMDD integer per row, whether the row has a date): ``fn``
    runs once per distinct date of the column (normalised date texts or None)."""
    codes, uniques = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=True)
    days = np.array([int(fn(u).replace("-", "")) for u in uniques] + [0], dtype=np.int64)
    return days[np.where(codes < 0, len(uniques), codes)], codes >= 0


def _period_end(d: str) -> str:
    """Last day of a partial date, as ``YYYY-MM-DD`` text (comparable as text)."""
    parts = d.split("-")
    if len(parts) == 1:
        return f"{parts[0]}-12-31"
    if len(parts) == 2:
        y, m = int(parts[0]), int(parts[1])
        nxt = _dt.date(y + (m == 12), m % 12 + 1, 1)
        return (nxt - _dt.timedelta(days=1)).isoformat()
    return d
