"""The folder format: ``entities.csv``, ``commitments.csv`` and an optional ``network.yaml``."""
from __future__ import annotations

import csv
import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import FinflowWarning, NetworkFileError, Problem
from ..schema import COMMITMENT_COLUMNS, ENTITY_COLUMNS
from .metadata import (
    check_metadata,
    check_metadata_fields,
    decode_text,
    load_metadata,
    read_metadata,
)
from .parquet import PARQUET_SUFFIX, read_parquet_table, write_parquet_table
from .tables import Locator, coerce_tables

# a cell may be long (a note quoting a filing): the csv module's default limit of 128 KiB
# would stop the line count with an error that pandas does not raise
csv.field_size_limit(2**30)

__all__ = ["read_folder", "write_folder", "read_csv_with_lines", "read_metadata",
           "table_files", "ENTITIES_FILE", "COMMITMENTS_FILE", "METADATA_FILE", "TABLE_FORMATS"]

ENTITIES_FILE = "entities.csv"
COMMITMENTS_FILE = "commitments.csv"
METADATA_FILE = "network.yaml"
#: columns of few distinct values (vocabularies, dates, flags), read from Parquet as
#: codes into distinct texts
_FEW_VALUES = tuple(c for cols in (ENTITY_COLUMNS, COMMITMENT_COLUMNS)
                    for c, t in cols.items() if t not in ("id", "ref", "text", "amount",
                                                          "signed"))
#: how a network folder's tables may be stored
TABLE_FORMATS = ("csv", "parquet")


def read_csv_with_lines(source: Path | bytes, shown: str, *, delimiter: str = ",",
                        encoding: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV as text cells, with the 1-based file line where each record starts.

    Parameters
    ----------
    source : pathlib.Path or bytes
        The file, or its bytes (standard input).
    shown : str
        The file name used in error messages.
    delimiter : str, default ","
        The cell separator (one character).
    encoding : str, optional
        The text encoding; ``None`` reads UTF-8 (a byte-order mark dropped, UTF-16/32
        refused with a clear message).

    Returns
    -------
    (frame, lines)
        ``frame`` holds every cell as text (header names stripped, no row skipped but
        blank lines); ``lines[i]`` is the file line where data row ``i`` starts.

    Notes
    -----
    The fast path parses with pyarrow's multi-threaded CSV reader and finds line
    numbers with vectorised byte counts; it takes only files it reads exactly as the
    csv module does (quotes only around whole cells, every row as wide as the header).
    Any other file takes the exact path (pandas, then the csv module for line numbers and
    for the messages), so every problem is reported the same way whichever path runs.
    """
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in "\"\r\n":
        raise NetworkFileError([Problem(shown, None, "", f"delimiter {delimiter!r}: use one "
                                        "character such as , ; | or a tab")])
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise NetworkFileError([Problem(shown, None, "", f"cannot read: {exc.strerror}")]
                                   ) from None
    fast = _read_fast(data, shown, delimiter, encoding)
    if fast is not None:
        return fast
    return _read_exact(data, shown, delimiter, encoding)


_UTF8 = frozenset({"utf-8", "utf8", "utf_8", "utf-8-sig", "utf_8_sig", "u8"})


def _decode(data: bytes, shown: str, encoding: str | None) -> str:
    """Text of a file's bytes: :func:`finflow.io.metadata.decode_text` (UTF-8) when no
    ``encoding`` is given, else that encoding (a byte-order mark dropped)."""
    if encoding is None or encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return decode_text(data, shown)
    try:
        text = data.decode(encoding)
    except LookupError:
        raise NetworkFileError([Problem(shown, None, "", f"unknown encoding {encoding!r} "
                                        "(try utf-8, latin-1, cp1252 or utf-16)")]) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NetworkFileError([Problem(shown, line, "", f"is not {encoding} text (byte "
                                        f"0x{data[exc.start]:02x})")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    if nul >= 0:
        raise NetworkFileError([Problem(shown, text.count("\n", 0, nul) + 1, "",
                                        "contains a NUL byte: is it a binary file?")])
    return text


def _read_fast(data: bytes, shown: str, delimiter: str, encoding: str | None
               ) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The fast path of :func:`read_csv_with_lines`, or ``None`` when the file is not one
    it reads exactly (the exact path then reads it, and reports its problems)."""
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n' \
            or delimiter.isalnum():
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    if encoding is not None and encoding.lower() not in _UTF8:
        try:
            data = _decode(data, shown, encoding).encode("utf-8")
        except NetworkFileError:
            return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff":
        return None
    if b"\x00" in data:
        return None
    # not ASCII: pyarrow checks the UTF-8 as it converts (a bad byte sends the file to
    # the exact path, which names its line); decoding here would cost up to 4 bytes a
    # character
    check_utf8 = not data.isascii()
    if b"\r" in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        data = _line_endings(text, shown).encode("utf-8")
        del text
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    if b'"' in first or not first.strip():
        return None
    try:
        header = [c.strip() for c in first.decode("utf-8").split(delimiter)]
    except UnicodeDecodeError:
        return None
    width = len(header)
    if width < 2 or len(set(header)) < width:
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    qpos = np.flatnonzero(buf == 34) if b'"' in data else None
    if qpos is not None and not _quotes_regular(buf, qpos, ord(delimiter)):
        return None
    nl = None
    quoted_newline = False
    if qpos is not None:
        nl = np.flatnonzero(buf == 10)
        inside = np.searchsorted(qpos, nl) % 2 == 1
        quoted_newline = bool(inside.any())
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                             double_quote=True, escape_char=False,
                                             newlines_in_values=quoted_newline,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.large_string() for c in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=check_utf8))
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        return None
    n = table.num_rows
    n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if n_lines == n + 1:
        lines = np.arange(2, n + 2)
    else:
        if nl is None:
            nl = np.flatnonzero(buf == 10)
            idx = np.arange(len(nl))
        else:
            idx = np.flatnonzero(~inside)
        sep = nl[idx]
        starts = np.concatenate([[0], sep + 1])
        ends = np.concatenate([sep, [len(data)]])
        start_lines = np.concatenate([[1], idx + 2])
        lines = start_lines[ends > starts][1:]
        if len(lines) != n:  # never trust a disagreement: read it the exact way
            return None
    del buf, nl, qpos
    empty = [names[i] for i, h in enumerate(header) if h == ""]
    if empty:  # an unnamed column: kept only if it is empty (a trailing comma)
        import pyarrow.compute as pc
        for c in empty:
            if pc.any(pc.not_equal(table[c], "")).as_py():
                return None
        keep = [i for i, h in enumerate(header) if h != ""]
        table = table.select(keep)
        header = [header[i] for i in keep]
    frame = table.rename_columns(header).to_pandas(
        types_mapper=lambda t: pd.StringDtype("pyarrow", na_value=np.nan)
        if t == pa.large_string() else None)
    return frame, lines


def _quotes_regular(buf: np.ndarray, qpos: np.ndarray, delim: int) -> bool:
    """Whether every quote of the file opens a quoted cell (at the start of a cell),
    closes one (at its end), or is one of a doubled pair inside one: then pyarrow,
    pandas and the csv module split the file into the same cells."""
    if len(qpos) % 2:
        return False
    opening = qpos[0::2]
    closing = qpos[1::2]
    before = np.where(opening > 0, buf[np.maximum(opening - 1, 0)], 10)
    ok_open = (before == delim) | (before == 10)
    # an opening quote right after a closing one is the second quote of a doubled pair
    ok_open[1:] |= opening[1:] == closing[:-1] + 1
    after_pos = closing + 1
    after = np.where(after_pos < len(buf), buf[np.minimum(after_pos, len(buf) - 1)], 10)
    ok_close = (after == delim) | (after == 10)
    ok_close[:-1] |= closing[:-1] + 1 == opening[1:]
    return bool(ok_open.all() and ok_close.all())


def _read_exact(data: bytes, shown: str, delimiter: str, encoding: str | None
                ) -> tuple[pd.DataFrame, np.ndarray]:
    """The exact path of :func:`read_csv_with_lines`: pandas' parse; when the file has
    quoted newlines or blank lines (so that record i is not on line i + 2) the lines are
    recounted with the csv module."""
    text = _line_endings(_decode(data, shown, encoding), shown)
    if not text.strip():
        raise NetworkFileError([Problem(shown, None, "", "is empty (a header line is needed)")])
    try:
        # header=None: a row with more cells than the header is an error (pandas would
        # otherwise take the first column as an index and shift every cell silently)
        raw = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                          skip_blank_lines=True, skipinitialspace=False, sep=delimiter)
    except pd.errors.ParserError:
        raise NetworkFileError(_too_many_cells(text, shown, delimiter)) from None
    except (ValueError, csv.Error, pd.errors.EmptyDataError) as exc:
        raise NetworkFileError([Problem(shown, None, "", f"is not valid CSV: {exc}")]) from None
    header = [str(c).strip() for c in raw.iloc[0].tolist()]
    seen: set[str] = set()
    dups = [c for c in header if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
    if dups:
        raise NetworkFileError([Problem(shown, 1, c, "column appears more than once")
                                for c in dict.fromkeys(dups)])
    frame = raw.iloc[1:].reset_index(drop=True)
    # pandas fills the cells absent from a row cut short with "", as if they were empty
    width = len(header)
    short = np.zeros(len(frame), dtype=bool)
    cells = None
    if not _all_rows_full(text, width, len(raw), delimiter):
        cells = _cells_per_record(text, delimiter)
        if len(cells) == len(raw):
            short = cells[1:] < width
    frame.columns = header
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if n_lines == len(frame) + 1:
        lines = np.arange(2, len(frame) + 2)
    else:
        lines_list: list[int] = []
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        prev = 0
        header_seen = False
        try:
            for row in reader:
                start = prev + 1
                prev = reader.line_num
                if not row or all(not c.strip() for c in row) and len(row) <= 1:
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                lines_list.append(start)
        except csv.Error:  # pandas read it; the line numbers are then only approximate
            pass
        lines = np.asarray(lines_list[: len(frame)], dtype=int)
        if len(lines) < len(frame):  # should not happen; never crash on line numbers
            lines = np.concatenate([lines, np.arange(len(lines) + 2, len(frame) + 2)])
    if short.any() and cells is not None:
        counts = cells[1:]
        raise NetworkFileError([
            Problem(shown, int(lines[i]), "", f"has {int(counts[i])} cell"
                    f"{'s' if counts[i] != 1 else ''} but the header has {width} (a row cut "
                    "short? write every cell, empty ones too)")
            for i in np.flatnonzero(short)])
    empty = [c for c in frame.columns if c == ""]
    if empty:  # an unnamed column: keep it only if it is empty (a trailing comma)
        bad = (frame.loc[:, [c == "" for c in frame.columns]] != "").any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise NetworkFileError([Problem(shown, int(lines[i]), "",
                                            "has a value in a column without a name")])
        frame = frame.loc[:, [c != "" for c in frame.columns]]
    return frame, lines


_CHUNK = 1 << 22


def _all_rows_full(text: str, width: int, records: int, delimiter: str = ",") -> bool:
    """Whether the separating commas number exactly (width - 1) per record: pandas
    already refuses a record with too many cells, so then none has too few. Costs one
    pass over the bytes (a file with quotes: also a search per quoted field)."""
    sep = delimiter.encode("utf-8")
    if len(sep) != 1:
        return False
    buf = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    is_comma = buf == sep[0]
    commas = int(np.count_nonzero(is_comma))
    qpos = np.flatnonzero(buf == 34)
    if len(qpos):
        if len(qpos) % 2:
            return False
        cpos = np.flatnonzero(is_comma)
        commas -= int((np.searchsorted(cpos, qpos[1::2]) - np.searchsorted(cpos, qpos[0::2])
                       ).sum())
    return commas == (width - 1) * records


def _cells_per_record(text: str, delimiter: str = ",") -> np.ndarray:
    """Number of cells of each non-blank CSV record, vectorised over the UTF-8 bytes
    (commas, quotes and newlines are ASCII and never part of a multibyte character).

    A comma or newline is a separator when an even number of quotes precede it (an
    escaped quote ``""`` counts twice). Works in chunks so memory stays small; about a
    tenth of the time pandas takes to parse the same file.
    """
    sep = delimiter.encode("utf-8")
    if len(sep) != 1:  # a delimiter of several bytes: count with the csv module
        counts = [len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)
                  if r and not (len(r) == 1 and not r[0].strip())]
        return np.asarray(counts, dtype=np.int64)
    buf = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    ends_c: list[np.ndarray] = []
    ends_s: list[np.ndarray] = []
    quotes = commas = solid = 0
    for lo in range(0, len(buf), _CHUNK):
        b = buf[lo:lo + _CHUNK]
        q = np.cumsum(b == 34, dtype=np.int64) + quotes
        outside = (q - (b == 34)) % 2 == 0
        c = np.cumsum((b == sep[0]) & outside, dtype=np.int64) + commas
        nonblank = (b != 32) & (b != 9) & (b != 10) & (b != 13)
        sld = np.cumsum(nonblank, dtype=np.int64) + solid
        nl = np.flatnonzero((b == 10) & outside)
        ends_c.append(c[nl])
        ends_s.append(sld[nl])
        quotes, commas, solid = int(q[-1]), int(c[-1]), int(sld[-1])
    ends_c.append(np.array([commas]))
    ends_s.append(np.array([solid]))
    cc = np.diff(np.concatenate([[0], *ends_c]))
    ss = np.diff(np.concatenate([[0], *ends_s]))
    return cc[ss > 0] + 1


def _line_endings(text: str, shown: str) -> str:
    """Text with LF line endings: CRLF (Windows) and CR-only (old Mac) files are read
    as such; a carriage return left in a file that has LF endings (a bare CR inside a
    cell) is an error naming its line, since a CSV reader would split the row there."""
    if "\r" not in text:
        return text
    text = text.replace("\r\n", "\n")
    if "\r" not in text:
        return text
    if "\n" not in text:
        return text.replace("\r", "\n")
    at = text.index("\r")
    raise NetworkFileError([Problem(shown, text.count("\n", 0, at) + 1, "",
                                    "has a carriage return (CR) inside a line; remove it (the "
                                    "file mixes line endings)")])


def _too_many_cells(text: str, shown: str, delimiter: str = ",") -> list[Problem]:
    """Every record with more cells than the header, with the line where it starts."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    problems: list[Problem] = []
    width = None
    prev = 0
    try:
        for row in reader:
            start = prev + 1
            prev = reader.line_num
            if not row:
                continue
            if width is None:
                width = len(row)
                continue
            if len(row) > width:
                problems.append(Problem(shown, start, "", f"has {len(row)} cells but the header "
                                        f"has {width} (quote a field that contains a comma)"))
    except csv.Error as exc:
        problems.append(Problem(shown, reader.line_num, "", f"is not valid CSV: {exc}"))
    return problems or [Problem(shown, None, "", "is not valid CSV")]


def table_files(folder: Path) -> tuple[list[Path], list[Problem]]:
    """The (entities, commitments) files of a network folder: each table is a CSV file
    or a Parquet file (``entities.parquet``, ``commitments.parquet``); a table with
    neither, or with both (which one would be the network?), is a problem."""
    files: list[Path] = []
    problems: list[Problem] = []
    for name, what in ((ENTITIES_FILE, "entities"), (COMMITMENTS_FILE, "commitments")):
        csv_file = folder / name
        pq_file = csv_file.with_suffix(PARQUET_SUFFIX)
        has_csv, has_pq = csv_file.is_file(), pq_file.is_file()
        if has_csv and has_pq:
            problems.append(Problem(str(csv_file), None, "", f"and {pq_file} both hold the "
                                    f"{what} table: keep one of them (the folder is "
                                    "ambiguous)"))
        elif not has_csv and not has_pq:
            problems.append(Problem(str(csv_file), None, "", "file not found"))
        files.append(pq_file if has_pq else csv_file)
    return files, problems


def read_folder(path: str | Path, *, delimiter: str = ",", encoding: str | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read and validate a network folder; returns (entities, commitments, metadata).

    ``delimiter`` and ``encoding`` are those of the CSV files (see
    :func:`read_csv_with_lines`).
    """
    folder = Path(path)
    files, problems = table_files(folder)
    if problems:
        raise NetworkFileError(problems)
    ent_file, com_file = str(files[0]), str(files[1])
    tables: list[tuple[pd.DataFrame, np.ndarray | None]] = []
    for file in files:
        try:
            if file.suffix == PARQUET_SUFFIX:
                tables.append((read_parquet_table(file, str(file), _FEW_VALUES), None))
            else:
                tables.append(read_csv_with_lines(file, str(file), delimiter=delimiter,
                                                  encoding=encoding))
        except NetworkFileError as exc:
            problems += exc.problems
    meta: dict[str, Any] = {}
    lines = None
    warns: list[str] = []
    meta_file = str(folder / METADATA_FILE)
    if (folder / METADATA_FILE).is_file():
        try:
            raw, lines = load_metadata(folder / METADATA_FILE, meta_file)
            meta, meta_problems, warns = check_metadata(raw, meta_file, lines)
            problems += meta_problems
        except NetworkFileError as exc:
            problems += exc.problems
    if len(tables) < 2:
        raise NetworkFileError(problems)
    (ent_raw, ent_lines), (com_raw, com_lines) = tables
    del tables
    try:
        entities, commitments = coerce_tables(
            ent_raw, com_raw, Locator(ent_file, ent_lines), Locator(com_file, com_lines))
    except NetworkFileError as exc:
        raise NetworkFileError(exc.problems + problems) from None
    problems += check_metadata_fields(meta, entities, meta_file, lines)
    if problems:
        raise NetworkFileError(problems)
    for w in warns:
        warnings.warn(FinflowWarning(w), stacklevel=2)
    return entities, commitments, meta


def _cell_frame(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for col, typ in columns.items():
        if col not in out.columns:
            continue
        if typ == "bool":
            out[col] = out[col].map(lambda v: "true" if bool(v) else "false")
        elif typ in ("amount", "signed"):
            out[col] = out[col].map(_num_text)
    ordered = [c for c in columns if c in out.columns] + [c for c in out.columns if c not in columns]
    return out[ordered]


def _num_text(v: float) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


def write_folder(entities: pd.DataFrame, commitments: pd.DataFrame, metadata: dict[str, Any],
                 path: str | Path, overwrite: bool = False, tables: str = "csv") -> Path:
    """Write the folder format. Existing files are kept unless ``overwrite`` is true.

    Files go through :class:`finflow.io.output.OutputFolder` (atomic, never through a
    symbolic link, never outside the folder). They are data files that finflow reads
    back, so their cells are written exactly (no spreadsheet neutralising).
    ``tables`` is ``"csv"`` (``entities.csv``, ``commitments.csv``) or ``"parquet"``
    (``entities.parquet``, ``commitments.parquet``); the other format's copy of a table
    is removed when ``overwrite`` is true (a folder holding both is ambiguous), and
    refused otherwise.
    """
    from ..errors import FinflowError
    from .output import OutputFolder
    if tables not in TABLE_FORMATS:
        raise FinflowError(f"unknown table format {tables!r}; choose from "
                           f"{', '.join(TABLE_FORMATS)}")
    folder = Path(path)
    suffix = ".csv" if tables == "csv" else PARQUET_SUFFIX
    other = PARQUET_SUFFIX if tables == "csv" else ".csv"
    table_names = [Path(n).with_suffix(suffix).name for n in (ENTITIES_FILE, COMMITMENTS_FILE)]
    others = [Path(n).with_suffix(other).name for n in (ENTITIES_FILE, COMMITMENTS_FILE)]
    names = list(table_names)
    meta = {k: v for k, v in metadata.items() if k != "path"}
    if meta:
        names.append(METADATA_FILE)
    if not overwrite:
        existing = [str(folder / n) for n in names + others if os.path.lexists(folder / n)]
        if existing:
            raise FinflowError(f"will not overwrite {', '.join(existing)} (pass overwrite=True)")
    out = OutputFolder(folder, force=overwrite, writer="network", option="-o",
                       manifest=False)
    if tables == "csv":
        out.write_csv(ENTITIES_FILE, _cell_frame(entities, ENTITY_COLUMNS), raw=True)
        out.write_csv(COMMITMENTS_FILE, _cell_frame(commitments, COMMITMENT_COLUMNS), raw=True)
    else:
        for name, frame, columns in ((table_names[0], entities, ENTITY_COLUMNS),
                                     (table_names[1], commitments, COMMITMENT_COLUMNS)):
            with out.open(name, binary=True) as handle:
                write_parquet_table(frame, columns, handle)
    for name in others:  # overwrite: the other format's copy would make the folder ambiguous
        stale = folder / name
        if os.path.isfile(stale) and not os.path.islink(stale):
            stale.unlink()
    if meta:
        out.write_text(METADATA_FILE, yaml.safe_dump(meta, sort_keys=False,
                                                     allow_unicode=True))
    out.finish()
    return folder
