"""Dependencies point one way: nothing imports from a layer above it."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package may import only from the packages listed for it (and the standard library
# and third-party packages).
ALLOWED = {
    "config": set(),
    # outbound: the one HTTP client setup and DeliveryFailed, for every sender in any layer.
    "outbound": set(),
    "competence": set(),
    "storage": {"competence"},
    "lti": {"outbound", "storage", "competence", "config"},
    "xapi": {"outbound", "storage", "competence", "config"},
    # actions: one function per user action, shared by pages, the CLI and scheduler jobs.
    "actions": {"outbound", "xapi", "lti", "storage", "competence", "config"},
    "sync": {"outbound", "actions", "xapi", "lti", "storage", "competence", "config"},
    "lti_tool": {"outbound", "actions", "xapi", "sync", "lti", "storage", "competence", "config"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_package_imports_from_above(package):
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package] - {package})
        for path in (ROOT / package).rglob("*.py")
    }
    assert {file: names for file, names in offending.items() if names} == {}


def test_the_domain_does_not_know_flask_or_the_database():
    for path in (ROOT / "competence").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "import flask" not in source.lower() and "sqlalchemy" not in source, path


# --- Views read the request, call one function and render (issue 18) -------------------
# A view module is a module of lti_tool that defines a Blueprint (the routes a person
# reaches).  It may pass the request's session to a storage function or an action, but it
# neither queries nor writes nor ends a transaction itself: that is the action's job, so
# the page, the command line and the scheduler cannot do the same thing differently.
SESSION_METHODS = {"commit", "rollback", "flush", "execute", "scalars", "scalar", "add_all"}
# Called on a session (by that name, or `db_session()` itself): writes or reads rows.
SESSION_ROW_METHODS = {"add", "delete", "merge", "get", "refresh"}
SESSION_NAMES = {"session", "database", "db"}
STATEMENTS = {"select", "insert", "update", "delete", "text"}

# A view that must touch the database names itself here with the reason (none does today).
VIEWS_THAT_MAY_TOUCH_THE_DATABASE: dict[str, str] = {}


def _is_session(node: ast.expr, browser: set[str]) -> bool:
    if isinstance(node, ast.Name):  # flask's `session` is the browser's cookie, not rows
        return node.id in SESSION_NAMES - browser
    if isinstance(node, ast.Attribute):  # self.session, g.db_session
        return node.attr in SESSION_NAMES or node.attr == "db_session"
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "db_session"
    )


def database_work(source: str) -> list[str]:
    """What a module does with the database itself, as `line: call` strings."""
    tree = ast.parse(source)
    from_sqlalchemy = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
    }
    from_flask = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "flask"
        for alias in node.names
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in STATEMENTS & from_sqlalchemy:
            found.append(f"{node.lineno}: {func.id}(")
        elif isinstance(func, ast.Attribute) and (
            func.attr in SESSION_METHODS
            or (func.attr in SESSION_ROW_METHODS and _is_session(func.value, from_flask))
        ):
            found.append(f"{node.lineno}: .{func.attr}(")
    return sorted(found, key=lambda work: (int(work.split(":")[0]), work))


def view_modules() -> list[Path]:
    """Modules that make a Blueprint or add routes to one (dev_platform's second module)."""
    return sorted(
        path
        for path in (ROOT / "lti_tool").rglob("*.py")
        if re.search(r"Blueprint\(|^@bp\.", path.read_text(encoding="utf-8"), re.MULTILINE)
    )


def test_the_rule_catches_a_view_that_commits_or_queries():
    view = """
from flask import Blueprint
from sqlalchemy import select
from lti_tool.database import db_session
bp = Blueprint("x", __name__)
@bp.post("/x")
def save():
    session = db_session()
    row = session.get(Row, 1)
    rows = db_session().scalars(select(Row))
    session.add(Row())
    session.commit()
"""
    assert database_work(view) == [
        "9: .get(",
        "10: .scalars(",
        "10: select(",
        "11: .add(",
        "12: .commit(",
    ]
    calm = "from flask import session\nsession.get('k')\nrequest.form.get('q')\nseen.add(1)\n"
    assert database_work(calm) == []


def test_views_neither_commit_nor_query():
    assert len(view_modules()) > 10  # the rule looks where the views are
    offending = {
        str(path.relative_to(ROOT)): work
        for path in view_modules()
        if (work := database_work(path.read_text(encoding="utf-8")))
    }
    excused = {name: work for name, work in offending.items()
               if name in VIEWS_THAT_MAY_TOUCH_THE_DATABASE}  # fmt: skip
    assert {n: w for n, w in offending.items() if n not in excused} == {}
    # An exception that no longer applies is removed, not kept "just in case".
    assert sorted(set(VIEWS_THAT_MAY_TOUCH_THE_DATABASE) - set(offending)) == []


# --- Modules a reader can hold in their head ---------------------------------------------
MAX_LINES = 500
# A module that must stay longer names itself here with the reason (none does today).
LONG_MODULES: dict[str, str] = {}
NOT_CODE = {".venv", "node_modules", "migrations", "build", "dist"}


def test_no_module_is_over_500_lines():
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in ROOT.rglob("*.py")
        if not NOT_CODE & set(path.relative_to(ROOT).parts)
    }
    long = {name for name, lines in lengths.items() if lines > MAX_LINES}
    assert sorted(long - set(LONG_MODULES)) == []
    assert sorted(set(LONG_MODULES) - long) == []  # split: take it off the list
