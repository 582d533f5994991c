"""Rendering of result objects: ``table`` (terminal), ``markdown``, ``json`` and ``csv``.

One module for every analysis, so that ``--format`` means the same on every command.
``json`` is ``result.to_dict()``; ``csv`` is ``result.to_frame()`` (the main table);
``table`` and ``markdown`` show the summary sentences, every table of
``result.tables()`` and the notes (conventions) under them.
"""
from __future__ import annotations

import csv
import json
import math
import re
from typing import IO, Any, Iterable

import numpy as np
import pandas as pd

from .results import jsonable
from .text import MISSING, format_number, round_sig

__all__ = ["FORMATS", "render", "format_number", "text_table", "markdown_table", "html_table",
           "to_json", "frame_csv", "table_names", "select_table", "main_table",
           "terminal_text", "wrap_text", "md_text", "csv_safe_frame", "csv_text", "csv_text_to"]

FORMATS = ("table", "markdown", "json", "csv")


# ---- escaping at every sink (issue 21) ---------------------------------------------------
# ESC sequences (CSI, OSC, other two-byte ones), then every remaining C0/C1 control
# character, DEL, and the Unicode bidirectional overrides ("Trojan source").
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                   r"|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: Any, *, keep_newlines: bool = True) -> str:
    """``text`` safe to print on a terminal: escape sequences and control characters
    removed (a tab becomes a space; newlines are kept unless ``keep_newlines`` is
    false, then they become spaces too).

    >>> terminal_text("\\x1b[31mred\\x1b[0m\\x07 ok")
    'red ok'
    """
    s = _ANSI.sub("", str(text)).replace("\t", " ")
    if not keep_newlines:
        s = s.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return _CONTROL.sub("", s)


# ``>`` is left as it is: without ``<`` no tag can open, and mid-line it starts nothing
# (a blockquote needs it first on a line), while "a > b > a" (a cycle) stays readable
_MD_SPECIAL = {"&": "&amp;", "<": "&lt;", "\\": "\\\\", "[": "\\[", "]": "\\]",
               "`": "\\`", "|": "\\|"}
_MD_RE = re.compile("[&<\\\\\\[\\]`|]")


def md_text(text: Any) -> str:
    """Data text for a Markdown document: ``<`` and ``&`` become entities (``<script>``
    cannot become a live element in a renderer that passes HTML), the
    characters of link, image and code syntax (``[ ] ` \\``) and table cells (``|``)
    are backslash-escaped (so a ``[x](javascript:...)`` from a data file is no link),
    control characters are removed and line breaks become spaces. CommonMark and
    GitHub render the result as the original text.

    >>> md_text("<b>[x](javascript:alert(1))</b> & co")
    '&lt;b>\\\\[x\\\\](javascript:alert(1))&lt;/b> &amp; co'
    """
    s = terminal_text(text, keep_newlines=False)
    return _MD_RE.sub(lambda m: _MD_SPECIAL[m.group(0)], s)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _neutral(v: Any) -> Any:
    if isinstance(v, str) and v.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(v):
        return "'" + v
    return v


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell (and header) that a spreadsheet would evaluate as
    a formula -- one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return -- prefixed with ``'`` (the OWASP "CSV injection" rule). Numeric columns are
    untouched, as is text that is a plain number (``-5``, ``+1e3``): negative numbers
    stay numbers. Returns ``frame`` itself when nothing needs changing.

    References
    ----------
    OWASP Foundation, "CSV Injection" (2023), https://owasp.org/www-community/attacks/CSV_Injection
    """
    out = frame
    for i, c in enumerate(frame.columns):
        col = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        if pd.api.types.is_datetime64_any_dtype(col):
            continue
        values = col.tolist()
        fixed = [_neutral(v) for v in values]
        if any(a is not b for a, b in zip(fixed, values)):
            if out is frame:
                out = frame.copy()
            out.isetitem(i, pd.Series(fixed, index=col.index, dtype=object))
    cols = [_neutral(c) for c in frame.columns]
    if cols != list(frame.columns):
        out = out.copy() if out is frame else out
        out.columns = cols
    return out


def csv_text_to(frame: pd.DataFrame, handle: IO[str], *, raw: bool = False) -> None:
    """Write ``frame`` as CSV to an open text handle (:func:`frame_csv`)."""
    handle.write(frame_csv(frame, raw=raw))


def csv_text(frame: pd.DataFrame, *, raw: bool = False) -> str:
    """``frame`` as CSV text: :func:`frame_csv` (rounded, neutralised unless ``raw``)."""
    return frame_csv(frame, raw=raw)


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


#: fitting a table to a width (:func:`text_table`): text columns are cut down to
#: KEEP_TEXT_WIDTH characters before any column is left out, and the first column, when
#: it alone is too wide, down to MIN_TEXT_WIDTH
KEEP_TEXT_WIDTH = 24
MIN_TEXT_WIDTH = 10


def text_table(frame: pd.DataFrame, max_width: int = 48, width: int | None = None) -> str:
    """A plain-text table with aligned columns (numbers right-aligned).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    max_width : int
        Longest cell text; a longer one is cut and ends with ``…``.
    width : int, optional
        Fit every line into this many characters (the terminal's width): text columns
        are cut (ending with ``…``; numbers are never cut), and columns that still do
        not fit are left out, right to left, with a line under the table naming them
        (:func:`_fit`). ``None`` (the default): no fitting.
    """
    headers, rows, numeric = _cells(frame)
    if not headers:
        return "(no columns)"

    def cut(s: str, n: int) -> str:
        return s if len(s) <= n else s[: max(n - 1, 0)] + "…"

    headers = [terminal_text(h, keep_newlines=False) for h in headers]
    # data text never drives the terminal
    rows = [[cut(terminal_text(c, keep_newlines=False), max_width) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    keep = list(range(len(headers)))
    if width is not None:
        widths, keep = _fit(headers, rows, numeric, widths, width)
        headers = [cut(headers[i], widths[i]) for i in keep]
        rows = [[cut(r[i], widths[i]) for i in keep] for r in rows]
        left_out = [h for i, h in enumerate(_cells_headers(frame)) if i not in keep]
        numeric = [numeric[i] for i in keep]
        widths = [widths[i] for i in keep]
    else:
        left_out = []

    def line(cells: Iterable[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(cells, widths, numeric)).rstrip()
    out = [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    if not rows:
        out.append("(none)")
    if left_out:
        note = (f"({len(left_out)} column{'s' if len(left_out) > 1 else ''} left out to fit "
                f"{width} characters: {', '.join(left_out)}; --wide shows every column)")
        out.append(wrap_text(note, width))
    return "\n".join(out)


def _cells_headers(frame: pd.DataFrame) -> list[str]:
    return [terminal_text(str(c), keep_newlines=False) for c in frame.columns]


def _fit(headers: list[str], rows: list[list[str]], numeric: list[bool],
         widths: list[int], width: int) -> tuple[list[int], list[int]]:
    """Column widths and the columns kept so that a table's lines fit ``width``.

    Text columns are cut, the widest first, down to :data:`KEEP_TEXT_WIDTH`
    characters; if that is not enough, columns are left out from the right (never the
    first) and the room left over goes back to the cut columns; only a first column
    alone that is still too wide is cut further, down to :data:`MIN_TEXT_WIDTH`. Number
    columns and their headers are never cut (a cut number would read as another one)."""
    natural = list(widths)
    widths = list(widths)
    keep = list(range(len(headers)))

    def total() -> int:
        return sum(widths[i] for i in keep) + 2 * (len(keep) - 1)

    def shrink(floor: list[int]) -> None:
        while total() > width:
            slack = [(widths[i] - floor[i], i) for i in keep if widths[i] > floor[i]]
            if not slack:
                return
            _, i = max(slack)
            widths[i] -= min(widths[i] - floor[i], total() - width, max(1, widths[i] // 8))

    shrink([w if num else min(w, KEEP_TEXT_WIDTH) for w, num in zip(natural, numeric)])
    if total() > width:
        while len(keep) > 1 and total() > width:
            keep.pop()
        for i in keep:                      # give the room left over back, left first
            widths[i] = min(natural[i], widths[i] + max(width - total(), 0))
        shrink([w if num else min(w, MIN_TEXT_WIDTH) for w, num in zip(natural, numeric)])
    return widths, keep


def wrap_text(text: str, width: int | None, indent: str = "",
              subsequent: str | None = None) -> str:
    """``text`` (one paragraph) wrapped at ``width`` characters after ``indent``
    (continuation lines after ``subsequent``, by default ``indent`` and two spaces);
    unchanged but for the indent when ``width`` is ``None``."""
    if width is None:
        return indent + text
    import textwrap
    return textwrap.fill(text, width=max(width, 20), initial_indent=indent,
                         subsequent_indent=indent + "  " if subsequent is None else subsequent,
                         break_long_words=True, break_on_hyphens=False)


def _md_escape(s: str) -> str:
    return md_text(s)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table; every header and cell goes through
    :func:`md_text` (no HTML, link syntax or control character from data survives)."""
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


def frame_csv(frame: pd.DataFrame, *, raw: bool = False) -> str:
    """A table as CSV text, the one writer of every CSV finflow produces (``-f csv``,
    ``--table all`` and the report's files), so that the same table gives the same bytes
    everywhere. Floats are rounded to 12 significant digits (the precision the data
    carries: ``55.1``, not the binary noise ``55.099999999999994`` of a float sum), and
    text cells a spreadsheet would evaluate are neutralised (:func:`csv_safe_frame`)
    unless ``raw``."""
    out = (frame if raw else csv_safe_frame(frame)).copy()
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
           table: str | None = None, csv_raw: bool = False, width: int | None = None) -> str:
    """Render a result object in one of :data:`FORMATS`.

    ``limit`` caps the rows shown per table in ``table`` and ``markdown`` (the JSON and
    CSV always hold every row). ``table`` picks one table of ``result.tables()`` (the
    CSV of ``--table T``, its records in JSON, that table alone in text); without it the
    CSV is the first table (the main one) and the JSON is ``result.to_dict()``.
    Data text is made safe for where it lands: control characters and escape sequences
    are removed in ``table`` (terminal) output, Markdown-escaped in ``markdown``
    (:func:`md_text`), and CSV cells a spreadsheet would evaluate are prefixed with ``'``
    (:func:`csv_safe_frame`) unless ``csv_raw``. ``width`` (``table`` format only) fits
    every line into that many characters: tables through :func:`text_table`, sentences
    wrapped; ``None`` leaves lines as long as they are.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if table is not None:
        frame = select_table(result, table)
        if fmt == "csv":
            return frame_csv(frame, raw=csv_raw)
        if fmt == "json":
            return to_json({"table": table, "rows": frame})
        shown = frame if limit is None else frame.head(limit)
        return (markdown_table(shown) if fmt == "markdown"
                else text_table(shown, width=width)) + "\n"
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        name = main_table(result)
        return frame_csv(result.tables()[name] if name is not None else result.to_frame(),
                         raw=csv_raw)
    md = fmt == "markdown"
    safe = md_text if md else (lambda x: terminal_text(x, keep_newlines=False))
    title = safe(getattr(result, "title", "Result"))
    parts: list[str] = []
    parts.append(f"## {title}" if md else title + "\n" + "=" * len(title))
    summary = [safe(s) for s in result.summary()]
    if summary:
        parts.append("\n".join("- " + s if md else wrap_text(s, width) for s in summary))
    for name, frame in result.tables().items():
        shown = frame if limit is None else frame.head(limit)
        head = _table_title(name)
        if limit is not None and len(frame) > limit:
            head += f" (first {limit} of {len(frame)})"
        if md:
            parts.append(f"### {head}\n\n{markdown_table(shown)}")
        else:
            parts.append(f"{head}\n{text_table(shown, width=width)}")
    notes = [safe(n) for n in result.notes()]
    if notes:
        if md:
            parts.append("**Conventions**\n\n" + "\n".join(f"- {n}" for n in notes))
        else:
            parts.append("Notes:\n" + "\n".join(wrap_text(n, width, "  ") for n in notes))
    return "\n\n".join(parts) + "\n"
