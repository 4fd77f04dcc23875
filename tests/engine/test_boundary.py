"""The layers hold (ui above cli above core above engine) and nothing below the ui imports Qt:
the import-linter contracts in pyproject.toml, run for real."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_layers_hold_and_nothing_below_the_ui_imports_qt():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ui above cli above core above engine KEPT" in result.stdout
    assert "No Qt below the ui KEPT" in result.stdout
    assert "The window's features do not import each other KEPT" in result.stdout


def test_engine_modules_load_without_qt():
    code = (
        "import sys, app.engine.host, app.engine.planner, app.cli.plan, app.cli.lab, app.cli.parser, app.main\n"
        "import app.core.store, app.core.settings, app.core.conversation_io, app.core.model_library, app.core.model_download\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
