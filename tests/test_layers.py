"""The architecture the README describes: no two packages of bot/ import each other
(dependencies point one way: channels and console -> conversation and handoff -> core)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"


def package_imports() -> dict[str, set[str]]:
    """For each top-level part of bot/ (package or module), the others it imports."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in BOT.rglob("*.py"):
        source = path.relative_to(BOT).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "bot" and len(parts) > 1 and parts[1] != source:
                    edges[source].add(parts[1])
    return edges


def test_no_two_packages_import_each_other() -> None:
    edges = package_imports()
    cycles = sorted(
        {tuple(sorted((a, b))) for a in list(edges) for b in edges[a] if a in edges.get(b, ())}
    )
    assert cycles == [], f"packages importing each other: {cycles}"


def test_the_core_imports_no_channel_console_or_gateway() -> None:
    edges = package_imports()
    for core in ("conversation", "handoff", "knowledge", "status", "db", "text", "nlu"):
        outer = edges.get(core, set()) & {"channels", "console", "gateway"}
        assert not outer, f"bot.{core} imports {outer}"
