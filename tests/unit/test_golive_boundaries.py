"""Go-live reaches sinks through the protocols of adapters/sinks/base.py only, never a concrete sink."""

from __future__ import annotations

import ast
from pathlib import Path

import studio_console

PACKAGE = Path(studio_console.__file__).parent
# What services may import from adapters/sinks: the protocols and helpers, and type discovery.
ALLOWED = {"studio_console.adapters.sinks.base", "studio_console.adapters.sinks.discovery"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_services_import_no_concrete_sink() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in (PACKAGE / "services").rglob("*.py")
        for module in imported_modules(path)
        if module.startswith("studio_console.adapters.sinks") and module not in ALLOWED
    }
    assert not offenders, sorted(offenders)


def test_the_check_sees_a_concrete_import() -> None:
    # The scan above must be able to fail: a file importing the local test server is caught.
    sample = PACKAGE.parent / "tests" / "unit" / "test_sinks_local_server.py"
    assert "studio_console.adapters.sinks.local_test_server" in imported_modules(sample)


def test_no_sink_type_is_registered_in_code() -> None:
    # Built-ins are entry points like any plugin: nothing in the package lists sink classes by hand.
    for path in (PACKAGE / "adapters" / "sinks").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "def builtin_sinks" not in text and "discover(SINK_GROUP, " not in text, path
