"""Dependencies point one way: functions → api → services → repos and views → db, storage, ml → base.

A module never imports one of a higher layer (function-local imports count too), and no package
imports another package's repo: it asks that package's service instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "core" / "eventlens"

BASE = {
    "eventlens.types",
    "eventlens.errors",
    "eventlens.config",
    "eventlens.resilience",
    "eventlens.pipeline.graph",
    "eventlens.access.rights",
}
ENTRY = {"eventlens.cli", "eventlens.devserver", "eventlens.demo"}
INFRA_PACKAGES = ("eventlens.db", "eventlens.storage", "eventlens.ml")
LAYERS = ["base", "infra", "repo", "service", "api", "entry"]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    if module == "eventlens" or module in BASE:
        return "base"
    if module in ENTRY or module.startswith("functions."):
        return "entry"
    if module == "eventlens.scope" or module.startswith(INFRA_PACKAGES):
        return "infra"
    if module.startswith("eventlens.api"):
        return "api"
    if module.endswith((".repo", ".views")):
        return "repo"
    return "service"


def imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("eventlens"):
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("eventlens")]
    return found


def known(module: str, modules: set[str]) -> str | None:
    """The module an import names (`from x import name` may name a module or a symbol)."""
    while module and module not in modules:
        module = module.rpartition(".")[0]
    return module or None


def sources() -> list[tuple[str, Path]]:
    out = [(module_name(p), p) for p in PACKAGE.rglob("*.py")]
    out += [(f"functions.{p.parent.name}.{p.stem}", p) for p in (ROOT / "functions").rglob("*.py")]
    return out


def edges() -> list[tuple[str, str, str]]:
    """(importing module, imported module, "path:line") for every import between our modules."""
    files = sources()
    modules = {name for name, _ in files}
    found = []
    for name, path in files:
        for imported, line in imports(path):
            target = known(imported, modules)
            if target:
                found.append((name, target, f"{path.relative_to(ROOT)}:{line}"))
    return found


def test_no_module_imports_a_higher_layer() -> None:
    wrong = [
        f"{where} ({layer(name)}) imports {target} ({layer(target)})"
        for name, target, where in edges()
        if LAYERS.index(layer(target)) > LAYERS.index(layer(name))
    ]
    assert wrong == []


def test_no_package_reads_another_packages_repo() -> None:
    wrong = [
        f"{where} imports {target}"
        for name, target, where in edges()
        if target.endswith(".repo") and not name.startswith(target.rpartition(".")[0] + ".")
    ]
    assert wrong == []


def test_the_layer_rule_can_fail() -> None:
    """The checker sees a violation when there is one (a repo importing a service)."""
    assert LAYERS.index(layer("eventlens.media.service")) > LAYERS.index(layer("eventlens.media.repo"))
    assert layer("eventlens.api.admin") == "api"
    assert layer("functions.api_admin.app") == "entry"
    assert known("eventlens.media.repo.PhotoRow", {"eventlens.media.repo"}) == "eventlens.media.repo"
