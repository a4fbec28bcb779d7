"""Only studio_console/obs/ speaks obs-websocket: no request or event name, no obswebsocket import elsewhere.

String literals are checked, docstrings are not: prose that explains OBS's behaviour may name the
request it is about; code that sends or matches a name must use obs/requests.py and obs/events.py.
Tests are not checked either: fakes and recorded payloads speak the protocol on purpose.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from studio_console.obs.names import EVENT_NAMES, PROTOCOL_NAMES, REQUEST_NAMES

PACKAGE = Path(__file__).resolve().parents[2] / "studio_console"
OBS_LAYER = PACKAGE / "obs"
# Words inside longer text (docstrings, messages): a protocol name is one CamelCase word.
_WORD = re.compile(r"[A-Za-z]+")
_FOREIGN_MODULES = ("obswebsocket",)
# Files the lead engineer is replacing (issue 9), with the names they still use; they move to
# ObsSession.subscribe_obs_events. An entry that no longer matches fails the test: remove it then.
PENDING: dict[str, set[str]] = {}


def _outside_obs() -> list[Path]:
    files = sorted(p for p in PACKAGE.rglob("*.py") if OBS_LAYER not in p.parents)
    assert len(files) > 50, "the package walk found too few files: is PACKAGE right?"
    return files


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of the module, its classes and its functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def protocol_names_in(source: str) -> list[tuple[int, str]]:
    """(line, name) of every obs-websocket request or event name in the source's string literals."""
    found = []
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in docstrings:
            continue
        text = node.value
        if text in PROTOCOL_NAMES:
            found.append((node.lineno, text))
            continue
        # One-word names (Sleep) only count as a whole literal: as prose they are ordinary English.
        found += [(node.lineno, w) for w in _WORD.findall(text) if w in PROTOCOL_NAMES and not w.istitle()]
    return sorted(found)


def foreign_imports_in(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        found += [(node.lineno, m) for m in modules if m.split(".")[0] in _FOREIGN_MODULES]
    return found


def test_the_name_lists_hold_the_protocol() -> None:
    # A few of each kind the app relies on: a truncated list would let names through unseen.
    assert {"SetSceneItemEnabled", "GetSourceScreenshot", "SetStreamServiceSettings", "Sleep"} <= REQUEST_NAMES
    assert {"InputVolumeMeters", "StreamStateChanged", "SceneItemEnableStateChanged"} <= EVENT_NAMES
    assert len(REQUEST_NAMES) > 140 and len(EVENT_NAMES) > 50


def test_the_check_sees_names_and_imports() -> None:
    source = (
        '"""Hides the card with SetSceneItemEnabled (a docstring may say so)."""\n'
        "import obswebsocket.requests\n"
        "from obswebsocket import obsws\n"
        'await session.request("SetSceneItemEnabled", {})\n'
        'if event_type == "InputVolumeMeters": pass\n'
        'log.info(f"{x} failed in GetSceneItemList")\n'
        'pause = "Sleep"\n'
        'ok = "Sleep a while, Scene and Input are plain words"\n'
    )
    assert protocol_names_in(source) == [
        (4, "SetSceneItemEnabled"),
        (5, "InputVolumeMeters"),
        (6, "GetSceneItemList"),
        (7, "Sleep"),
    ]
    assert foreign_imports_in(source) == [(2, "obswebsocket.requests"), (3, "obswebsocket")]


def test_no_obs_websocket_name_outside_the_obs_layer() -> None:
    offences = []
    pending_seen: dict[str, set[str]] = {}
    for path in _outside_obs():
        where = path.relative_to(PACKAGE.parent).as_posix()
        for line, name in protocol_names_in(path.read_text(encoding="utf-8")):
            if name in PENDING.get(where, set()):
                pending_seen.setdefault(where, set()).add(name)
            else:
                offences.append(f"{where}:{line}: {name}")
    assert pending_seen == PENDING, "PENDING lists names those files no longer use: shorten it"
    assert not offences, "obs-websocket names outside studio_console/obs/ (use obs.requests/obs.events):\n" + "\n".join(
        offences
    )


def test_obs_websocket_py_is_imported_only_by_the_obs_layer() -> None:
    offences = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: import {module}"
        for path in _outside_obs()
        for line, module in foreign_imports_in(path.read_text(encoding="utf-8"))
    ]
    assert not offences, "obs-websocket-py imported outside studio_console/obs/:\n" + "\n".join(offences)
