"""The packaging files agree with the app: one reverse-DNS id everywhere, a valid .desktop file."""

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from app.paths import APP_ID

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = ROOT / "resources" / f"{APP_ID}.desktop"


def test_the_desktop_entry_names_the_app_and_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Icon"] == APP_ID
    assert section["Exec"].split()[0] == "kvchat" and section["Type"] == "Application"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is not installed")
def test_the_desktop_entry_is_valid():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_one_app_id_everywhere():
    assert APP_ID in (ROOT / "packaging" / "windows" / "kvchat.iss").read_text()
    assert "APP_ID" in (ROOT / "packaging" / "kvchat.spec").read_text()  # the macOS bundle identifier
    assert "APP_ID" in (ROOT / "app" / "ui" / "application.py").read_text()  # setDesktopFileName
    assert "from app.paths import APP_ID" in (ROOT / "packaging" / "linux" / "build.sh").read_text()
    assert f"app_id={APP_ID}" in (ROOT / "packaging" / "linux" / "install.sh").read_text()


def test_the_icons_exist_in_every_format_the_installers_use():
    icons = ROOT / "resources" / "icons"
    for name in ("kvchat.svg", "kvchat-256.png", "kvchat-512.png", "kvchat.ico", "kvchat.icns"):
        assert (icons / name).stat().st_size > 1000, name
