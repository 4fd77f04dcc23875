"""Finding the GGUF models other tools keep, in their real folder layouts (built here)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
from gguf import GGUFWriter

from app.core.model_library import GPT4ALL, HF_CACHE, LM_STUDIO, LOADED, OLLAMA, OWN, RECENT, list_models, scan_models
from tests import model_files


def place(model: Path, dest: Path) -> Path:
    """A hard link where possible (same bytes, no copy), else a copy."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(model, dest)
    except OSError:
        shutil.copyfile(model, dest)
    return dest


def vision_projector(dest: Path) -> Path:
    writer = GGUFWriter(str(dest), "clip")
    writer.add_tensor("v.patch_embd.weight", np.zeros((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dest


def build_layouts(root: Path, model: Path) -> dict[str, list[Path]]:
    lm = root / "lmstudio" / "models"
    place(model, lm / "HuggingFaceTB" / "SmolLM2-GGUF" / "smollm2-q4_1.gguf")
    vision_projector(lm / "HuggingFaceTB" / "SmolLM2-GGUF" / "mmproj-f16.gguf")
    (lm / "broken").mkdir(parents=True)
    model_files.random_bytes(lm / "broken" / "noise.gguf")
    gpt4all = root / "gpt4all"
    place(model, gpt4all / "SmolLM2 local.gguf")
    ollama = root / "ollama" / "models"
    digest = "a" * 64
    place(model, ollama / "blobs" / f"sha256-{digest}")
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [
        {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}", "size": 1},
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "b" * 64, "size": 1},
    ]}))
    own = root / "own"
    place(model, own / "downloaded.gguf")
    return {LM_STUDIO: [lm, root / "not-there"], GPT4ALL: [gpt4all], OLLAMA: [ollama], OWN: [own]}


def build_hf_cache(root: Path, model: Path) -> Path:
    cache = root / "hf" / "hub"
    repo = cache / "models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF"
    commit = "c" * 40
    place(model, repo / "blobs" / ("d" * 64))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit / "smollm2-135m-instruct-q4_1.gguf"
    snapshot.parent.mkdir(parents=True)
    os.symlink(os.path.relpath(repo / "blobs" / ("d" * 64), snapshot.parent), snapshot)
    return cache


def test_models_from_every_tool_are_found_and_described(starter_model, tmp_path):
    folders = build_layouts(tmp_path, starter_model)
    found = scan_models(folders, hf_cache_dir=build_hf_cache(tmp_path, starter_model))
    by_source = {}
    for m in found:
        by_source.setdefault(m.source, []).append(m)
    assert {s: sorted(m.name for m in ms) for s, ms in by_source.items()} == {
        LM_STUDIO: ["noise", "smollm2-q4_1"],
        GPT4ALL: ["SmolLM2 local"],
        OLLAMA: ["smollm2:135m"],
        OWN: ["downloaded"],
        HF_CACHE: ["HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q4_1.gguf"],
    }
    good = [m for m in found if m.error is None]
    assert all(m.info.architecture == "llama" and m.info.quantization == "Q4_1" and m.info.n_ctx_train == 8192
               and m.size == starter_model.stat().st_size for m in good)
    (broken,) = [m for m in found if m.error]
    assert "not a GGUF model" in broken.error
    assert not any("mmproj" in m.name for m in found)  # a vision projector is not a chat model


def test_nothing_installed_finds_nothing(tmp_path):
    assert scan_models({LM_STUDIO: [tmp_path / "none"]}, hf_cache_dir=tmp_path / "no-cache") == []


def test_the_same_file_reached_twice_is_listed_once(starter_model, tmp_path):
    a = place(starter_model, tmp_path / "a" / "model.gguf")
    (tmp_path / "b").mkdir()
    os.symlink(a, tmp_path / "b" / "same.gguf")
    found = scan_models({LM_STUDIO: [tmp_path / "a"], GPT4ALL: [tmp_path / "b"]}, hf_cache_dir=tmp_path / "none",
                        read_headers=False)
    assert len(found) == 1


def test_the_loaded_and_recent_models_are_listed_and_marked_wherever_they_are(starter_model, gemma_model, tmp_path):
    folders = build_layouts(tmp_path, starter_model)
    kept_elsewhere = place(gemma_model, tmp_path / "my models" / "gemma.gguf")
    gone = tmp_path / "deleted.gguf"
    listed = list_models(str(starter_model), [str(kept_elsewhere), str(starter_model), str(gone), str(kept_elsewhere)],
                         starter=starter_model, folders=folders, hf_cache_dir=tmp_path / "no-hf")
    first, second = listed[:2]
    assert (first.path, first.marks, first.source) == (str(starter_model), (LOADED,), "Starter model")
    assert first.info is not None and first.info.n_ctx_train == 8192
    assert (second.path, second.marks, second.source) == (str(kept_elsewhere), (RECENT,), "Opened in KV Chat")
    assert second.info.architecture == "gemma3"
    assert str(gone) not in [m.path for m in listed]  # a recent file deleted since cannot be opened
    assert [m.path for m in listed].count(str(kept_elsewhere)) == 1
    assert {m.source for m in listed[2:]} == {LM_STUDIO, GPT4ALL, OLLAMA, OWN} and not any(m.marks for m in listed[2:])


def test_a_recent_model_the_scan_finds_keeps_its_source_and_is_marked(starter_model, tmp_path):
    folders = build_layouts(tmp_path, starter_model)
    in_lm_studio = tmp_path / "lmstudio" / "models" / "HuggingFaceTB" / "SmolLM2-GGUF" / "smollm2-q4_1.gguf"
    listed = list_models(None, [str(in_lm_studio)], folders=folders, hf_cache_dir=tmp_path / "no-hf")
    assert (listed[0].path, listed[0].source, listed[0].marks) == (str(in_lm_studio), LM_STUDIO, (RECENT,))
    assert [m.path for m in listed].count(str(in_lm_studio)) == 1
    assert len(listed) == len(scan_models(folders, tmp_path / "no-hf"))


def test_nothing_loaded_nothing_recent_is_the_scan(tmp_path):
    assert list_models(None, [], folders={}, hf_cache_dir=tmp_path / "none") == []
