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


ROOT = ENGINE.parent
SHIPPED = [
    *ENGINE.rglob("*.py"),
    *(ROOT / "paper").rglob("*.py"),
    *(ROOT / "dashboard").rglob("*.py"),
    *(ROOT / "pages").rglob("*.py"),
    ROOT / "app.py",
]


def modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved against its package."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names |= {f"{module}.{a.name}" for a in node.names}
    return names


def test_only_the_neo_package_imports_the_sdk():
    assert len(SHIPPED) > 40
    neo = ENGINE / "neo"
    offenders = [p for p in SHIPPED if any(m.startswith("neo_api_client") for m in modules(p)) and neo not in p.parents]
    assert offenders == []
    assert any(m.startswith("neo_api_client") for m in modules(neo / "sdk.py"))


def test_the_engine_and_the_run_see_the_broker_through_the_ports_never_the_neo_adapter():
    # Only the command line wires a live account in; the engine, the run, the reports and the rest see the ports.
    seeing = [p for p in ENGINE.rglob("*.py") if p.relative_to(ENGINE).parts[0] not in ("neo", "cli")]
    assert ENGINE / "engine.py" in seeing and ENGINE / "run" / "lifecycle.py" in seeing
    offenders = {p.name: sorted(m for m in modules(p) if m.startswith("execution.neo")) for p in seeing}
    assert not any(offenders.values()), offenders
    assert "execution.ports" in modules(ENGINE / "engine.py")


def test_nothing_but_the_clock_reads_the_wall_clock_or_todays_date():
    calls = ("date.today(", "datetime.now(", "datetime.today(", "time.time(")
    offenders = [
        f"{p.relative_to(ROOT)}: {c}" for p in SHIPPED if p != ENGINE / "clock.py" for c in calls if c in p.read_text()
    ]
    assert offenders == []
