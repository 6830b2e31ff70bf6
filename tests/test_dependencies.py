"""Dependencies run one way: members may use articles, and articles reaches members only through
members.access (the paywall rule); members connects its own signals."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_FROM_ARTICLES = {"members.access"}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "members")
    return modules


def test_articles_reaches_members_only_through_access():
    crossings = {}
    for path in sorted((ROOT / "articles").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found = {module for module in imported_modules(path) if module == "members" or module.startswith("members.")}
        found = {module for module in found if module not in ALLOWED_FROM_ARTICLES and module != "members"}
        if found:
            crossings[str(path.relative_to(ROOT))] = sorted(found)
    assert crossings == {}


def test_the_check_finds_a_crossing(tmp_path):
    """The test above can fail: an import of members.selectors is seen."""
    module = tmp_path / "crossing.py"
    module.write_text("from members.selectors import bookshelf\nfrom members import services\n", encoding="utf-8")
    assert {"members.selectors", "members.services"} <= imported_modules(module)
