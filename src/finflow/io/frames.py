"""A network from a user's own tables: column mapping, entities from the edges.

:func:`from_frames` takes a deal list with the user's own column names (``from``,
``to``, ``usd_bn``, ``type``), renames them to finflow's fields (:mod:`finflow.schema`),
derives the entities from the ids that appear when there is no entities table, and
validates the result like a network folder (every problem at once, naming table, row and
the user's column). :func:`tables_to_network` is the same with the row locations of a file
(used by :mod:`finflow.io.sources` for CSV, Excel and Parquet input).

The mapping follows networkx's ``from_pandas_edgelist(df, source=, target=,
edge_attr=)`` (Hagberg, Schult and Swart 2008, "Exploring network structure, dynamics,
and function using NetworkX", SciPy 2008).
"""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from ..errors import FinflowError, NetworkFileError, Problem
from ..kinds import KINDS
from ..schema import COMMITMENT_COLUMNS, ENTITY_COLUMNS
from .tables import Locator, coerce_tables

if TYPE_CHECKING:
    from ..model import Network

__all__ = ["from_frames", "tables_to_network", "parse_columns", "check_mapping",
           "ENTITY_PREFIX"]

#: prefix of an entity field in a ``--columns`` mapping (``entities.equity=capital``)
ENTITY_PREFIX = "entities."


def parse_columns(text: str) -> dict[str, str]:
    """A ``--columns`` text ``payer=from,payee=to,amount=usd_bn`` as a mapping
    finflow field -> user column (an entity field as ``entities.equity=capital``).

    Raises :class:`~finflow.errors.FinflowError` for a pair without ``=``, an empty
    name, a field given twice or a name that is no finflow field.

    >>> parse_columns("payer=from, payee=to ,amount=usd_bn")
    {'payer': 'from', 'payee': 'to', 'amount': 'usd_bn'}
    """
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise FinflowError(f"--columns: {part.strip()!r} is not FIELD=COLUMN (for example "
                               "payer=from,payee=to,amount=usd_bn)")
        field, col = (s.strip() for s in part.split("=", 1))
        if not field or not col:
            raise FinflowError(f"--columns: {part.strip()!r} needs a field and a column name")
        if field in out:
            raise FinflowError(f"--columns: field {field!r} is given twice")
        out[field] = col
    check_mapping(out)
    return out


def check_mapping(mapping: Mapping[str, str]) -> None:
    """Refuse a mapping key that is no commitment field (or ``entities.`` + an entity
    field), naming the fields to choose from."""
    for field in mapping:
        if field.startswith(ENTITY_PREFIX):
            if field[len(ENTITY_PREFIX):] not in ENTITY_COLUMNS:
                raise FinflowError(f"--columns: unknown entity field {field!r}; choose from "
                                   + ", ".join(ENTITY_PREFIX + c for c in ENTITY_COLUMNS))
        elif field not in COMMITMENT_COLUMNS:
            raise FinflowError(f"--columns: unknown field {field!r}; choose from "
                               f"{', '.join(COMMITMENT_COLUMNS)} (or entities.FIELD for an "
                               "entity column)")


def _as_table(value: Any, what: str) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a mapping of columns or a list of records; a clear
    error for anything else (a networkx graph, a path, None)."""
    if isinstance(value, pd.DataFrame):
        return value
    if value is None:
        raise NetworkFileError([Problem(what, None, "", "is missing: give a pandas DataFrame "
                                        "(one row per commitment)" if what == "commitments"
                                        else "is missing")])
    if hasattr(value, "adj") and hasattr(value, "nodes"):
        raise NetworkFileError([Problem(what, None, "", "is a networkx graph, not a table")])
    if isinstance(value, (dict, list, tuple)):
        try:
            return pd.DataFrame(value)
        except (ValueError, TypeError) as exc:
            raise NetworkFileError([Problem(what, None, "", f"is not a table: {exc}")]) from None
    raise NetworkFileError([Problem(what, None, "", f"is a {type(value).__name__}, not a "
                                    "table (give a pandas DataFrame)")])


def _rename(table: pd.DataFrame, mapping: Mapping[str, str], loc: Locator, fields: Mapping,
            header_line: int | None, header_where: str | None, problems: list[Problem],
            constant_kind: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    """``table`` with the user's columns renamed to finflow's fields; returns it and
    field -> user column (to name the user's column in later problems)."""
    table = table.copy()
    table.columns = [str(c).strip() for c in table.columns]
    have = list(table.columns)

    def problem(field: str, message: str) -> None:
        problems.append(Problem(loc.file, header_line, field, message, where=header_where))

    renamed: dict[str, str] = {}
    out: dict[str, Any] = {}
    constants: dict[str, str] = {}
    for field, col in mapping.items():
        col = str(col).strip()
        if col not in have:
            if constant_kind and field == "kind" and col.lower() in KINDS:
                constants[field] = col.lower()
                continue
            problem(col, f"no such column (for {field}={col}); the columns are: "
                         + (", ".join(have) if have else "none"))
            continue
        renamed[field] = col
    taken = set(renamed.values())
    for c in have:
        if c in taken:
            continue
        if c in renamed or c in constants:
            problem(c, f"the table has a column {c!r} and {c}={renamed.get(c, constants.get(c))}"
                       f" names another one for that field; rename or drop one of them")
            continue
        out[c] = table[c]
    for field, col in renamed.items():
        out[field] = table[col]
    for field, value in constants.items():
        out[field] = pd.Series([value] * len(table), index=table.index, dtype=object)
    frame = pd.DataFrame(out, index=table.index)
    order = [f for f in fields if f in frame.columns]
    frame = frame[order + [c for c in frame.columns if c not in fields]]
    return frame, {f: c for f, c in renamed.items() if c != f}


_DECIMAL_COMMA = r"^\s*-?\d+,\d+\s*$"


def _decimal_points(table: pd.DataFrame, fields: Mapping[str, str]) -> pd.DataFrame:
    """``table`` with ``1,5`` read as ``1.5`` in its numeric fields (text cells only)."""
    table = table.copy()
    for col, typ in fields.items():
        if typ not in ("amount", "signed") or col not in table.columns:
            continue
        cells = table[col]
        if pd.api.types.is_numeric_dtype(cells):
            continue
        text = cells.astype(object)
        hit = text.map(lambda v: isinstance(v, str)).astype(bool)
        if not hit.any():
            continue
        as_str = text[hit].astype(str)
        comma = as_str.str.match(_DECIMAL_COMMA)
        table[col] = text.where(~hit, as_str.where(~comma, as_str.str.replace(",", ".",
                                                                             regex=False)))
    return table


def _id_text(v: Any) -> str:
    """An id cell as the text the validation keeps (strings stripped, whole floats of a
    spreadsheet without ``.0``); ``""`` when missing."""
    if v is None or v is pd.NaT:
        return ""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        return str(int(v)) if float(v).is_integer() else str(v)
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v).strip()


def entities_from_edges(commitments: pd.DataFrame) -> pd.DataFrame:
    """The entities of a deal list without an entities table: every id that appears as
    ``payer`` or ``payee``, in order of first appearance, with no figures (equity and
    the rest missing)."""
    cols = [commitments[c].to_numpy(dtype=object) for c in ("payer", "payee")
            if c in commitments.columns]
    if not cols:
        return pd.DataFrame({"id": pd.Series([], dtype=object)})
    both = np.column_stack(cols).ravel() if len(cols) > 1 else cols[0]
    try:
        codes, uniques = pd.factorize(pd.Series(both, dtype=object), use_na_sentinel=True)
        texts = [_id_text(u) for u in np.asarray(uniques, dtype=object)]
    except TypeError:  # unhashable cells: the validation names them
        texts = [_id_text(u) for u in both if isinstance(u, (str, int, float))]
    ids = list(dict.fromkeys(t for t in texts if t))
    return pd.DataFrame({"id": pd.Series(ids, dtype=object)})


def _user_names(exc: NetworkFileError, file: str, names: Mapping[str, str]) -> NetworkFileError:
    """The problems with a mapped field named by the user's column."""
    if not names:
        return exc
    from dataclasses import replace
    return NetworkFileError([replace(p, field=names[p.field])
                             if p.file == file and p.field in names else p
                             for p in exc.problems])


_HINTS = {"payer": "payer=COLUMN", "payee": "payee=COLUMN", "amount": "amount=COLUMN",
          "kind": "kind=COLUMN, or one kind for every row: kind=loan"}


def _missing_hint(exc: NetworkFileError, file: str, line: int | None,
                  where: str | None) -> NetworkFileError:
    """A required commitment column that is missing, with how to map it (and the
    header's line, where the table has one)."""
    from dataclasses import replace
    out = []
    for p in exc.problems:
        if p.file == file and p.line is None and p.message == "required column is missing" \
                and p.field in _HINTS:
            p = replace(p, line=line, where=where,
                        message=f"required column is missing (name yours with {_HINTS[p.field]})")
        out.append(p)
    return NetworkFileError(out)


def _row_label(index: pd.Index):
    """Row i of a user's DataFrame as ``row N`` (N counts from 1 in table order), with
    ``(index L)``, the label ``df.loc`` takes, when the index is not the default 0..n-1."""
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return None
    labels = index
    return lambda i: f"row {i + 1} (index {labels[i]!r})"


def tables_to_network(commitments: pd.DataFrame, entities: pd.DataFrame | None = None, *,
                      columns: Mapping[str, str] | None = None,
                      entity_columns: Mapping[str, str] | None = None,
                      metadata: Mapping[str, Any] | None = None,
                      commitment_locator: Locator | None = None,
                      entity_locator: Locator | None = None,
                      header_line: int | None = None,
                      header_where: tuple[str | None, str | None] = (None, None),
                      decimal_comma: bool = False) -> "Network":
    """A validated :class:`~finflow.model.Network` from raw tables and column mappings.

    Parameters
    ----------
    commitments, entities : pandas.DataFrame
        The user's tables (cells as text, numbers or dates); ``entities`` None derives
        them from the ids in ``payer`` / ``payee`` (:func:`entities_from_edges`).
    columns, entity_columns : mapping, optional
        finflow field -> the user's column, for each table. ``kind`` may also name one
        kind for every row (``"loan"``) when the table has no column of that name.
    metadata : mapping, optional
        The network's metadata (``name``, ``unit`` ...).
    commitment_locator, entity_locator : Locator, optional
        Where each row came from (file and lines) for error messages; default: tables
        named ``commitments`` and ``entities``, rows ``row N``.
    header_line, header_where : optional
        The line of the header (1 for CSV), or the description of each table's header
        (``("deals!row 1", "entities!row 1")``), for a mapped column that is not there.
    decimal_comma : bool
        Read ``1,5`` in a numeric field as 1.5 (a ``;``-separated export of a
        spreadsheet in a locale that writes decimal commas). Only cells of the form
        ``digits,digits`` change; ``1.234,5`` stays an error.

    Raises
    ------
    NetworkFileError
        Every problem at once: a mapped column absent, a field both present and
        mapped, and every validation problem of :func:`finflow.io.tables.coerce_tables`,
        named by the user's column.
    """
    from ..model import Network
    com = _as_table(commitments, "commitments")
    com_loc = commitment_locator or Locator("commitments", label=_row_label(com.index))
    mapping = dict(columns or {})
    ent_map = dict(entity_columns or {})
    for key in list(mapping):
        if key.startswith(ENTITY_PREFIX):
            ent_map.setdefault(key[len(ENTITY_PREFIX):], mapping.pop(key))
    check_mapping(mapping)
    check_mapping({ENTITY_PREFIX + k: v for k, v in ent_map.items()})
    problems: list[Problem] = []
    com, com_names = _rename(com, mapping, com_loc, COMMITMENT_COLUMNS, header_line,
                             header_where[0], problems, constant_kind=True)
    if entities is None:
        if ent_map:
            raise FinflowError("entity columns are mapped but there is no entities table")
        ent = entities_from_edges(com)
        ent_loc = entity_locator or Locator("entities (the ids in payer and payee)")
        ent_names: dict[str, str] = {}
    else:
        ent = _as_table(entities, "entities")
        ent_loc = entity_locator or Locator("entities", label=_row_label(ent.index))
        ent, ent_names = _rename(ent, ent_map, ent_loc, ENTITY_COLUMNS, header_line,
                                 header_where[1], problems, constant_kind=False)
    if problems:
        raise NetworkFileError(problems)
    if decimal_comma:
        com = _decimal_points(com, COMMITMENT_COLUMNS)
        ent = _decimal_points(ent, ENTITY_COLUMNS)
    try:
        ent, com = coerce_tables(ent, com, ent_loc, com_loc)
    except NetworkFileError as exc:
        if entities is None and not {"payer", "payee"} <= set(com.columns):
            # no ids to derive the entities from: the missing columns say it
            exc = NetworkFileError([p for p in exc.problems if p.file != ent_loc.file])
        exc = _user_names(exc, com_loc.file, com_names)
        raise _missing_hint(_user_names(exc, ent_loc.file, ent_names), com_loc.file,
                            header_line, header_where[0]) from None
    return Network(ent, com, dict(metadata or {}), validated=True)


def from_frames(commitments: pd.DataFrame, entities: pd.DataFrame | None = None, *,
                payer: str | None = None, payee: str | None = None,
                amount: str | None = None, kind: str | None = None, id: str | None = None,
                status: str | None = None, funded: str | None = None,
                announced: str | None = None, start: str | None = None,
                end: str | None = None, columns: Mapping[str, str] | None = None,
                entity_columns: Mapping[str, str] | None = None,
                **metadata: Any) -> "Network":
    """A network from a deal list with the user's own column names.

    Each keyword names the user's column for that finflow field (:mod:`finflow.schema`);
    columns not mapped are kept under their own names (a column already named like a
    finflow field is read as that field). ``entities`` is optional: without it the
    entities are the ids that appear as payer or payee, in order of first appearance,
    with every figure unknown (equity NaN: the contagion models then skip them or
    apply a ``missing_equity`` rule).

    Parameters
    ----------
    commitments : pandas.DataFrame
        One row per commitment, money ``payer -> payee`` (a mapping of columns or a list
        of records is converted).
    entities : pandas.DataFrame, optional
        One row per entity (``id`` and optional figures such as ``equity``).
    payer, payee, amount : str, optional
        The user's columns of who pays, who receives and the headline amount.
    kind : str, optional
        The user's column of the commitment kind (``equity``, ``loan``, ``purchase`` ...,
        :data:`finflow.KINDS`), or one kind for every row when the table has no column of
        that name (``kind="loan"``). An unknown kind is an error naming its row.
    id : str, optional
        The column of commitment ids; without one, row ``N`` gets ``rN`` (as a
        ``commitments.csv`` without an ``id`` column).
    status : str, optional
        The column of statuses; a missing status is ``committed``
        (:data:`finflow.schema.DEFAULTS`).
    funded, announced, start, end : str, optional
        The columns of the amount already paid and of the dates.
    columns : mapping, optional
        Any other commitment field -> user column (``{"amount_low": "low"}``).
    entity_columns : mapping, optional
        Entity field -> user column of ``entities`` (``{"equity": "book_equity"}``).
    **metadata
        The network's metadata: ``name``, ``unit``, ``currency``, ``as_of``, ``lgd`` ...

    Returns
    -------
    Network

    Raises
    ------
    NetworkFileError
        Every problem at once, as ``commitments: row 3: usd_bn: 'x' is not a number`` (the
        user's column named), or a mapped column that the table lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> from finflow.io.frames import from_frames
    >>> deals = pd.DataFrame({"from": ["nvidia", "openai"], "to": ["openai", "nvidia"],
    ...                       "usd_bn": [100.0, 40.0], "type": ["equity", "purchase"]})
    >>> net = from_frames(deals, payer="from", payee="to", amount="usd_bn", kind="type")
    >>> net.index, list(net.commitments["id"]), list(net.commitments["status"])
    (('nvidia', 'openai'), ['r1', 'r2'], ['committed', 'committed'])
    """
    mapping = {k: v for k, v in {"payer": payer, "payee": payee, "amount": amount,
                                 "kind": kind, "id": id, "status": status, "funded": funded,
                                 "announced": announced, "start": start, "end": end}.items()
               if v is not None}
    for field, col in (columns or {}).items():
        if field in mapping and mapping[field] != col:
            raise FinflowError(f"{field} is mapped twice ({mapping[field]!r} and {col!r})")
        mapping[field] = col
    return tables_to_network(commitments, entities, columns=mapping,
                             entity_columns=entity_columns, metadata=metadata)
