"""GGUF models already on this computer: in LM Studio's folder, the Hugging Face hub cache,
GPT4All's folder, Ollama's blobs (named through its manifests), and this app's own folder; with the
model loaded now and the recent ones (wherever they are) marked as such."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.paths import data_dir
from app.engine.errors import ModelFileError
from app.engine.gguf.header import read_gguf_header
from app.engine.gguf.info import ModelInfo, read_model_info
from app.i18n import QT_TRANSLATE_NOOP, translate

# Where models are found, in English (FoundModel.source gives them in the user's language).
LM_STUDIO = "LM Studio"
HF_CACHE = QT_TRANSLATE_NOOP("ModelLibrary", "Hugging Face cache")
GPT4ALL = "GPT4All"
OLLAMA = "Ollama"
OWN = "KV Chat"
STARTER = QT_TRANSLATE_NOOP("ModelLibrary", "Starter model")
OPENED_BEFORE = QT_TRANSLATE_NOOP("ModelLibrary", "Opened in KV Chat")
# How a listed model stands in the app (FoundModel.marks; the window words them).
LOADED = "loaded"
RECENT = "recent"
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
NOT_CHAT_MODELS = ("clip", "mllama_vision")  # vision projectors ship as GGUF files too
OLLAMA_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
MAX_MANIFEST_BYTES = 1 << 20  # Ollama's manifests are a few hundred bytes
ERROR_TEXT_LIMIT = 300  # characters of an unforeseen error shown for a file


@dataclass(frozen=True)
class FoundModel:
    path: str
    name: str
    source: str  # where it was found, as the user reads it
    size: int
    info: ModelInfo | None = None
    error: str | None = None  # why the header could not be read
    marks: tuple[str, ...] = ()  # LOADED, RECENT


def own_models_dir() -> Path:
    return data_dir() / "models"


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def default_folders() -> dict[str, list[Path]]:
    """Where each tool keeps its models on this platform (overridable by the tools' own variables)."""
    home = _home()
    if sys.platform == "win32":
        local = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
        gpt4all = [local / "nomic.ai" / "GPT4All"]
    elif sys.platform == "darwin":
        gpt4all = [home / "Library" / "Application Support" / "nomic.ai" / "GPT4All"]
    else:
        gpt4all = [Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share")) / "nomic.ai" / "GPT4All"]
    lm_studio = [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]
    if os.environ.get("LMSTUDIO_MODELS_DIR"):
        lm_studio.insert(0, Path(os.environ["LMSTUDIO_MODELS_DIR"]))
    ollama = [Path(os.environ["OLLAMA_MODELS"])] if os.environ.get("OLLAMA_MODELS") else [
        home / ".ollama" / "models", Path("/usr/share/ollama/.ollama/models")]
    return {LM_STUDIO: lm_studio, GPT4ALL: gpt4all, OLLAMA: ollama, OWN: [own_models_dir()]}


def _gguf_files(folder: Path) -> Iterable[Path]:
    if folder.is_dir():
        yield from (p for p in sorted(folder.rglob("*.gguf")) if p.is_file())


def _ollama_models(folder: Path) -> Iterable[tuple[str, Path]]:
    """(name:tag, blob) for every model Ollama has pulled, from its manifests. A manifest of any
    other shape names no model and is passed over; it never hides the others."""
    manifests, blobs = folder / "manifests", folder / "blobs"
    if not manifests.is_dir():
        return
    for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
        parts = manifest.relative_to(manifests).parts  # registry/namespace/model/tag
        if len(parts) < 2:  # a file directly under manifests/ names no model
            continue
        for digest in _model_digests(manifest):
            blob = blobs / digest.replace(":", "-")  # one plain name inside blobs: the digest was checked
            model, tag = parts[-2], parts[-1]
            namespace = parts[-3] if len(parts) >= 3 else "library"
            name = f"{model}:{tag}" if namespace == "library" else f"{namespace}/{model}:{tag}"
            if blob.is_file():
                yield name, blob


def _model_digests(manifest: Path) -> list[str]:
    """The model layers' digests ("sha256:" and 64 hex digits) in one Ollama manifest; none if it is not one."""
    try:
        if manifest.stat().st_size > MAX_MANIFEST_BYTES:
            return []
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # unreadable, not UTF-8, not JSON, nested too deep
        return []
    layers = data.get("layers") if isinstance(data, dict) else None
    if not isinstance(layers, list):
        return []
    return [layer["digest"] for layer in layers
            if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER
            and isinstance(layer.get("digest"), str) and OLLAMA_DIGEST.fullmatch(layer["digest"])]


def _hf_cache_models(cache_dir: Path | None) -> Iterable[tuple[str, Path]]:
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        cache = scan_cache_dir(cache_dir)
    except (CacheNotFound, OSError, ValueError):
        return
    for repo in cache.repos:
        for revision in repo.revisions:
            for file in revision.files:
                if file.file_name.endswith(".gguf"):
                    yield f"{repo.repo_id}/{file.file_name}", Path(file.file_path)


def _architecture(path: Path, info: ModelInfo | None) -> str | None:
    if info is not None:
        return info.architecture
    try:  # a projector lacks what a language model needs, so only its header says what it is
        architecture = read_gguf_header(path).fields.get("general.architecture")
    except Exception:  # its error is already the one listed for this file, from reading its model facts
        return None
    return architecture if isinstance(architecture, str) else None


def _read_info(path: Path) -> tuple[ModelInfo | None, str | None]:
    """The file's model facts, or why they cannot be read. Whatever reading one file raises, it
    is that file's error: the scan goes on to the others."""
    try:
        return read_model_info(path), None
    except ModelFileError as exc:
        return None, str(exc)
    except Exception as exc:  # a header the reader does not foresee: ValueError, RecursionError, MemoryError...
        return None, translate("ModelLibrary", "{file}: its header cannot be read ({error}).").format(
            file=path.name, error=f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT])


def scan_models(folders: dict[str, list[Path]] | None = None, hf_cache_dir: Path | None = None,
                read_headers: bool = True) -> list[FoundModel]:
    """Every GGUF found, once each (the same file reached two ways is listed once)."""
    folders = default_folders() if folders is None else folders
    candidates: list[tuple[str, str, Path]] = []
    for source, roots in folders.items():
        for root in roots:
            if source == OLLAMA:
                candidates += [(OLLAMA, name, blob) for name, blob in _ollama_models(root)]
            else:
                candidates += [(source, p.stem, p) for p in _gguf_files(root)]
    candidates += [(HF_CACHE, name, path) for name, path in _hf_cache_models(hf_cache_dir)]

    found, seen = [], set()
    for source, name, path in candidates:
        try:
            real = path.resolve()
            size = real.stat().st_size
        except (OSError, RuntimeError):  # gone, unreadable, or a loop of links
            continue
        if real in seen:
            continue
        seen.add(real)
        info, error = None, None
        if read_headers:
            info, error = _read_info(path)
            if _architecture(path, info) in NOT_CHAT_MODELS:
                continue
        found.append(FoundModel(str(path), name, translate("ModelLibrary", source), size, info, error))
    return found


def list_models(loaded: str | None, recent: Sequence[str], starter: Path | str | None = None,
                folders: dict[str, list[Path]] | None = None, hf_cache_dir: Path | None = None) -> list[FoundModel]:
    """What the models window lists: the model loaded now and the recent ones, marked, first; then the
    rest of what the scan finds. A file both known and found is listed once, under the tool that keeps it."""
    found = scan_models(folders, hf_cache_dir)
    by_path: dict[Path, int] = {}
    for index, model in enumerate(found):
        by_path.setdefault(_resolved(model.path), index)
    known: list[FoundModel] = []
    seen: set[Path] = set()
    for path in ([loaded] if loaded else []) + list(recent):
        real = _resolved(path) if path else None
        if real is None or real in seen:
            continue  # a recent file since deleted or moved cannot be opened
        seen.add(real)
        marks = (LOADED,) if path == loaded else (RECENT,)
        if real in by_path:
            index = by_path.pop(real)
            known.append(replace(found[index], marks=marks))
            found[index] = None
            continue
        source = STARTER if starter is not None and real == _resolved(str(starter)) else OPENED_BEFORE
        info, error = _read_info(Path(path))
        known.append(FoundModel(path, Path(path).stem, translate("ModelLibrary", source), real.stat().st_size,
                                info, error, marks))
    return known + [model for model in found if model is not None]


def _resolved(path: str) -> Path | None:
    try:
        real = Path(path).resolve()
        return real if real.is_file() else None
    except (OSError, RuntimeError):
        return None
