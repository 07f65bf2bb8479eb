"""The top-level command line: registry, lazy imports, error reporting."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from automix.cli import COMMANDS, build_parser, main


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def test_every_command_registers_with_the_summary_the_top_level_help_shows():
    full = _subparsers(build_parser())
    shown = {choice.dest: choice.help for choice in full._choices_actions}
    assert shown == COMMANDS
    assert set(full.choices) == set(COMMANDS)


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_light_commands_do_not_import_scipy_or_sklearn():
    code = ("import sys; from automix.cli import main\n"
            "try:\n    main(['inspect', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('scipy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


def test_unknown_file_is_one_line_error_with_exit_status_2(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "missing.rpp")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("automix: error: ") and "missing.rpp" in err and "\n" not in err


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 1
    assert "COMMAND" in capsys.readouterr().out


@pytest.mark.parametrize("preset, expected", [(None, 1), ("2", 2)])
def test_commands_start_openblas_with_one_thread_unless_the_user_set_it(preset, expected):
    """Starting OpenBLAS's threads costs ~55 ms a process; automix's matrices are too small to use them."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    code = ("import io, contextlib; from automix.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): status = main(['models'])\n"
            "import numpy, threadpoolctl\n"
            "print(status, [i['num_threads'] for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split("\n")[0] == f"0 [{expected}]"
