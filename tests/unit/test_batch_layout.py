"""How the batch code is laid out, read from the source: one core package, no import cycles in
the adapters, the core's public names without adapter plumbing, the batch errors in the error
tree."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import nebius_inference._errors as errors_module
import nebius_inference.batch as batch

ROOT = Path(__file__).resolve().parents[2]


def _runtime_imports(tree: ast.AST) -> list[ast.ImportFrom | ast.Import]:
    """Every import statement, at module level or in a function, outside ``if TYPE_CHECKING``."""
    found: list[ast.ImportFrom | ast.Import] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _module_graph(package: str) -> dict[str, set[str]]:
    """Each module of ``package`` -> the modules of the same package it imports at run time."""
    modules = {p.stem: p for p in (ROOT / package).glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    targets.add(node.module.split(".")[0])
                else:
                    targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package):
                targets.add((node.module or "").removeprefix(package).strip(".").split(".")[0])
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        for target in sorted(graph[node]):
            if target == path[0]:
                cycles.append([*path, target])
            elif target not in path and target > path[0]:
                walk(target, [*path, target])

    for start in sorted(graph):
        walk(start, [start])
    return cycles


def test_the_adapters_have_no_import_cycles() -> None:
    for package in ("langchain_nebius", "llama_index_nebius"):
        graph = _module_graph(package)
        assert graph.get("batch")  # the graph is really read
        assert _cycles(graph) == [], f"{package} modules import each other"


def test_the_core_batch_code_is_one_package_of_small_modules() -> None:
    assert not list((ROOT / "nebius_inference").glob("_batch_*.py"))
    assert not (ROOT / "nebius_inference" / "batch.py").exists()
    for path in (ROOT / "nebius_inference" / "batch").glob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 530, f"{path.name} has {lines} lines"


def test_the_core_exports_no_adapter_plumbing() -> None:
    plumbing = {
        "BatchJobAdapter",
        "AsyncBatchJobAdapter",
        "open_embedding_job",
        "state_to_resume",
        "check_job_endpoint",
        "convert_results",
        "outputs_or_raise",
        "vectors_from_results",
    }
    assert plumbing.isdisjoint(batch.__all__)
    assert all(hasattr(batch, name) for name in batch.__all__)


def test_the_error_tree_draws_every_batch_error() -> None:
    tree = errors_module.__doc__ or ""
    batch_errors = [
        name
        for name in batch.__all__
        if inspect.isclass(getattr(batch, name)) and issubclass(getattr(batch, name), Exception)
    ]
    assert len(batch_errors) == 5
    for name in batch_errors:
        assert f"── {name} " in tree, f"{name} is missing from the error tree"
