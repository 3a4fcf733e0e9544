"""The import rules of docs/architecture.md, read from the code itself: Rich only in
render/, click only in cli/, durable-rules only in engine.py, and no cycle between the
package's modules, imports inside functions included."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "src" / "scenarios"


def modules() -> dict:
    """module name -> its file, for every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: dict) -> set:
    """Every module `name` imports, anywhere in it: third-party ones by their top name,
    the package's own by their full name."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                out.add(node.module)
                continue
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # `from . import x` names a module when x is one
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
    return out


def graph() -> dict:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def users_of(top: str) -> set:
    return {m for m, deps in graph().items() if any(d == top or d.startswith(top + ".") for d in deps)}


def test_only_the_renderers_import_rich():
    assert users_of("rich") and all(m.startswith("scenarios.render.") for m in users_of("rich"))


def test_only_the_cli_imports_click():
    assert users_of("click") and all(m == "scenarios.cli" or m.startswith("scenarios.cli.") for m in users_of("click"))


def test_only_the_engine_module_imports_durable_rules():
    assert users_of("durable") | users_of("durable_rules_engine") == {"scenarios.engine"}


def test_the_package_has_no_import_cycle():
    edges = {m: {d for d in deps if d.startswith("scenarios")} for m, deps in graph().items()}
    state: dict = {}
    path: list = []

    def visit(m: str) -> None:
        state[m] = "open"
        path.append(m)
        for d in sorted(edges.get(m, ())):
            if d == m or d not in edges:
                continue
            if state.get(d) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(d):] + [d]))
            if d not in state:
                visit(d)
        path.pop()
        state[m] = "done"

    for m in sorted(edges):
        if m not in state:
            visit(m)


def test_the_architecture_page_names_every_module():
    text = (PACKAGE.parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1]: line for line in text.splitlines() if line.startswith("| `")}
    for name, path in modules().items():
        if name == "scenarios" or name.startswith("scenarios._"):
            continue
        where = path.relative_to(PACKAGE)
        if len(where.parts) == 1:
            assert where.name in rows, f"docs/architecture.md has no row for {where}"
        else:
            row = rows.get(f"{where.parts[0]}/", "")
            if where.name == "__init__.py" and not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.parse(path.read_text(encoding="utf-8")).body):
                continue  # a package's face: its docstring and what it exports
            assert f"`{where.name}`" in row, f"docs/architecture.md does not name {where} in the row of {where.parts[0]}/"
