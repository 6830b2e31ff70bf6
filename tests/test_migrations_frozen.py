"""Migrations run the code they were written with: none imports the project's live modules for what
it does, so changing articles.segmenting or articles.search_index later never changes what an old
migration does on a new or an upgrading database (issue 20).

A migration reads the project's models through the `apps` its RunPython functions receive. The
one place it may name the project's code is a field's definition in its operations: Django's
migration writer puts custom field classes and the callables of storage= and upload_to= there by
import path, and the autodetector compares them with the model's by identity, so no copy can
stand in for them (Django's documentation: such fields and callables must be kept for as long as
a migration references them). Such a name only declares a field; the migration never runs it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("articles", "members", "portal")
MIGRATIONS = sorted(path for package in APP_PACKAGES for path in (ROOT / package).glob("**/migrations/[0-9]*.py"))
DYNAMIC_IMPORTS = {"import_module", "import_string", "__import__"}
RUNS_CODE = {"RunPython", "RunSQL"}


def is_app_module(name: str | None) -> bool:
    return bool(name) and name.split(".")[0] in APP_PACKAGES


def call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def field_definitions(tree: ast.Module) -> set[ast.Call]:
    """The field constructors in the Migration class's operations: `field=` of AddField and
    AlterField, and the second item of each (name, field) pair in CreateModel's `fields`."""
    fields: set[ast.Call] = set()
    for migration in (node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Migration"):
        for statement in migration.body:
            if not (isinstance(statement, ast.Assign) and any(getattr(target, "id", "") == "operations" for target in statement.targets)):
                continue
            for operation in (node for node in ast.walk(statement.value) if isinstance(node, ast.Call)):
                if call_name(operation) in RUNS_CODE:
                    continue
                for keyword in operation.keywords:
                    if keyword.arg == "field" and isinstance(keyword.value, ast.Call):
                        fields.add(keyword.value)
                    elif keyword.arg == "fields" and isinstance(keyword.value, ast.List | ast.Tuple):
                        for pair in keyword.value.elts:
                            if isinstance(pair, ast.Tuple) and len(pair.elts) == 2 and isinstance(pair.elts[1], ast.Call):
                                fields.add(pair.elts[1])
    return fields


def live_code_uses(source: str) -> list[str]:
    """Where a migration's source imports the project's modules for anything but naming a field's
    class or the callables a field is declared with; empty when it runs only frozen code."""
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    problems: list[str] = []
    imported: dict[str, int] = {}  # name bound to the project's code -> line of its import
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [alias.name for alias in node.names]
            relative = isinstance(node, ast.ImportFrom) and node.level > 0
            if relative or is_app_module(module) or any(is_app_module(name) for name in names if module is None):
                if parents[node] is not tree:
                    problems.append(f"line {node.lineno}: imports the project's code inside a function")
                for alias in node.names:
                    imported[alias.asname or (alias.name.split(".")[0] if module is None else alias.name)] = node.lineno
            if module == "django.apps" and "apps" in names:
                problems.append(f"line {node.lineno}: imports the live app registry (use the `apps` RunPython passes)")
        elif isinstance(node, ast.Call) and call_name(node) in DYNAMIC_IMPORTS:
            if any(isinstance(arg, ast.Constant) and isinstance(arg.value, str) and is_app_module(arg.value) for arg in node.args):
                problems.append(f"line {node.lineno}: imports the project's code by name")
    fields = field_definitions(tree)
    used: set[str] = set()
    for name in (node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in imported):
        used.add(name.id)
        use: ast.AST = name
        while isinstance(parents.get(use), ast.Attribute):
            use = parents[use]
        if not declares_a_field(use, parents, fields):
            problems.append(f"line {name.lineno}: uses {ast.unparse(use)}, the project's live code")
    # Even unused, an import runs the module (and whatever it imports) at every migrate.
    problems.extend(f"line {line}: imports {name} and declares no field with it" for name, line in imported.items() if name not in used)
    return problems


def declares_a_field(use: ast.AST, parents: dict, fields: set[ast.Call]) -> bool:
    """Whether `use` is a field definition's class, or a value it is declared with (never called)."""
    parent = parents.get(use)
    if isinstance(parent, ast.Call) and parent.func is use:
        return parent in fields
    node = parent
    while node is not None:
        if node in fields:
            return True
        if isinstance(node, ast.Call) and call_name(node) in RUNS_CODE:
            return False
        node = parents.get(node)
    return False


def test_the_migrations_are_found():
    assert {path.name for path in MIGRATIONS} >= {"0004_search.py", "0007_column_search.py", "0011_column_exports.py"}


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_a_migration_runs_no_live_code_of_the_project(path):
    assert live_code_uses(path.read_text(encoding="utf-8")) == []


LIVE_CODE = {
    "a helper": "from articles.segmenting import index_text\ndef fill(apps, schema_editor):\n    index_text('x')\n",
    "a module": "from articles import search_index\ndef install(apps, schema_editor):\n    search_index.install(schema_editor.connection)\n",
    "a constant": "import articles.search_index\nSQL = [articles.search_index.PUBLIC_VECTOR]\n",
    "an import in a function": "def fill(apps, schema_editor):\n    from members.access import readable_filter\n",
    "a relative import": "from ..segmenting import index_text\n",
    "an import by name": "import importlib\nsegmenting = importlib.import_module('articles.segmenting')\n",
    "the live registry": "from django.apps import apps\nArticle = apps.get_model('articles', 'Article')\n",
    "a call in a field": (
        "import articles.slugs\nfrom django.db import migrations, models\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [migrations.AddField(model_name='a', name='b', field=models.CharField(default=articles.slugs.make()))]\n"
    ),
    "a field in RunPython's arguments": (
        "import articles.storage\nfrom django.db import migrations\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [migrations.RunPython(articles.storage.private_storage)]\n"
    ),
}


@pytest.mark.parametrize("source", LIVE_CODE.values(), ids=LIVE_CODE.keys())
def test_a_migration_that_runs_live_code_is_caught(source):
    assert live_code_uses(source) != []


def test_a_field_declared_with_the_projects_class_and_callables_passes():
    source = (
        "import articles.image_fields\nimport articles.storage\nfrom django.db import migrations, models\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [\n"
        "        migrations.AlterField(model_name='a', name='b', field=articles.image_fields.CleanImageField(upload_to='x/')),\n"
        "        migrations.CreateModel(name='c', fields=[('f', models.FileField(storage=articles.storage.private_storage))]),\n"
        "    ]\n"
    )
    assert live_code_uses(source) == []
