"""Parquet tables in a network folder: ``entities.parquet`` and ``commitments.parquet``
in place of the CSV files (issue 20).

A Parquet table holds typed columns (numbers as numbers, flags as booleans, text as
UTF-8), so reading one is a copy of column buffers: a million commitments load in a
fraction of a second. It is validated exactly like a CSV table (the same
:func:`finflow.io.tables.coerce_tables`); a Parquet file has no lines, so a problem
names the data row, counting from 1: ``commitments.parquet: row 7: amount: ...``.

Reference: Apache Parquet format specification, https://parquet.apache.org/docs/
(2013-); Vohra, *Apache Parquet*, in Practical Hadoop Ecosystem, Apress (2016).
"""
from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ..errors import NetworkFileError, Problem

__all__ = ["read_parquet_table", "write_parquet_table", "PARQUET_SUFFIX"]

PARQUET_SUFFIX = ".parquet"


def read_parquet_table(path: Path, shown: str, dictionary: tuple[str, ...] = ()
                       ) -> pd.DataFrame:
    """The cells of a Parquet table, text columns kept in pyarrow (no copy).

    Parameters
    ----------
    path : pathlib.Path
        The ``.parquet`` file.
    shown : str
        The file name used in error messages.
    dictionary : tuple of str
        Text columns to keep dictionary-encoded (codes into distinct texts: columns
        of few distinct values, such as kinds, statuses and dates, are then validated
        without materialising a text per row).

    Returns
    -------
    pandas.DataFrame
        Text columns as pyarrow-backed strings (dictionary-encoded ones decoded),
        numbers as float64/int64, flags as booleans; a column of nothing but nulls as
        objects (None). Not validated: pass it to :func:`finflow.io.tables.coerce_tables`.

    Raises
    ------
    NetworkFileError
        The file cannot be read, is not Parquet, or names a column twice.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        schema = pq.read_schema(path)
        as_dictionary = [n for n in schema.names if n in dictionary and (
            pa.types.is_string(schema.field(n).type)
            or pa.types.is_large_string(schema.field(n).type))]
        table = pq.read_table(path, read_dictionary=as_dictionary or None)
    except OSError as exc:
        what = getattr(exc, "strerror", None) or str(exc)
        raise NetworkFileError([Problem(shown, None, "", f"cannot read: {what}")]) from None
    except (pa.ArrowException, ValueError) as exc:
        raise NetworkFileError([Problem(shown, None, "", f"is not a valid Parquet file: "
                                        f"{exc}")]) from None
    names = [str(c).strip() for c in table.column_names]
    seen: set[str] = set()
    dups = [c for c in names if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
    if dups:
        raise NetworkFileError([Problem(shown, None, c, "column appears more than once")
                                for c in dict.fromkeys(dups)])
    columns = []
    for name, col in zip(names, table.columns):
        if pa.types.is_dictionary(col.type) and not (
                name in as_dictionary and pa.types.is_string(col.type.value_type)):
            col = col.cast(col.type.value_type)
        columns.append(col)
    table = pa.table(columns, names=names)

    def mapper(t: pa.DataType) -> Any:
        if pa.types.is_string(t) or pa.types.is_large_string(t) or (
                pa.types.is_dictionary(t) and pa.types.is_string(t.value_type)):
            return pd.ArrowDtype(t)
        return None

    try:
        return table.to_pandas(types_mapper=mapper)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise NetworkFileError([Problem(shown, None, "", f"has columns finflow cannot read: "
                                        f"{exc}")]) from None


def write_parquet_table(frame: pd.DataFrame, columns: dict[str, str], handle: IO[bytes]
                        ) -> None:
    """Write a typed table (as :func:`finflow.io.tables.coerce_tables` returns it) as
    Parquet: amounts as float64, flags as booleans, everything else as text (empty
    cells as nulls), schema columns first.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    columns : dict
        Column -> type (:data:`finflow.schema.ENTITY_COLUMNS` or
        :data:`~finflow.schema.COMMITMENT_COLUMNS`).
    handle : binary file
        Where to write.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    ordered = [c for c in columns if c in frame.columns] + \
        [c for c in frame.columns if c not in columns]
    arrays = []
    for c in ordered:
        typ = columns.get(c, "text")
        values = frame[c]
        if typ in ("amount", "signed"):
            arrays.append(pa.array(values.to_numpy(dtype=float), type=pa.float64(),
                                   from_pandas=True))
        elif typ == "bool":
            arrays.append(pa.array(values.to_numpy(dtype=bool), type=pa.bool_()))
        else:
            obj = values.astype(object).to_numpy()
            try:
                arrays.append(pa.array(obj, type=pa.string(), from_pandas=True))
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # a cell that is not text
                text = [v if isinstance(v, str) or v is None else
                        (None if isinstance(v, float) and np.isnan(v) else str(v))
                        for v in obj]
                arrays.append(pa.array(text, type=pa.string()))
    pq.write_table(pa.table(arrays, names=[str(c) for c in ordered]), handle)
