"""The report's table files and its results.json, kept small.

Rule (issue 20, "outputs that stay small"): a table of at most :data:`JSON_ROW_CAP` rows
is written as CSV (the one CSV writer, :func:`finflow.render.frame_csv`) and held whole in
results.json; a longer table is written as Parquet (zstd-compressed, the values as
computed; zstd level 9) beside it and results.json holds, in its place, a reference
``{"file": ..., "format": "parquet", "rows": ..., "columns": [...]}`` (listed again
under ``large_tables``). ``table_format="csv"`` writes every table as CSV instead (for a
spreadsheet; the folder is then several times larger), ``"parquet"`` every table as
Parquet. Without pyarrow, or for a table pyarrow cannot hold (a column of mixed types),
the file is CSV. Every file goes through :class:`finflow.io.output.OutputFolder`, so the
manifest lists it and ``--force`` removes it when a later report does not write it.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .io.output import FileNames, OutputFolder, safe_slug
from .render import csv_text
from .results import jsonable

__all__ = ["JSON_ROW_CAP", "TABLE_FORMATS", "TableFiles", "JsonWriter", "parquet_available",
           "table_stem", "table_files_of", "parquet_bytes", "frames_equal"]

#: the most rows of one table that results.json holds and that is written as CSV; a
#: longer table is a Parquet file beside results.json, referenced by name there
JSON_ROW_CAP = 1_000

#: ``auto``: CSV up to the row cap, Parquet past it; ``csv``/``parquet``: every table so
TABLE_FORMATS = ("auto", "csv", "parquet")


def parquet_available() -> bool:
    """Whether pyarrow (which writes Parquet) can be imported."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:        # pragma: no cover (pyarrow is a dependency)
        return False
    return True


def table_stem(name: str) -> str:
    """A file-name part for a table name of finflow's own (ids go through FileNames)."""
    return safe_slug(name) or "table"


class TableFiles:
    """Writes tables into an :class:`OutputFolder` as CSV or Parquet by the module's rule,
    and remembers what each file holds (rows, columns, format).

    Parameters
    ----------
    folder : OutputFolder
    cap : int
        Row cap: a table longer than this is Parquet (format ``auto``).
    table_format : {"auto", "csv", "parquet"}
    csv_raw : bool
        CSV cells exactly as computed (default: formulas neutralised,
        :func:`finflow.render.csv_safe_frame`). Parquet cells are always as computed (no
        spreadsheet runs them).
    """

    def __init__(self, folder: OutputFolder, *, cap: int = JSON_ROW_CAP,
                 table_format: str = "auto", csv_raw: bool = False):
        if table_format not in TABLE_FORMATS:
            raise ValueError(f"table format must be one of {', '.join(TABLE_FORMATS)}")
        self.folder, self.cap, self.csv_raw = folder, int(cap), csv_raw
        self.table_format = table_format
        self.parquet = parquet_available()
        self.files: dict[str, dict[str, Any]] = {}          # name -> what it holds
        self._frames: dict[str, pd.DataFrame] = {}          # name -> the frame written
        self._by_digest: dict[tuple[str, str], str] = {}    # (format, SHA-256) -> name
        self._pending: dict[str, bytes] = {}                # planned, not yet written

    def fmt(self, rows: int) -> str:
        """The format a table of ``rows`` rows is written in."""
        if not self.parquet or self.table_format == "csv":
            return "csv"
        if self.table_format == "parquet":
            return "parquet"
        return "parquet" if rows > self.cap else "csv"

    def plan(self, stem: str, frame: pd.DataFrame, *, reuse: bool = False) -> str:
        """Encode ``frame`` as ``stem`` + ``.csv`` or ``.parquet`` and return the file
        name; the file is written by :meth:`flush` (so that the pages naming it can be
        written first). With ``reuse``, a file already planned with the same bytes is
        named instead (a report table keeps its own file even when another table has the
        same rows)."""
        fmt = self.fmt(len(frame))
        data: bytes | None = None
        if fmt == "parquet":
            try:
                data = parquet_bytes(frame)
            except Exception:      # a column pyarrow cannot type (mixed values): CSV
                fmt = "csv"
        if data is None:
            data = csv_text(frame, raw=self.csv_raw).encode("utf-8")
        digest = (fmt, hashlib.sha256(data).hexdigest())
        if reuse and digest in self._by_digest:
            return self._by_digest[digest]
        name = f"{stem}.{fmt}"
        if name in self.files:
            raise ValueError(f"{name}: two tables share a file name")
        self._pending[name] = data
        self._by_digest.setdefault(digest, name)
        self.files[name] = {"file": name, "format": fmt, "rows": int(len(frame)),
                            "columns": [str(c) for c in frame.columns]}
        self._frames[name] = frame
        return name

    def flush(self) -> None:
        """Write every planned file (through the folder: atomic, in the manifest)."""
        for name in list(self._pending):
            self.folder.write_bytes(name, self._pending.pop(name))

    def write(self, stem: str, frame: pd.DataFrame, *, reuse: bool = False) -> str:
        """:meth:`plan` and :meth:`flush` at once; returns the file name."""
        name = self.plan(stem, frame, reuse=reuse)
        self.flush()
        return name

    def same_as(self, frame: pd.DataFrame) -> str | None:
        """The file already written that holds ``frame`` (same columns and rows, the same
        values to the 12 significant digits results.json keeps), if any: a results.json
        table that is also a report table is named, not written twice."""
        cols = [str(c) for c in frame.columns]
        for name, info in self.files.items():
            if info["columns"] == cols and info["rows"] == len(frame) \
                    and frames_equal(self._frames[name], frame):
                return name
        return None

    def reference(self, name: str) -> dict[str, Any]:
        """What results.json says in place of a table written to ``name``."""
        return dict(self.files[name])


_LATER = "__finflow_later__"


class _Later:
    """Stands in for a section's result in ``Report.to_dict``, so that the document's
    shape comes from ``to_dict`` itself while each section's (possibly large) dict is
    built only when it is written, one at a time."""

    def __init__(self, path: tuple[str, ...]):
        self.path = path

    def to_dict(self) -> dict[str, Any]:
        return {_LATER: list(self.path)}


def _is_later(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and _LATER in value


class JsonWriter:
    """Streams results.json: every section's dict is built, its tables longer than the
    cap are replaced by references to table files (:class:`TableFiles`), written and
    dropped before the next section.

    Parameters
    ----------
    report : Report
        Any object with ``sections()`` (name -> result, ``contagion`` a dict of results)
        and ``to_dict()``.
    files : TableFiles
        Where the long tables go (a table equal to one already written is named
        instead).
    """

    def __init__(self, report: Any, files: TableFiles):
        self.report, self.files, self.cap = report, files, files.cap
        self.names = FileNames(prefix="results-")
        self.large: list[dict[str, Any]] = []

    def skeleton(self) -> dict[str, Any]:
        import copy
        light = copy.copy(self.report)
        for section, result in self.report.sections().items():
            if section == "contagion":
                light.contagion = {k: _Later(("contagion", k)) for k in result}
            else:
                setattr(light, section, _Later((section,)))
        return light.to_dict()

    def resolve(self, path: list[str]) -> Any:
        obj: Any = getattr(self.report, path[0])
        for key in path[1:]:
            obj = obj[key]
        return self.cut(jsonable(obj.to_dict()), ".".join(path))

    def cut(self, value: Any, where: str) -> Any:
        if isinstance(value, dict):
            return {k: self.cut(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list) and len(value) > self.cap:
            frame = (pd.DataFrame.from_records(value) if all(isinstance(x, dict) for x in value)
                     else pd.DataFrame({where.rsplit(".", 1)[-1]: value}))
            name = self.files.same_as(frame)
            if name is None:
                name = self.files.write(self.names.name(where.replace(".", "-")), frame,
                                        reuse=True)
            del frame
            ref = self.files.reference(name)
            self.large.append({"table": where, **ref})
            return ref
        return value

    def dump(self, value: Any, f: Any, indent: str = "") -> None:
        if _is_later(value):
            value = self.resolve(value[_LATER])
            json.dump(value, f, indent=1, allow_nan=False, ensure_ascii=False)
            return
        if isinstance(value, dict) and any(_is_later(v) or isinstance(v, dict)
                                           for v in value.values()):
            inner = indent + " "
            f.write("{")
            for i, (k, v) in enumerate(value.items()):
                f.write(("," if i else "") + "\n" + inner + json.dumps(str(k)) + ": ")
                self.dump(v, f, inner)
            f.write("\n" + indent + "}")
            return
        json.dump(jsonable(value), f, indent=1, allow_nan=False, ensure_ascii=False)

    def write(self, f: Any) -> None:
        """Write the whole document to the text handle ``f``."""
        doc = self.skeleton()
        keys = [k for k in doc if k != "large_tables"]
        f.write("{")
        for i, k in enumerate(keys):
            f.write(("," if i else "") + "\n " + json.dumps(k) + ": ")
            self.dump(doc[k], f, " ")
        f.write(",\n " + json.dumps("large_tables") + ": ")
        json.dump(self.large, f, indent=1, ensure_ascii=False)
        f.write("\n}\n")


def frames_equal(a: pd.DataFrame, b: pd.DataFrame, rtol: float = 1e-11) -> bool:
    """Whether two tables hold the same values column by column: numbers equal to
    ``rtol`` (results.json rounds to 12 significant digits), missing where the other is
    missing (NaN, None and NA alike), anything else equal as Python values."""
    if list(map(str, a.columns)) != list(map(str, b.columns)) or len(a) != len(b):
        return False
    for ca, cb in zip(a.columns, b.columns):
        x, y = a[ca], b[cb]
        num = (pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y)
               and not pd.api.types.is_bool_dtype(x) and not pd.api.types.is_bool_dtype(y))
        if num:
            xv, yv = x.to_numpy(dtype=float, na_value=np.nan), y.to_numpy(dtype=float,
                                                                         na_value=np.nan)
            if not np.allclose(xv, yv, rtol=rtol, atol=0.0, equal_nan=True):
                return False
            continue
        xs = x.astype(object).where(x.notna(), None).tolist()
        ys = y.astype(object).where(y.notna(), None).tolist()
        if xs != ys:
            return False
    return True


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as the bytes of a Parquet file (zstd, no index): the same frame gives
    the same bytes. Raises (pyarrow's error) when a column has mixed types."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink,
                   compression="zstd", compression_level=9)
    return sink.getvalue().to_pybytes()


def table_files_of(sections: Mapping[str, Any]) -> list[tuple[str, Any, str, pd.DataFrame]]:
    """``(stem, result, table name, table)`` for every table of every section; the stem is
    the file name without its suffix, ``<section>-<table>`` (``contagion`` is a dict of
    entity -> result: ``contagion-<entity>-<table>``)."""
    out: list[tuple[str, Any, str, pd.DataFrame]] = []
    ids = FileNames(prefix="contagion-")
    for section, result in sections.items():
        if section == "contagion":
            for ent, cmp_ in result.items():
                for name, frame in cmp_.tables().items():
                    out.append((ids.name(ent, suffix=f"-{table_stem(name)}"), cmp_, name,
                                frame))
            continue
        for name, frame in result.tables().items():
            out.append((f"{section}-{table_stem(name)}", result, name, frame))
    return out
