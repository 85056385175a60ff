"""chalicelib's import graph, read from the sources (module-level and function-level
imports alike): no cycle between its packages or its modules, no private name used
across modules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
ROOT = PROJECT_DIR / "chalicelib"

# Package cycles that predate the rule: none left. Packages layer auth <- contacts <-
# campaigns <- conversations (and sessions <- campaigns); a lower one announces through
# hooks (sessions.hooks, contacts.hooks) that the upper one registers in bootstrap().
KNOWN_CYCLES: list[frozenset[str]] = []

# Private names still shared across modules (none left).
KNOWN_PRIVATE: set[str] = set()


@dataclass(frozen=True)
class Use:
    source: str  # importing module, dotted
    target: str  # imported module, dotted
    name: str | None  # the name taken from it (from-import or attribute), if any
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(dotted: str) -> bool:
    path = PROJECT_DIR.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def uses(path: Path, source: str | None = None) -> Iterator[Use]:
    """Every chalicelib module this file imports, at any depth of the file, and the
    names it takes from each (``from m import x`` and ``alias.x`` on an imported module)."""
    source = source or module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "chalicelib":
                    yield Use(source, alias.name, None, node.lineno)
                    if alias.asname:
                        aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = source.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                base = ".".join([*package[: len(package) - node.level + 1], node.module])
            if base.split(".")[0] != "chalicelib":
                continue
            for alias in node.names:
                dotted = f"{base}.{alias.name}"
                if is_module(dotted):  # from package import module
                    yield Use(source, dotted, None, node.lineno)
                    aliases[alias.asname or alias.name] = dotted
                else:
                    yield Use(source, base, alias.name, node.lineno)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            yield Use(source, aliases[node.value.id], node.attr, node.lineno)


def all_uses() -> list[Use]:
    return [
        use
        for path in sorted(ROOT.rglob("*.py"))
        if "__pycache__" not in path.parts
        for use in uses(path)
    ]


def package_of(module: str) -> str:
    """chalicelib.campaigns.lease -> campaigns; chalicelib.push -> push."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def package_graph(found: list[Use]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for use in found:
        a, b = package_of(use.source), package_of(use.target)
        if a and b and a != b:
            graph.setdefault(a, set()).add(b)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def edges_within(found: list[Use], component: frozenset[str]) -> list[str]:
    return sorted(
        f"{u.source} -> {u.target} (line {u.line})"
        for u in found
        if package_of(u.source) in component
        and package_of(u.target) in component
        and package_of(u.source) != package_of(u.target)
    )


def test_the_walk_sees_function_level_imports() -> None:
    # agents.link imports the inbox inside its inbound handler only.
    found = all_uses()
    assert any(
        u.source == "chalicelib.agents.link" and u.target == "chalicelib.conversations.inbox"
        for u in found
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]


def test_no_new_cycle_between_packages() -> None:
    found = all_uses()
    unknown = [c for c in cycles(package_graph(found)) if c not in KNOWN_CYCLES]
    assert not unknown, "\n".join(
        f"{sorted(c)}:\n  " + "\n  ".join(edges_within(found, c)) for c in unknown
    )


def test_no_import_cycle_between_modules() -> None:
    # Within a package too: a module's low layer (campaigns.lifecycle, .messages,
    # .counters) never imports what builds on it, function-level imports included.
    found = [u for u in all_uses() if u.source != u.target]
    graph: dict[str, set[str]] = {}
    for use in found:
        graph.setdefault(use.source, set()).add(use.target)
    assert [sorted(c) for c in cycles(graph)] == []


def test_known_cycles_still_exist() -> None:
    current = cycles(package_graph(all_uses()))
    assert [c for c in KNOWN_CYCLES if c not in current] == []


def test_sessions_never_import_campaigns() -> None:
    graph = package_graph(all_uses())
    assert "campaigns" not in graph.get("sessions", set())
    assert not any({"sessions", "campaigns"} <= c for c in cycles(graph))


def test_packages_layer_auth_contacts_campaigns_conversations() -> None:
    graph = package_graph(all_uses())
    layers = ["auth", "contacts", "campaigns", "conversations"]
    for i, lower in enumerate(layers):
        assert not set(layers[i + 1 :]) & graph.get(lower, set()), lower


def private_uses() -> set[str]:
    return {
        f"{u.source} uses {u.target}.{u.name}"
        for u in all_uses()
        if u.name
        and u.name.startswith("_")
        and not u.name.startswith("__")
        and u.source != u.target
    }


def test_no_private_name_crosses_modules() -> None:
    assert sorted(private_uses() - KNOWN_PRIVATE) == []


def test_known_private_uses_still_exist() -> None:
    assert sorted(KNOWN_PRIVATE - private_uses()) == []


def test_the_walk_sees_private_attribute_uses(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text(
        "def f():\n    from chalicelib.campaigns import service\n    service._hidden()\n"
        "from chalicelib.contacts.service import _also\n"
    )
    found = {(u.target, u.name) for u in uses(module, "chalicelib.probe")}
    assert ("chalicelib.campaigns.service", "_hidden") in found
    assert ("chalicelib.contacts.service", "_also") in found
