"""The shape the guide asks for: the engine imports neither Streamlit nor the paper exchange."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "execution"


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_engine_module_imports_the_paper_exchange_or_streamlit():
    modules = sorted(ENGINE.glob("*.py"))
    assert len(modules) > 10
    # __main__ is the command line's composition root: the one place that wires the paper exchange in.
    offenders = {p.name: imported(p) & {"paper", "streamlit"} for p in modules if p.name != "__main__.py"}
    assert not any(offenders.values()), offenders
    assert "paper" in imported(ENGINE / "__main__.py")
