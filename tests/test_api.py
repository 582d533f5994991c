"""The public API (issue 19, "A tidy public API"): ``finflow.__all__`` is exactly the lazy
table, nothing private leaks, every result class an analysis returns is exported, every
public callable documents each of its parameters itself (numpydoc ``Parameters``, no
"as X"), docs/api.md is what scripts/gen_api.py generates, and ``import finflow`` loads
neither pandas nor networkx."""
from __future__ import annotations

import importlib.util
import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import finflow
from finflow.results import Result

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("gen_api", ROOT / "scripts" / "gen_api.py")
gen_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_api)

PUBLIC = [n for n in finflow.__all__ if n != "__version__"]
CALLABLES = [n for n in PUBLIC if callable(getattr(finflow, n))]


def test_all_is_the_lazy_table_and_every_name_resolves():
    assert finflow.__all__ == ["__version__", *finflow._LAZY]
    assert len(set(finflow.__all__)) == len(finflow.__all__)
    for name, module in finflow._LAZY.items():
        obj = getattr(finflow, name)
        # the table names the module that defines it (so the lead's one-line additions
        # point at the real home, not at a re-export)
        assert getattr(sys.modules[module], name) is obj
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__ == module, name


def test_nothing_private_or_stray_is_public():
    assert "annotations" not in dir(finflow) and not hasattr(finflow, "annotations")
    listed = set(dir(finflow))
    assert listed == {"__version__", *finflow._LAZY, *finflow._SUBMODULES}
    # after a plain import the module's own namespace holds only dunders, the lazy
    # machinery (underscored) and names already resolved from the table
    code = ("import finflow; print(sorted(n for n in vars(finflow) if not n.startswith('_')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    with pytest.raises(AttributeError):
        finflow.no_such_name  # noqa: B018


def test_submodules_are_reachable_after_a_plain_import():
    # the README writes finflow.report.build_report; before issue 19 it raised
    # AttributeError unless finflow.report had been imported
    code = "import finflow; print(finflow.report.build_report.__name__, finflow.io.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["build_report", "finflow.io"]


def test_function_names_shadowing_submodules_stay_functions():
    # finflow.generate and finflow.view are functions although modules of those names
    # exist; importing the modules must not rebind the package attributes
    import finflow.generate as _g  # noqa: F401
    import finflow.view as _v  # noqa: F401
    assert inspect.isfunction(finflow.generate) and inspect.isfunction(finflow.view)


def test_import_finflow_loads_no_heavy_library():
    code = ("import sys, finflow; heavy = ['pandas', 'numpy', 'networkx', 'scipy', 'pyvis', "
            "'ortools']; print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def _returned_classes() -> set[type]:
    found: set[type] = set()
    for name in CALLABLES:
        obj = getattr(finflow, name)
        if inspect.isclass(obj):
            continue
        # a module may import Network for its annotations only (TYPE_CHECKING, to keep
        # the import light or free of a cycle): resolve such names as finflow.model's
        namespace = {**vars(finflow.model), **vars(sys.modules[obj.__module__])}
        hints = typing.get_type_hints(obj, namespace)
        ret = hints.get("return")
        stack = [ret]
        while stack:
            t = stack.pop()
            if inspect.isclass(t) and t.__module__.startswith("finflow"):
                found.add(t)
            stack.extend(typing.get_args(t))
    return found


def test_every_result_class_a_user_receives_is_exported():
    exported = {getattr(finflow, n) for n in PUBLIC if inspect.isclass(getattr(finflow, n))}
    returned = _returned_classes()
    assert returned, "the return annotations name result classes"
    missing = sorted(c.__name__ for c in returned - exported)
    assert not missing, f"returned but not exported: {missing}"
    # and every Result subclass of the analyses is exported
    for name in finflow._LAZY.values():
        importlib.import_module(name)
    subclasses = {c for c in _all_subclasses(Result) if not c.__name__.startswith("_")}
    assert not sorted(c.__name__ for c in subclasses - exported)


def _all_subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("finflow"):
            out |= {sub} | _all_subclasses(sub)
    return out


def _user_built(obj) -> bool:
    """A class a user constructs (its parameters must be documented); the result
    classes and records the analyses return need a docstring, not constructor docs."""
    return obj is finflow.Network or obj is finflow.Problem or issubclass(obj, Exception)


@pytest.mark.parametrize("name", CALLABLES)
def test_every_public_callable_documents_each_parameter(name):
    obj = getattr(finflow, name)
    doc = inspect.getdoc(obj) or ""
    assert gen_api.first_paragraph(doc), f"{name}: no docstring"
    if inspect.isclass(obj) and not _user_built(obj):
        return
    target = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and not getattr(target, "__module__", "").startswith("finflow"):
        return            # a constructor inherited from Exception: nothing of finflow's
    if inspect.isclass(obj) and "Parameters" not in gen_api.sections(doc):
        doc = inspect.getdoc(obj.__init__) or doc
    params = [p for p in inspect.signature(target).parameters if p not in ("self", "cls")]
    missing = [p for p in params if p not in gen_api.documented_names(doc)]
    assert not missing, f"{name}: Parameters section does not document {missing}"
    # each parameter is described where it is documented, not by a pointer elsewhere
    for names, _typ, desc in gen_api.parameters(doc):
        assert not re.match(r"(?i)(as|see)( in| for)? :(func|meth|class):", desc), f"{name}: {names}: {desc[:60]}"


def test_api_page_has_not_drifted():
    expected = gen_api.render()
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == expected, ("docs/api.md is out of date with the docstrings: run "
                                 "python scripts/gen_api.py and commit docs/api.md")
    # and it is deterministic: a second rendering gives the same text
    assert gen_api.render() == expected
