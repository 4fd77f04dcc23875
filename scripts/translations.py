"""Refresh the translation sources from the code and compile them:

    python scripts/translations.py          # update resources/translations/*.ts, then build the .qm files

New or changed English text appears in the .ts file as "unfinished"; translate it (by hand or in Qt
Linguist: pyside6-linguist resources/translations/kvchat_zh_CN.ts), then run this again.
The tests fail while any text is untranslated or a .qm file is older than its .ts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "resources" / "translations"
LANGUAGES = ("zh_CN",)


def qt_tool(name: str) -> str:
    """pyside6-lupdate / pyside6-lrelease from the running Python's environment."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found (it comes with PySide6)")
    return found


def sources() -> list[Path]:
    return sorted(p for p in (ROOT / "app").rglob("*.py"))


def update_ts(ts: Path) -> None:
    """Collect every translatable string of the app into `ts`, keeping existing translations."""
    subprocess.run([qt_tool("pyside6-lupdate"), *map(str, sources()), "-no-obsolete", "-locations", "none",
                    "-target-language", ts.stem.split("_", 1)[1], "-ts", str(ts)],
                   check=True, capture_output=True)


def release(ts: Path, qm: Path) -> None:
    subprocess.run([qt_tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True)


def main() -> int:
    for language in LANGUAGES:
        ts = TRANSLATIONS / f"kvchat_{language}.ts"
        update_ts(ts)
        release(ts, ts.with_suffix(".qm"))
        print(ts.relative_to(ROOT), "and", ts.with_suffix(".qm").name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
