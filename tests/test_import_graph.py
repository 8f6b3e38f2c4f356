"""The packages obey the "may import" column of docs/architecture.md: data flows one way.

Reads every module's imports with ``ast`` (nothing is imported), so a forbidden import fails here
even inside a function body.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Third-party libraries kept out of a package: the pure core and the bundle never speak HTTP or SQL
# and never read tables; training never serves.
FORBIDDEN_LIBRARIES = {
    "recommender": {"flask", "werkzeug", "pandas", "sqlalchemy", "gunicorn", "alembic"},
    "bundle": {"flask", "werkzeug", "pandas", "sqlalchemy", "gunicorn", "alembic"},
    "training": {"flask", "werkzeug", "sqlalchemy", "gunicorn", "alembic"},
}


def may_import() -> dict[str, set[str]]:
    """``{package: packages it may import}`` from the table of docs/architecture.md."""
    rows = re.findall(r"^\| `(\w+)/` \|[^|]*\|([^|]*)\|$", (ROOT / "docs" / "architecture.md").read_text(), re.M)
    table = {package: set(re.findall(r"`(\w+)`", allowed)) for package, allowed in rows}
    return {package: allowed & set(table) for package, allowed in table.items()}


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Absolute names of every module that ``source`` (the module named ``module``) imports."""
    parent = module.split(".") if is_package else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = parent[: len(parent) - node.level + 1]
            names.add(".".join([*base, *([node.module] if node.module else [])]))
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


def project_modules() -> list[tuple[str, Path]]:
    return [(package, path) for package in may_import() for path in sorted((ROOT / package).rglob("*.py"))]


def test_the_table_names_every_package():
    assert set(may_import()) == {"recommender", "bundle", "training", "api", "cli", "bench"}
    assert may_import()["recommender"] == set() and may_import()["bundle"] == {"recommender"}


@pytest.mark.parametrize("package, path", project_modules(), ids=lambda v: str(v).removeprefix(f"{ROOT}/"))
def test_imports_follow_the_table(package, path):
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    top_levels = {m.split(".")[0] for m in imported_modules(path.read_text(), name, path.name == "__init__.py")}
    table = may_import()
    ours = top_levels & set(table) - {package}
    assert ours <= table[package], f"{path.relative_to(ROOT)} imports {sorted(ours - table[package])}"
    libraries = top_levels & FORBIDDEN_LIBRARIES.get(package, set())
    assert not libraries, f"{path.relative_to(ROOT)} imports {sorted(libraries)}"


def test_a_late_import_of_the_service_is_seen():
    source = "def f():\n    from api.serving import model_store\n"
    assert imported_modules(source, "recommender.probe") == {"api.serving"}


def test_relative_imports_resolve_against_their_package():
    assert imported_modules("from ..blend import x\nfrom .request import y\n", "recommender.engine.engine") == {
        "recommender.blend", "recommender.engine.request"}
    assert imported_modules("from . import bp\n", "api.console", is_package=True) == {"api.console"}
