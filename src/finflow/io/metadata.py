"""A network's metadata (``network.yaml``, or the graph attributes of a JSON / GraphML /
GEXF file): a bounded, safe YAML reader and the schema every metadata is checked against.

The schema (:data:`METADATA_KEYS`), in the README's table too:

==================  ==========================================================
key                 value
==================  ==========================================================
name, description   text
as_of               a date that exists: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``
currency, unit      text (default USD, billions)
sources             a list; each item a mapping of text/number values (``id``,
                    ``title``, ``publisher``, ``date`` a date, ``url`` http(s)) or
                    a text
lgd                 a mapping kind -> number in [0, 1]
missing_equity      error, skip or zero
debtrank_weights    the name of a numeric entity field (every value a number
                    >= 0), or a mapping entity id -> number >= 0
generator           a mapping (written by ``finflow generate``)
==================  ==========================================================

An unknown key is kept (and written back) but draws a :class:`~finflow.errors.
FinflowWarning`: a misspelt key (``missing_equty``) would otherwise do nothing silently,
while an error would refuse files that carry notes of their own (``license``,
``author``). ``path`` is set by finflow on reading; a ``path`` key is ignored with a warning.

The YAML reader is PyYAML's safe loader (no Python objects) with bounds: at most
:data:`MAX_ALIASES` aliases (``*name``; a "billion laughs" file of nested aliases would
otherwise expand to gigabytes once copied), nesting at most :data:`MAX_DEPTH` levels deep
(10,000 nested lists would otherwise exhaust Python's stack), at most :data:`MAX_BYTES`
bytes, at most :data:`MAX_VALUES` values with the aliases expanded, UTF-8 text, and no
key twice in one mapping.
"""
from __future__ import annotations

import datetime as _dt
import math
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import yaml

from ..errors import FinflowWarning, NetworkFileError, Problem
from .tables import MISSING_TOKENS, normalise_date

__all__ = ["read_metadata", "load_metadata", "check_metadata", "check_metadata_fields",
           "decode_text", "METADATA_KEYS", "MAX_ALIASES", "MAX_DEPTH", "MAX_BYTES"]

MAX_ALIASES = 20
#: the most values a document may hold once its aliases are expanded
MAX_VALUES = 1_000_000
MAX_DEPTH = 32
MAX_BYTES = 16 * 2**20

MISSING_EQUITY_RULES = ("error", "skip", "zero")  # as finflow.analysis.scenario

#: key -> what its value must be (for messages and the README)
METADATA_KEYS: dict[str, str] = {
    "name": "text",
    "description": "text",
    "as_of": "a date (YYYY, YYYY-MM or YYYY-MM-DD)",
    "currency": "text",
    "unit": "text",
    "sources": "a list of sources",
    "lgd": "a mapping kind -> number in [0, 1]",
    "missing_equity": "error, skip or zero",
    "debtrank_weights": "an entity field's name or a mapping entity id -> number >= 0",
    "generator": "a mapping",
}

#: line of a path of keys/indices in the document (None: unknown)
Lines = Callable[[tuple], "int | None"]


def decode_text(data: bytes, shown: str) -> str:
    """UTF-8 text of a file's bytes (a UTF-8 byte-order mark is dropped); a clear
    :class:`NetworkFileError` naming the line otherwise."""
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise NetworkFileError([Problem(shown, 1, "", f"is {name} text; finflow reads "
                                            "UTF-8 (save the file as UTF-8)")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NetworkFileError([Problem(shown, line, "", f"is not UTF-8 text (byte "
                                        f"0x{data[exc.start]:02x}); finflow reads UTF-8: save "
                                        "the file as UTF-8")]) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise NetworkFileError([Problem(shown, text.count("\n", 0, nul) + 1, "",
                                        "contains a NUL byte: is it a binary file?")])
    return text


class _Refused(Exception):
    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader with a bound on aliases and on nesting depth."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _Refused(mark.line + 1, f"has more than {MAX_ALIASES} aliases (*name); "
                                              "write the values out")
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(mark.line + 1, f"nests more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node):  # type: ignore[override]
        # 2025-02-30 matches YAML's timestamp pattern but is no date: keep it as text so
        # the schema can say so (PyYAML would raise a bare ValueError)
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp",
                               _BoundedLoader.construct_yaml_timestamp)


def _plain(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values the node holds with every alias written out."""
    key = id(node)
    if key not in memo:
        memo[key] = 1  # a node inside itself (a recursive alias) counts once
        if isinstance(node, yaml.MappingNode):
            memo[key] = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo)
                                for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            memo[key] = 1 + sum(_expanded_size(v, memo) for v in node.value)
    return memo[key]


def _node_lines(node: yaml.Node, path: tuple, out: dict[tuple, int],
                dups: list[tuple[tuple, int, int]], seen_nodes: set[int] | None = None
                ) -> None:
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:  # an alias: its lines were noted where it was defined
        return
    seen_nodes.add(id(node))
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            line = k.start_mark.line + 1
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen and k.tag != "tag:yaml.org,2002:merge":
                    dups.append((path + (k.value,), line, seen[k.value]))
                seen.setdefault(k.value, line)
                out.setdefault(path + (k.value,), line)
                _node_lines(v, path + (k.value,), out, dups, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _node_lines(v, path + (i,), out, dups, seen_nodes)


def load_metadata(path: Path, shown: str) -> tuple[dict[str, Any], Lines]:
    """Parse ``network.yaml`` safely into a dict (dates as ISO text) and a function
    giving the line of a key path; raises :class:`NetworkFileError` when the file cannot
    be read as bounded YAML. The schema is not checked here (see :func:`check_metadata`)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise NetworkFileError([Problem(shown, None, "", f"is {size:,} bytes; network.yaml "
                                            f"may hold at most {MAX_BYTES:,}")])
        data = path.read_bytes()
    except OSError as exc:
        raise NetworkFileError([Problem(shown, None, "", f"cannot read: {exc.strerror}")]
                               ) from None
    text = decode_text(data, shown)
    loader = None
    try:
        loader = _BoundedLoader(text)  # its reader already refuses control characters
        node = loader.get_single_node()
        if node is None:
            return {}, lambda p: None
        if _expanded_size(node, {}) > MAX_VALUES:
            raise _Refused(None, f"holds more than {MAX_VALUES:,} values once its aliases "
                                 "are expanded")
        lines: dict[tuple, int] = {}
        dups: list[tuple[tuple, int, int]] = []
        _node_lines(node, (), lines, dups)
        if dups:
            raise NetworkFileError([Problem(shown, line, _path_text(p), f"appears twice "
                                            f"(first on line {first})")
                                    for p, line, first in dups])
        meta = loader.construct_document(node)
    except _Refused as exc:
        raise NetworkFileError([Problem(shown, exc.line, "", exc.message)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = None if mark is None else mark.line + 1
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NetworkFileError([Problem(shown, line, "", f"is not valid YAML: {what}")]
                               ) from None
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        raise NetworkFileError([Problem(shown, None, "", f"cannot be read: "
                                        f"{type(exc).__name__}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if meta is None:
        return {}, lambda p: None
    if not isinstance(meta, dict):
        raise NetworkFileError([Problem(shown, 1, "", "must be a mapping of keys to values "
                                        "(name: ..., as_of: ...)")])

    def line_of(p: tuple) -> int | None:
        while p:
            if p in lines:
                return lines[p]
            p = p[:-1]
        return lines.get(())

    try:
        plain = _plain(meta)
    except RecursionError:
        raise NetworkFileError([Problem(shown, None, "", "has a value that contains itself "
                                        "(an alias inside its own anchor)")]) from None
    return plain, line_of


def _path_text(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    return repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


class _Checker:
    def __init__(self, file: str, lines: Lines | None):
        self.file = file
        self.lines = lines
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def bad(self, path: tuple, message: str) -> None:
        field = _path_text(path)
        if self.lines is not None:
            self.problems.append(Problem(self.file, self.lines(path), field, message))
        else:
            self.problems.append(Problem(self.file, None, field, message, where="metadata"))

    def warn(self, path: tuple, message: str) -> None:
        where = self.file
        if self.lines is not None and self.lines(path) is not None:
            where += f":{self.lines(path)}"
        elif self.lines is None:
            where += ": metadata"
        self.warnings.append(f"{where}: {_path_text(path)}: {message}")


def check_metadata(meta: Mapping[str, Any], file: str, lines: Lines | None = None
                   ) -> tuple[dict[str, Any], list[Problem], list[str]]:
    """Check metadata against the schema (:data:`METADATA_KEYS`).

    Returns the metadata with text values normalised (a number given as a name becomes
    text, dates become ISO text), the problems (file, line or ``metadata``, key) and the
    warnings (unknown keys). Fields of the entities (``debtrank_weights``) are checked
    by :func:`check_metadata_fields` once the entities are read.
    """
    c = _Checker(file, lines)
    out: dict[str, Any] = {}
    if not isinstance(meta, Mapping):
        c.bad((), f"the metadata must be a mapping of keys to values, not {_kind(meta)}")
        return {}, c.problems, c.warnings
    for key, value in meta.items():
        key = str(key)
        p = (key,)
        if key == "path":
            c.warn(p, "is set by finflow to where the network was read from; this value is "
                      "ignored")
            continue
        if key not in METADATA_KEYS:
            c.warn(p, f"unknown key, kept but not used (known: {', '.join(METADATA_KEYS)})")
            out[key] = value
            continue
        out[key] = value
        if value is None:
            continue
        if key in ("name", "description", "currency", "unit"):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[key] = str(value)
            elif not isinstance(value, str):
                c.bad(p, f"must be text, not {_kind(value)}")
        elif key == "as_of":
            out[key] = _date(c, p, value)
        elif key == "sources":
            _sources(c, p, value)
        elif key == "lgd":
            out[key] = _lgd(c, p, value)
        elif key == "missing_equity":
            rule = str(value).strip().lower() if isinstance(value, str) else None
            if rule not in MISSING_EQUITY_RULES:
                c.bad(p, f"must be one of {', '.join(MISSING_EQUITY_RULES)}, not {_kind(value)}")
            else:
                out[key] = rule
        elif key == "debtrank_weights":
            if isinstance(value, Mapping):
                for k, w in value.items():
                    if not _is_number(w) or w < 0:
                        c.bad(p + (str(k),), f"weight must be a number >= 0, not {_kind(w)}")
            elif not isinstance(value, str) or not value.strip():
                c.bad(p, f"must name an entity field or map entity ids to weights, not "
                         f"{_kind(value)}")
        elif key == "generator":
            if not isinstance(value, Mapping):
                c.bad(p, f"must be a mapping, not {_kind(value)}")
    return out, c.problems, c.warnings


def _date(c: _Checker, p: tuple, value: Any) -> Any:
    if isinstance(value, (list, dict, bool)):
        c.bad(p, f"must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not {_kind(value)}")
        return value
    try:
        return normalise_date(value)
    except ValueError as exc:
        c.bad(p, str(exc))
        return value


def _sources(c: _Checker, p: tuple, value: Any) -> None:
    if not isinstance(value, list):
        c.bad(p, f"must be a list of sources (each with id, title, publisher, date, url), "
                 f"not {_kind(value)}")
        return
    for i, src in enumerate(value):
        q = p + (i,)
        if isinstance(src, str):
            continue
        if not isinstance(src, Mapping):
            c.bad(q, f"a source must be a mapping (id, title, publisher, date, url) or a "
                     f"text, not {_kind(src)}")
            continue
        for k, v in src.items():
            r = q + (str(k),)
            if not (_is_scalar(v) or isinstance(v, list) and all(map(_is_scalar, v))):
                c.bad(r, f"must be text or a number, not {_kind(v)}")
            elif isinstance(v, float) and not math.isfinite(v):
                c.bad(r, "must be text or a finite number")
            elif k == "date" and v is not None:
                _date(c, r, v)
            elif k == "url" and v is not None:
                url = str(v).strip()
                if not url.lower().startswith(("http://", "https://")):
                    # kept as text (the view and the report link only http(s) addresses),
                    # but said, since it is most likely a mistake or worse
                    c.warn(r, f"{url[:80]!r} is not an http:// or https:// address; it is "
                              "shown as text, never as a link")


def _lgd(c: _Checker, p: tuple, value: Any) -> Any:
    from ..kinds import KINDS
    if not isinstance(value, Mapping):
        c.bad(p, f"must map kinds to losses given default in [0, 1] (loan: 1.0), not "
                 f"{_kind(value)}")
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        name = str(k).strip().lower()
        q = p + (str(k),)
        if name not in KINDS:
            c.bad(q, f"unknown kind {str(k)!r}; choose from {', '.join(KINDS)}")
        elif not _is_number(v):
            c.bad(q, f"must be a number in [0, 1], not {_kind(v)}")
        elif not 0.0 <= float(v) <= 1.0:
            c.bad(q, f"{v:g} is outside [0, 1] (a loss given default is a share of the claim)")
        out[name] = v
    return out


def check_metadata_fields(meta: Mapping[str, Any], entities: pd.DataFrame, file: str,
                          lines: Lines | None = None) -> list[Problem]:
    """Problems of metadata that names entity fields or ids (``debtrank_weights``)."""
    c = _Checker(file, lines)
    w = meta.get("debtrank_weights")
    p = ("debtrank_weights",)
    if isinstance(w, str) and w.strip():
        if w not in entities.columns or w == "id":
            numeric = [col for col in entities.columns if col != "id"
                       and _numeric_problem(entities[col]) is None]
            c.bad(p, f"the entities have no field {w!r}" + (
                f" (numeric fields: {', '.join(numeric)})" if numeric else ""))
        else:
            msg = _numeric_problem(entities[w])
            if msg:
                c.bad(p, f"the field {w!r} {msg}; weights need numbers >= 0")
    elif isinstance(w, Mapping):
        known = set(entities["id"])
        for k in w:
            if str(k) not in known:
                c.bad(p + (str(k),), f"unknown entity {str(k)!r}")
    return c.problems


def _numeric_problem(col: pd.Series) -> str | None:
    """Why a column is not a nonnegative numeric field (None when it is)."""
    if pd.api.types.is_bool_dtype(col):
        return "holds yes/no values"
    if pd.api.types.is_numeric_dtype(col):
        v = col.to_numpy(dtype=float)
        return "has negative values" if np.any(v < 0) else None
    for x in col:
        if x is None or isinstance(x, float) and math.isnan(x):
            continue
        text = str(x).strip()
        if text.lower() in MISSING_TOKENS:
            continue
        try:
            f = float(text)
        except ValueError:
            return f"holds text ({text[:40]!r})"
        if not math.isfinite(f) or f < 0:
            return f"has the value {text[:40]!r}"
    return None


def read_metadata(path: Path, shown: str) -> dict[str, Any]:
    """Read and check ``network.yaml`` (dates as ISO text); raises
    :class:`NetworkFileError` listing every problem, and warns
    (:class:`~finflow.errors.FinflowWarning`) of unknown keys."""
    raw, lines = load_metadata(path, shown)
    meta, problems, warns = check_metadata(raw, shown, lines)
    if problems:
        raise NetworkFileError(problems)
    emit_warnings(warns)
    return meta


def emit_warnings(messages: list[str]) -> None:
    for m in messages:
        warnings.warn(FinflowWarning(m), stacklevel=3)
