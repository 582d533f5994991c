"""Rendering of result objects: ``table`` (terminal), ``markdown``, ``json`` and ``csv``.

One module for every analysis, so that ``--format`` means the same on every command.
``json`` is ``result.to_dict()``; ``csv`` is ``result.to_frame()`` (the main table);
``table`` and ``markdown`` show the summary sentences, every table of
``result.tables()`` and the notes (conventions) under them.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .results import jsonable
from .text import MISSING, format_number, round_sig

__all__ = ["FORMATS", "render", "format_number", "text_table", "markdown_table", "html_table",
           "to_json", "frame_csv", "table_names", "select_table", "main_table"]

FORMATS = ("table", "markdown", "json", "csv")
def _cells(frame: pd.DataFrame) -> tuple[list[str], list[list[str]], list[bool]]:
    headers = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    digits: list[int | None] = []
    for c, num in zip(frame.columns, numeric):
        col = frame[c]
        if num and pd.api.types.is_float_dtype(col):
            finite = col[np.isfinite(col.to_numpy(dtype=float))].abs()
            big = finite.max() if len(finite) else 0.0
            digits.append(2 if big >= 1 else 3)
        else:
            digits.append(None)
    # calendar years print as 2027, not 2,027
    years = [h == "year" or h.endswith("_year") for h in headers]
    rows = [[str(int(v)) if y and isinstance(v, (int, np.integer)) and not isinstance(v, bool)
             else format_number(v, d) if isinstance(v, (float, np.floating)) else format_number(v)
             for v, d, y in zip(row, digits, years)]
            for row in frame.itertuples(index=False, name=None)]
    return headers, rows, numeric


def text_table(frame: pd.DataFrame, max_width: int = 48) -> str:
    """A plain-text table with aligned columns (numbers right-aligned)."""
    headers, rows, numeric = _cells(frame)
    if not headers:
        return "(no columns)"

    def cut(s: str) -> str:
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    rows = [[cut(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    def line(cells: Iterable[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(cells, widths, numeric)).rstrip()
    out = [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    if not rows:
        out.append("(none)")
    return "\n".join(out)


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table."""
    headers, rows, numeric = _cells(frame)
    if not headers:
        return ""
    out = ["| " + " | ".join(_md_escape(h) for h in headers) + " |",
           "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    out += ["| " + " | ".join(_md_escape(c) for c in r) + " |" for r in rows]
    if not rows:
        out.append("| " + " | ".join("" for _ in headers) + " |")
    return "\n".join(out)


def html_table(frame: pd.DataFrame, css_class: str = "data") -> str:
    """An HTML table with the same number formatting as the text tables; every cell and
    header is HTML-escaped (text from data files never lands raw in a page)."""
    from html import escape
    headers, rows, numeric = _cells(frame)
    head = "".join(f'<th class="{"num" if n else "txt"}">{escape(h)}</th>'
                   for h, n in zip(headers, numeric))
    body = "".join("<tr>" + "".join(f'<td class="{"num" if n else "txt"}">{escape(c)}</td>'
                                    for c, n in zip(r, numeric)) + "</tr>" for r in rows)
    return (f'<table class="{escape(css_class)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def frame_csv(frame: pd.DataFrame) -> str:
    """A table as CSV text, the one writer of every CSV finflow produces (``-f csv``,
    ``--table all`` and the report's files), so that the same table gives the same bytes
    everywhere. Floats are rounded to 12 significant digits (the precision the data
    carries: ``55.1``, not the binary noise ``55.099999999999994`` of a float sum)."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: v if pd.isna(v) else round_sig(float(v)))
        elif out[c].dtype == object:
            out[c] = out[c].map(lambda v: round_sig(v) if isinstance(v, float) else v)
    return out.to_csv(index=False, lineterminator="\n")


def table_names(result: Any) -> list[str]:
    """The names of a result's tables (what ``--table`` accepts)."""
    return list(result.tables())


def main_table(result: Any) -> str | None:
    """The name of the table ``-f csv`` writes without ``--table``: the one of
    ``result.tables()`` that is ``result.to_frame()`` (the main table), else the first."""
    tables = result.tables()
    main = result.to_frame()
    for name, frame in tables.items():
        if frame is main or (frame.shape == main.shape and list(frame.columns) == list(main.columns)
                             and frame.equals(main)):
            return name
    return next(iter(tables), None)


def select_table(result: Any, name: str) -> pd.DataFrame:
    """One table of a result by name; a :class:`~finflow.errors.FinflowError` names the
    choices when there is no such table."""
    from .errors import FinflowError
    tables = result.tables()
    if name not in tables:
        raise FinflowError(f"--table: no table {name!r}; choose from {', '.join(tables)} "
                           "or all")
    return tables[name]


def to_json(result: Any) -> str:
    """``result.to_dict()`` as strict JSON (no NaN)."""
    data = result.to_dict() if hasattr(result, "to_dict") else result
    return json.dumps(jsonable(data), indent=2, allow_nan=False, ensure_ascii=False)


def _table_title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def render(result: Any, fmt: str = "table", *, limit: int | None = None,
           table: str | None = None) -> str:
    """Render a result object in one of :data:`FORMATS`.

    ``limit`` caps the rows shown per table in ``table`` and ``markdown`` (the JSON and
    CSV always hold every row). ``table`` picks one table of ``result.tables()`` (the
    CSV of ``--table T``, its records in JSON, that table alone in text); without it the
    CSV is the first table (the main one) and the JSON is ``result.to_dict()``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if table is not None:
        frame = select_table(result, table)
        if fmt == "csv":
            return frame_csv(frame)
        if fmt == "json":
            return to_json({"table": table, "rows": frame})
        shown = frame if limit is None else frame.head(limit)
        return (markdown_table(shown) if fmt == "markdown" else text_table(shown)) + "\n"
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        name = main_table(result)
        return frame_csv(result.tables()[name] if name is not None else result.to_frame())
    title = getattr(result, "title", "Result")
    parts: list[str] = []
    md = fmt == "markdown"
    parts.append(f"## {title}" if md else title + "\n" + "=" * len(title))
    summary = result.summary()
    if summary:
        parts.append("\n".join(("- " if md else "") + s for s in summary))
    for name, frame in result.tables().items():
        shown = frame if limit is None else frame.head(limit)
        head = _table_title(name)
        if limit is not None and len(frame) > limit:
            head += f" (first {limit} of {len(frame)})"
        if md:
            parts.append(f"### {head}\n\n{markdown_table(shown)}")
        else:
            parts.append(f"{head}\n{text_table(shown)}")
    notes = result.notes()
    if notes:
        if md:
            parts.append("**Conventions**\n\n" + "\n".join(f"- {_md_escape(n)}" for n in notes))
        else:
            parts.append("Notes:\n" + "\n".join(f"  {n}" for n in notes))
    return "\n\n".join(parts) + "\n"
