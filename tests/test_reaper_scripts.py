"""The ReaScript actions: clean import without REAPER, ReaPack headers and index, one call each."""

from __future__ import annotations

import importlib.util
import json
import runpy
import subprocess
import sys
import types
from pathlib import Path

import pytest

from automix.reaper.installer import ACTIONS
from automix.reaper.reapack import script_metadata

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "reaper_scripts"
FUNCTIONS = {
    "automix_auto_mix_project.py": "auto_mix_project",
    "automix_resuggest_region.py": "resuggest_region",
    "automix_learn_from_project.py": "learn_from_project",
}


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def fake_actions(monkeypatch):
    """A stand-in ``automix.reaper.actions`` recording which function was called."""
    calls: list[str] = []
    module = types.ModuleType("automix.reaper.actions")
    for func in FUNCTIONS.values():
        setattr(module, func, lambda func=func, **timers: calls.append(func) or calls.append(timers))
    monkeypatch.setitem(sys.modules, "automix.reaper.actions", module)
    import automix.reaper
    monkeypatch.setattr(automix.reaper, "actions", module, raising=False)
    return calls


def test_the_three_actions_exist():
    assert sorted(p.name for p in SCRIPTS.glob("*.py")) == sorted(FUNCTIONS)
    assert [name for name, _ in ACTIONS] == list(FUNCTIONS)


@pytest.mark.parametrize("script", sorted(FUNCTIONS))
def test_import_has_no_side_effects(script, capsys, fake_actions):
    pytest.importorskip("reapy")  # the scripts must import cleanly with reapy installed, REAPER absent
    module = _import(SCRIPTS / script, "automix_script_under_test")
    assert fake_actions == []
    assert capsys.readouterr() == ("", "")
    assert callable(module.main)


@pytest.mark.parametrize("script", sorted(FUNCTIONS))
def test_import_in_a_fresh_interpreter_touches_neither_reaper_nor_automix(script):
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('s', {str(SCRIPTS / script)!r})\n"
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
            "print(sorted(k for k in sys.modules if k.startswith(('automix', 'reapy'))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]" and done.stderr == ""


@pytest.mark.parametrize("script", sorted(FUNCTIONS))
def test_running_as_an_action_calls_exactly_one_function(script, fake_actions, monkeypatch):
    monkeypatch.setitem(sys.modules, "reaper_python", None)  # outside REAPER: no timers, the action waits
    runpy.run_path(str(SCRIPTS / script), run_name="__main__")
    assert fake_actions == [FUNCTIONS[script], {"defer": None, "atexit": None}]


@pytest.mark.parametrize("script", sorted(FUNCTIONS))
def test_inside_reaper_the_action_gets_reapers_defer_and_atexit(script, fake_actions, tmp_path):
    """REAPER evaluates the code given to RPR_defer / RPR_atexit in the script's globals."""
    scheduled: list[tuple[str, str]] = []
    (tmp_path / "pkg").mkdir()
    (tmp_path / "automix.json").write_text(json.dumps({"format": 1, "worker_python": sys.executable,
                                                       "package_path": str(tmp_path / "pkg")}))
    script_globals = runpy.run_path(str(SCRIPTS / script), run_name="not_main")["main"].__globals__
    script_globals.update(RPR_defer=lambda code: scheduled.append(("defer", code)),
                          RPR_atexit=lambda code: scheduled.append(("atexit", code)),
                          RPR_GetResourcePath=lambda: str(tmp_path))
    try:
        script_globals["main"]()
        assert sys.path[0] == str(tmp_path / "pkg")  # package_path from automix.json, for the thin layer
    finally:
        if str(tmp_path / "pkg") in sys.path:
            sys.path.remove(str(tmp_path / "pkg"))
    assert fake_actions[0] == FUNCTIONS[script]
    timers = fake_actions[1]
    ran = []
    timers["defer"](lambda: ran.append("tick"))
    timers["atexit"](lambda: ran.append("exit"))
    assert scheduled == [("defer", "_automix_deferred()"), ("atexit", "_automix_at_exit()")]
    for _kind, code in scheduled:
        eval(code, script_globals)  # what REAPER does on its next timer tick / when the script ends
    assert ran == ["tick", "exit"]


def _hide_reaper_actions(monkeypatch):
    """Make ``from automix.reaper import actions`` fail even if it was imported before."""
    import automix.reaper
    monkeypatch.setitem(sys.modules, "automix.reaper.actions", None)
    monkeypatch.delattr(automix.reaper, "actions", raising=False)


def test_missing_automix_is_reported_in_a_message_box(monkeypatch):
    _hide_reaper_actions(monkeypatch)
    shown = []
    module = _import(SCRIPTS / "automix_auto_mix_project.py", "automix_script_no_package")
    module.RPR_ShowMessageBox = lambda msg, title, kind: shown.append((msg, title, kind))
    module.main()
    assert len(shown) == 1
    message, title, kind = shown[0]
    assert "install.py --enable-python" in message and title == "automix: Auto-mix project" and kind == 0


def test_missing_automix_outside_reaper_is_printed(monkeypatch, capsys):
    _hide_reaper_actions(monkeypatch)
    monkeypatch.setitem(sys.modules, "reaper_python", None)  # not inside REAPER
    module = _import(SCRIPTS / "automix_learn_from_project.py", "automix_script_printing")
    module.main()
    out = capsys.readouterr().out
    assert "automix is not set up for this REAPER" in out and "automix.json" in out
    assert "install.py --enable-python" in out


@pytest.mark.parametrize("script", sorted(FUNCTIONS))
def test_reapack_metadata_header(script):
    meta = script_metadata(SCRIPTS / script)
    assert set(meta) >= {"description", "version", "author", "about"}
    assert meta["description"] == dict(ACTIONS)[script]
    assert meta["version"].count(".") == 2 and meta["about"].count("\n") >= 2
    import automix
    assert meta["version"] == automix.__version__
