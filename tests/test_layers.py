"""Dependencies point one way: nothing imports from a layer above it."""

import ast
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
