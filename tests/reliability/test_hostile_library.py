"""Hostile files where the library looks for models: an Ollama digest that is a path, manifests of
every odd shape, GGUF headers the reader does not foresee. Real folders, real files (GGUFs
written byte by byte by tests/hostile_gguf.py), the real starter model, the real scan and the
real models window offscreen.

What must hold: one odd file never hides the others; a file outside the folders scanned is
never listed or read; a file that cannot be read is listed with its error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import app.core.model_library as model_library
from app.core.model_library import LM_STUDIO, OLLAMA, scan_models
from tests.hostile_gguf import ARRAY, FLOAT32, STRING, UINT32, llama_fields, nested_array, write_gguf
from tests.reliability.models_window_fixture import models_window  # noqa: F401
from tests.core.test_model_library import place

GOOD_DIGEST = "a" * 64
HOSTILE_HEADERS = {
    "block-count-two": llama_fields(block_count=(STRING, "two")),
    "block-count-nan": llama_fields(block_count=(FLOAT32, float("nan"))),
    "head-count-kv-strings": llama_fields(**{"attention.head_count_kv": (ARRAY, (STRING, ["two", "two"]))}),
    "head-count-kv-string": llama_fields(**{"attention.head_count_kv": (STRING, "two")}),
    "nested-5000-deep": llama_fields(**{"general.deep": (ARRAY, nested_array(5000))}),
}


def no_cache(tmp_path: Path) -> Path:
    return tmp_path / "no-hf-cache"


# -- Ollama's manifests ------------------------------------------------------------------------------------

def ollama_with_one_model(root: Path, model: Path) -> Path:
    folder = root / "ollama" / "models"
    place(model, folder / "blobs" / f"sha256-{GOOD_DIGEST}")
    write_manifest(folder / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m",
                   {"schemaVersion": 2, "layers": [model_layer(f"sha256:{GOOD_DIGEST}")]})
    return folder


def model_layer(digest) -> dict:
    return {"mediaType": "application/vnd.ollama.image.model", "digest": digest, "size": 1}


def write_manifest(path: Path, content) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_an_ollama_digest_that_is_a_path_is_neither_listed_nor_read(starter_model, tmp_path):
    folder = ollama_with_one_model(tmp_path, starter_model)
    (folder / "blobs" / "sha256-x").mkdir()  # so that ".." from it resolves
    outside = place(starter_model, folder.parent / "outside" / "m.gguf")
    write_manifest(folder / "manifests" / "registry.ollama.ai" / "library" / "evil" / "latest",
                   {"layers": [model_layer("sha256:x/../../../outside/m.gguf")]})
    found = scan_models({OLLAMA: [folder]}, hf_cache_dir=no_cache(tmp_path))
    assert [m.name for m in found] == ["smollm2:135m"]
    assert all(Path(m.path).resolve().parent == (folder / "blobs").resolve() for m in found)
    assert outside.is_file()


ODD_MANIFESTS = {
    "layers-of-strings": ("library/odd/latest", {"layers": ["x"]}),
    "layers-a-number": ("library/odd/latest", {"layers": 5}),
    "layer-digest-a-number": ("library/odd/latest", {"layers": [model_layer(5)]}),
    "digest-not-64-hex": ("library/odd/latest", {"layers": [model_layer("sha256:" + "a" * 63)]}),
    "a-list": ("library/odd/latest", [{"layers": []}]),
    "not-json": ("library/odd/latest", b"\x00\xffGGUF"),
    "nested-100000-deep": ("library/odd/latest", "[" * 100_000 + "]" * 100_000),
    "directly-under-manifests": ("latest", {"layers": [model_layer(f"sha256:{GOOD_DIGEST}")]}),
    "a-digest-beside-the-blob": ("library/odd/latest", {"layers": [model_layer("sha256:" + "b" * 64)]}),
}


@pytest.mark.parametrize("kind", list(ODD_MANIFESTS))
def test_an_odd_manifest_never_hides_the_others(kind, starter_model, tmp_path):
    folder = ollama_with_one_model(tmp_path, starter_model)
    where, content = ODD_MANIFESTS[kind]
    write_manifest(folder / "manifests" / where, content)
    found = scan_models({OLLAMA: [folder]}, hf_cache_dir=no_cache(tmp_path))
    assert [m.name for m in found] == ["smollm2:135m"]
    assert found[0].info is not None and found[0].info.quantization == "Q4_1"


# -- GGUF headers the reader does not foresee -------------------------------------------------------------

def folder_with_hostile_headers(folder: Path, starter_model: Path) -> Path:
    place(starter_model, folder / "good" / "smollm2.gguf")
    for name, fields in HOSTILE_HEADERS.items():
        (folder / "hostile").mkdir(parents=True, exist_ok=True)
        write_gguf(folder / "hostile" / f"{name}.gguf", fields)
    return folder


def assert_good_listed_and_hostile_explained(found) -> None:
    by_name = {m.name: m for m in found}
    assert sorted(by_name) == sorted(["smollm2", *HOSTILE_HEADERS])
    good = by_name.pop("smollm2")
    assert good.error is None and good.info.n_layer == 30 and good.info.quantization == "Q4_1"
    for name, model in by_name.items():
        assert model.info is None and model.error, name


def test_hostile_headers_in_a_scanned_folder_never_hide_the_good_model(starter_model, tmp_path):
    folder = folder_with_hostile_headers(tmp_path / "lmstudio", starter_model)
    assert_good_listed_and_hostile_explained(scan_models({LM_STUDIO: [folder]}, hf_cache_dir=no_cache(tmp_path)))


@pytest.mark.parametrize("error", [ValueError("invalid literal for int()"), OverflowError("int too large"),
                                   RecursionError("maximum recursion depth exceeded"), MemoryError(),
                                   KeyError("llama.block_count"), TypeError("'NoneType' object")])
def test_whatever_reading_one_file_raises_it_is_listed_with_its_error(error, starter_model, tmp_path, monkeypatch):
    """However the header reader fails on a file, the scan goes on: it does not rely on the reader
    turning every failure into a ModelFileError."""
    folder = tmp_path / "lmstudio"
    place(starter_model, folder / "good.gguf")
    place(starter_model, folder / "odd.gguf")
    read = model_library.read_model_info

    def read_model_info(path):
        if Path(path).name == "odd.gguf":
            raise error
        return read(path)

    monkeypatch.setattr(model_library, "read_model_info", read_model_info)
    by_name = {m.name: m for m in scan_models({LM_STUDIO: [folder]}, hf_cache_dir=no_cache(tmp_path))}
    assert sorted(by_name) == ["good", "odd"]
    assert by_name["good"].info is not None and by_name["good"].error is None
    assert by_name["odd"].info is None and type(error).__name__ in by_name["odd"].error


MEMORY_CAP = 4 << 30  # address space: the 16 GB a block_count of 2e9 once asked for cannot be had
SCAN_UNDER_A_CAP = """
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from app.core.model_library import LM_STUDIO, scan_models
found = scan_models({{LM_STUDIO: [Path(sys.argv[1])]}}, hf_cache_dir=Path(sys.argv[2]))
print(json.dumps([[m.name, m.error, m.info is not None] for m in found]))
"""


def test_a_block_count_of_two_billion_under_a_memory_cap_hides_nothing(starter_model, tmp_path):
    folder = tmp_path / "lmstudio"
    place(starter_model, folder / "good.gguf")
    write_gguf(folder / "two-billion-layers.gguf", llama_fields(block_count=(UINT32, 2_000_000_000)))
    result = subprocess.run([sys.executable, "-c", SCAN_UNDER_A_CAP.format(cap=MEMORY_CAP), str(folder),
                             str(no_cache(tmp_path))], cwd=Path(__file__).parents[2], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    by_name = {name: (error, has_info) for name, error, has_info in json.loads(result.stdout)}
    assert by_name["good"] == (None, True)
    error, has_info = by_name["two-billion-layers"]
    assert not has_info and error


# -- the same, in the models window ------------------------------------------------------------------------

def test_the_models_window_lists_the_good_model_beside_hostile_files(models_window, loop, starter_model, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    folder_with_hostile_headers(tmp_path / ".lmstudio" / "models", starter_model)
    ollama_with_one_model(tmp_path / ".ollama-root", starter_model)
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / ".ollama-root" / "ollama" / "models"))
    write_manifest(tmp_path / ".ollama-root" / "ollama" / "models" / "manifests" / "latest", {"layers": 5})
    found = loop.run_until_complete(models_window.refresh())
    table = models_window.table
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}
    assert table.rowCount() == len(found)
    assert len([m for m in found if m.source in (LM_STUDIO, OLLAMA)]) == len(HOSTILE_HEADERS) + 2
    assert rows["smollm2"][2] == "Q4_1" and rows["smollm2:135m"][2] == "Q4_1"
    for name in HOSTILE_HEADERS:
        assert rows[name][4].startswith("unreadable: "), rows[name]
