"""Where a network comes from: a folder, a single commitments file or standard input.

:func:`read_source` recognises the input and reads it:

* a **folder** (``entities.csv``, ``commitments.csv``, optional ``network.yaml``);
* a node-link **.json**, **.graphml** or **.gexf** file (:mod:`finflow.io.graphformats`);
* a **single commitments file**: CSV (the delimiter sniffed from the header line among
  ``,`` ``;`` tab ``|``), **.tsv** / **.tab** (tab), **.xlsx** (the sheet named
  ``commitments``, else the first sheet; an optional ``entities`` sheet) or **.parquet**;
  without an entities table the entities are the ids in payer and payee
  (:func:`finflow.io.frames.from_frames`);
* ``-``: **standard input** (CSV text, or the bytes of an .xlsx or Parquet file).

``columns`` maps finflow's fields to the file's own column names, ``delimiter`` and
``encoding`` say how to read CSV text. Errors stay ``file:line: field: problem`` with the
file's real line (the header is line 1) for CSV, ``file: sheet!row N: field: problem``
for Excel and ``file: row N: field: problem`` for Parquet; standard input is named
``<stdin>``.
"""
from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from ..errors import FinflowError, FinflowWarning, NetworkFileError, Problem
from .folder import COMMITMENTS_FILE, ENTITIES_FILE, METADATA_FILE, read_csv_with_lines, \
    read_folder
from .frames import check_mapping, parse_columns, tables_to_network
from .graphformats import FORMATS_BY_SUFFIX
from .metadata import check_metadata_fields, read_metadata
from .tables import Locator

if TYPE_CHECKING:
    from ..model import Network

__all__ = ["read_source", "parse_delimiter", "sniff_delimiter", "separator_hint",
           "STDIN", "STDIN_NAME", "CSV_SUFFIXES", "TSV_SUFFIXES", "EXCEL_SUFFIXES",
           "PARQUET_SUFFIXES", "SNIFFED_DELIMITERS"]

#: the spec that reads standard input, and the name its problems carry
STDIN = "-"
STDIN_NAME = "<stdin>"
CSV_SUFFIXES = frozenset({".csv", ".txt"})
TSV_SUFFIXES = frozenset({".tsv", ".tab"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
#: the delimiters a CSV header line is sniffed for, in order of preference on a tie
SNIFFED_DELIMITERS = (",", ";", "\t", "|")
_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|",
          "space": " "}
_HEAD = 1 << 16


def parse_delimiter(text: str) -> str:
    """A ``--delimiter`` value as one character: ``;``, ``|``, ``\\t`` or ``tab`` (also
    ``comma``, ``semicolon``, ``pipe``, ``space``).

    >>> parse_delimiter("tab") == "\\t", parse_delimiter(";")
    (True, ';')
    """
    value = _NAMES.get(text.strip().lower(), text) if text.strip() else text
    if len(value) != 1 or not value.isascii() or value in "\"\r\n" or value.isalnum():
        raise FinflowError(f"--delimiter: {text!r} is not one character such as , ; | or tab "
                           "(write a tab as \\t or tab)")
    return value


def _count_outside_quotes(line: str, char: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            n += 1
    return n


def _lines(head: str, limit: int = 20) -> list[str]:
    return [line for line in head.splitlines() if line.strip()][:limit]


def sniff_delimiter(head: str) -> str | None:
    """The delimiter of a CSV text from its header line (the first non-blank line): the
    one of ``, ; tab |`` that occurs most often outside quotes; None when none does.

    >>> sniff_delimiter("from;to;usd_bn\\na;b;1,5\\n")
    ';'
    """
    lines = _lines(head, 1)
    if not lines:
        return None
    counts = {c: _count_outside_quotes(lines[0], c) for c in SNIFFED_DELIMITERS}
    best = max(SNIFFED_DELIMITERS, key=lambda c: counts[c])  # first of equals wins
    return best if counts[best] > 0 else None


def separator_hint(head: str, used: str) -> str | None:
    """Another delimiter that the first lines of a CSV text look separated by (every
    line has it, and more often than ``used``), for an error message; None otherwise."""
    lines = _lines(head)
    if not lines:
        return None
    best, most = None, sum(line.count(used) for line in lines)
    for c in SNIFFED_DELIMITERS:
        if c == used:
            continue
        counts = [line.count(c) for line in lines]
        if min(counts) >= 1 and sum(counts) > most:
            best, most = c, sum(counts)
    return best


def _shown_delimiter(c: str) -> str:
    return "tab" if c == "\t" else c


def _with_hint(exc: NetworkFileError, shown: str, head: str, used: str) -> NetworkFileError:
    other = separator_hint(head, used)
    if other is None:
        return exc
    what = "tab" if other == "\t" else repr(other)
    return NetworkFileError([Problem(shown, None, "", f"looks {what}-separated: use "
                                     f"--delimiter '{_shown_delimiter(other)}'")]
                            + exc.problems)


def _head(data: bytes, encoding: str | None) -> str:
    return data[:_HEAD].decode(encoding or "utf-8-sig", errors="replace")


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NetworkFileError([Problem(shown, None, "", f"cannot read: {exc.strerror}")]
                               ) from None


def _kind_of(data: bytes) -> str:
    """``excel``, ``xls``, ``parquet`` or ``csv`` by the first bytes."""
    if data.startswith(b"PK\x03\x04"):
        return "excel"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if data.startswith(b"PAR1"):
        return "parquet"
    return "csv"


def _split_mapping(columns: Mapping[str, str] | str | None) -> dict[str, str]:
    if columns is None:
        return {}
    if isinstance(columns, str):
        return parse_columns(columns)
    mapping = {str(k).strip(): str(v).strip() for k, v in columns.items()}
    check_mapping(mapping)
    return mapping


def read_source(spec: str | Path, *, delimiter: str | None = None,
                encoding: str | None = None,
                columns: Mapping[str, str] | str | None = None,
                stdin: bytes | None = None) -> "Network":
    """Read a network from a folder, a graph file, a single commitments file or stdin.

    Parameters
    ----------
    spec : str or Path
        A folder, a file (``.csv``, ``.tsv``/``.tab``, ``.xlsx``, ``.parquet``,
        ``.json``, ``.graphml``, ``.gexf``; another suffix is read by its first bytes,
        as CSV when it is text), or ``"-"`` for standard input.
    delimiter : str, optional
        The CSV delimiter (one character; ``"tab"`` or ``"\\t"`` for a tab). Default:
        sniffed from the header line among ``, ; tab |`` (a tab for .tsv/.tab files).
    encoding : str, optional
        The CSV text's encoding (a Python codec: ``latin-1``, ``cp1252``, ``utf-16``
        ...). Default UTF-8 (a byte-order mark dropped).
    columns : mapping or str, optional
        finflow field -> the file's column (``{"payer": "from"}`` or
        ``"payer=from,payee=to,amount=usd_bn,kind=type"``); an entity field as
        ``entities.equity``. ``kind`` may name one kind for every row (``kind=loan``)
        when the file has no such column.
    stdin : bytes, optional
        The bytes of standard input (default: read ``sys.stdin``), for ``"-"``.

    Returns
    -------
    Network
        Its metadata names the file (``name`` = the file's stem, ``path``).

    Raises
    ------
    NetworkFileError
        Every problem found, ``file:line: field: problem`` (CSV: the real line, header =
        line 1; Excel: ``file: sheet!row N``; Parquet: ``file: row N``).
    FinflowError
        A path that does not exist, a bad option (``--delimiter`` on an Excel file).
    """
    mapping = _split_mapping(columns)
    if delimiter is not None:
        delimiter = parse_delimiter(delimiter)
    if encoding is not None and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = None
    if str(spec) == STDIN:
        data = stdin if stdin is not None else sys.stdin.buffer.read()
        return _read_data(data, STDIN_NAME, _kind_of(data), delimiter, encoding, mapping,
                          {"name": "stdin"}, source=data)
    path = Path(spec)
    if path.is_dir():
        return _read_dir(path, delimiter, encoding, mapping)
    if not path.exists():
        raise FinflowError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    shown = str(path)
    meta = {"name": path.stem, "path": str(path)}
    if suffix in FORMATS_BY_SUFFIX:
        if mapping or delimiter or encoding:
            raise FinflowError(f"{shown}: --columns, --delimiter and --encoding apply to "
                               "tables (CSV, Excel, Parquet), not to a graph file")
        from ..model import Network
        return Network.read(path)
    data = _read_bytes(path, shown)
    if suffix in EXCEL_SUFFIXES:
        kind = "excel"
    elif suffix == ".xls":
        kind = "xls"
    elif suffix in PARQUET_SUFFIXES:
        kind = "parquet"
    elif suffix in TSV_SUFFIXES:
        kind = "csv"
        delimiter = delimiter or "\t"
    elif suffix in CSV_SUFFIXES:
        kind = "csv"
    else:
        kind = _kind_of(data)
    return _read_data(data, shown, kind, delimiter, encoding, mapping, meta, source=data)


def _read_data(data: bytes, shown: str, kind: str, delimiter: str | None,
               encoding: str | None, mapping: dict[str, str], meta: dict[str, Any],
               source: bytes) -> "Network":
    if kind != "csv" and (delimiter is not None or encoding is not None):
        raise FinflowError(f"{shown}: --delimiter and --encoding apply to CSV text, not to "
                           f"an {'Excel' if kind in ('excel', 'xls') else 'Parquet'} file")
    if kind == "xls":
        raise NetworkFileError([Problem(shown, None, "", "is an old Excel .xls workbook: "
                                        "save it as .xlsx (or CSV) and try again")])
    if kind == "excel":
        return _read_excel(source, shown, mapping, meta)
    if kind == "parquet":
        return _read_parquet(source, shown, mapping, meta)
    head = _head(data, encoding)
    used = delimiter or sniff_delimiter(head) or ","
    try:
        frame, lines = read_csv_with_lines(source, shown, delimiter=used, encoding=encoding)
        return tables_to_network(frame, None, columns=mapping, metadata=meta,
                                 commitment_locator=Locator(shown, lines), header_line=1,
                                 decimal_comma=used == ";")
    except NetworkFileError as exc:
        raise _with_hint(exc, shown, head, used) from None


def _read_dir(folder: Path, delimiter: str | None, encoding: str | None,
              mapping: dict[str, str]) -> "Network":
    """A network folder, each CSV's delimiter sniffed unless given."""
    from ..model import Network
    files = {name: folder / name for name in (ENTITIES_FILE, COMMITMENTS_FILE)}
    heads: dict[str, str] = {}
    used: dict[str, str] = {}
    for name, p in files.items():
        heads[name] = ""
        if p.is_file():
            try:
                with p.open("rb") as fh:
                    heads[name] = _head(fh.read(_HEAD), encoding)
            except OSError:
                pass  # read_folder names the file it cannot read
        used[name] = delimiter or sniff_delimiter(heads[name]) or ","
    meta_base = {"path": str(folder)}
    try:
        if not mapping and used[ENTITIES_FILE] == used[COMMITMENTS_FILE] != ";":
            ent, com, meta = read_folder(folder, delimiter=used[COMMITMENTS_FILE],
                                         encoding=encoding)
            return _remember_options(Network(ent, com, dict(meta, **meta_base),
                                             validated=True), used, encoding)
        problems = [Problem(str(p), None, "", "file not found") for p in files.values()
                    if not p.is_file()]
        if problems:
            raise NetworkFileError(problems)
        tables = {}
        for name, p in files.items():
            try:
                tables[name] = read_csv_with_lines(p, str(p), delimiter=used[name],
                                                   encoding=encoding)
            except NetworkFileError as exc:
                problems += exc.problems
        meta: dict[str, Any] = {}
        meta_file = folder / METADATA_FILE
        if meta_file.is_file():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", FinflowWarning)
                try:
                    meta = read_metadata(meta_file, str(meta_file))
                except NetworkFileError as exc:
                    problems += exc.problems
        else:
            caught = []
        if problems:
            raise NetworkFileError(problems)
        (ent_raw, ent_lines), (com_raw, com_lines) = tables[ENTITIES_FILE], \
            tables[COMMITMENTS_FILE]
        net = tables_to_network(
            com_raw, ent_raw, columns=mapping, metadata=dict(meta, **meta_base),
            commitment_locator=Locator(str(files[COMMITMENTS_FILE]), com_lines),
            entity_locator=Locator(str(files[ENTITIES_FILE]), ent_lines), header_line=1,
            decimal_comma=used[COMMITMENTS_FILE] == ";")
        extra = check_metadata_fields(meta, net.source_tables()[0], str(meta_file))
        if extra:
            raise NetworkFileError(extra)
        for w in caught:
            warnings.warn(w.message, stacklevel=2)
        return _remember_options(net, used, encoding)
    except NetworkFileError as exc:
        for name, p in files.items():
            exc = _with_hint(exc, str(p), heads[name], used[name])
        raise exc from None


def _remember_options(net: "Network", used: dict[str, str], encoding: str | None
                      ) -> "Network":
    """``net`` with ``read_options``: how each CSV of its folder was read (file name ->
    ``read_csv_with_lines`` keywords), for checks that re-read them for their lines
    (``finflow validate``)."""
    net.read_options = {name: {"delimiter": d, "encoding": encoding}  # type: ignore[attr-defined]
                        for name, d in used.items()}
    return net


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _sheet_frame(ws: Any, shown: str, sheet: str) -> tuple[pd.DataFrame, list[int]]:
    """A worksheet as a table: the first non-empty row is the header, empty rows are
    skipped; returns the table and each row's sheet row number."""
    header: list[str] | None = None
    records: list[tuple] = []
    rows: list[int] = []
    problems: list[Problem] = []
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if all(_blank(v) for v in values):
            continue
        if header is None:
            header = ["" if _blank(v) else str(v).strip() for v in values]
            while header and header[-1] == "":
                header.pop()
            seen: set[str] = set()
            for c in header:
                if c and c in seen:
                    problems.append(Problem(shown, None, c, "column appears more than once",
                                            where=f"{sheet}!row {r}"))
                seen.add(c)
            continue
        width = len(header)
        extra = [v for i, v in enumerate(values) if (i >= width or header[i] == "")
                 and not _blank(v)]
        if extra:
            problems.append(Problem(shown, None, "", "has a value in a column without a name",
                                    where=f"{sheet}!row {r}"))
            continue
        cells = tuple(values[:width]) + (None,) * max(0, width - len(values))
        records.append(cells)
        rows.append(r)
    if header is None:
        problems.append(Problem(shown, None, "", f"sheet {sheet!r} is empty (a header row is "
                                "needed)"))
    if problems:
        raise NetworkFileError(problems)
    assert header is not None
    keep = [i for i, c in enumerate(header) if c]
    frame = pd.DataFrame([[rec[i] for i in keep] for rec in records],
                         columns=[header[i] for i in keep], dtype=object)
    if not records:
        frame = pd.DataFrame({header[i]: pd.Series([], dtype=object) for i in keep})
    return frame, rows


def _sheet_locator(shown: str, sheet: str, rows: list[int]) -> Locator:
    return Locator(shown, label=lambda i: f"{sheet}!row {rows[i]}")


def _read_excel(data: bytes, shown: str, mapping: dict[str, str], meta: dict[str, Any]
                ) -> "Network":
    """An .xlsx workbook: the ``commitments`` sheet (else the first one) and an optional
    ``entities`` sheet (openpyxl, the reader pandas uses)."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's style warnings
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
            TypeError, EOFError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NetworkFileError([Problem(shown, None, "", f"is not an Excel .xlsx workbook "
                                        f"({why}); save it from Excel as .xlsx, or as CSV")]
                               ) from None
    try:
        names = list(wb.sheetnames)
        lower = {n.strip().lower(): n for n in names}
        com_sheet = lower.get("commitments") or next(
            (n for n in names if n.strip().lower() not in ("entities", "network")), None)
        if com_sheet is None:
            raise NetworkFileError([Problem(shown, None, "", "has no sheet of commitments "
                                            f"(sheets: {', '.join(names)})")])
        ent_sheet = lower.get("entities")
        problems: list[Problem] = []
        frames: dict[str, tuple[pd.DataFrame, list[int]]] = {}
        for sheet in (com_sheet, ent_sheet):
            if sheet is None:
                continue
            try:
                frames[sheet] = _sheet_frame(wb[sheet], shown, sheet)
            except NetworkFileError as exc:
                problems += exc.problems
        if problems:
            raise NetworkFileError(problems)
    finally:
        wb.close()
    com, com_rows = frames[com_sheet]
    ent, ent_rows = frames[ent_sheet] if ent_sheet else (None, [])
    return tables_to_network(
        com, ent, columns=mapping, metadata=meta,
        commitment_locator=_sheet_locator(shown, com_sheet, com_rows),
        entity_locator=_sheet_locator(shown, ent_sheet, ent_rows) if ent_sheet else None,
        header_where=(f"sheet {com_sheet}", f"sheet {ent_sheet}" if ent_sheet else None))


def _read_parquet(data: bytes, shown: str, mapping: dict[str, str], meta: dict[str, Any]
                  ) -> "Network":
    """A Parquet file of commitments (pyarrow through pandas)."""
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow's errors have no common base besides Exception
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NetworkFileError([Problem(shown, None, "", f"is not a Parquet file ({why})")]
                               ) from None
    frame = frame.reset_index(drop=True)
    return tables_to_network(frame, None, columns=mapping, metadata=meta,
                             commitment_locator=Locator(shown))
