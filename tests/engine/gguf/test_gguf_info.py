"""Model facts from the GGUF header of the two real models, and clear errors for bad files."""

import os
import shutil

import pytest

from app.engine.errors import ModelFileError
from app.engine.gguf.info import read_model_info
from tests import model_files


def test_starter_model_facts(starter_model):
    info = read_model_info(starter_model)
    assert info.architecture == "llama"
    assert info.n_layer == 30
    assert info.n_head_kv == (3,) * 30
    assert (info.head_dim_k, info.head_dim_v) == (64, 64)
    assert info.n_ctx_train == 8192
    assert info.n_vocab == 49152
    assert not info.has_sliding_window and info.swa_layers == (False,) * 30
    assert info.has_chat_template and "<|im_start|>" in info.chat_template
    assert info.quantization == "Q4_1"
    assert info.file_bytes == os.path.getsize(starter_model)
    assert info.weights_bytes == 96_576_768  # llama.cpp reports 92.10 MiB of model buffer
    assert info.cache_layout_exact


def test_gemma3_sliding_window_facts(gemma_model):
    info = read_model_info(gemma_model)
    assert info.architecture == "gemma3"
    assert info.n_layer == 18
    assert info.n_head_kv == (1,) * 18
    assert (info.head_dim_k, info.head_dim_v) == (256, 256)
    assert info.n_ctx_train == 32768
    assert info.sliding_window == 512
    # llama.cpp's pattern for Gemma 3: every sixth layer is global, the rest slide.
    assert [il for il in range(18) if not info.swa_layers[il]] == [5, 11, 17]
    assert info.n_swa_layers == 15
    assert not info.has_chat_template  # a base model
    assert info.n_vocab == 262144


def test_header_reads_fast_enough_to_browse_models(gemma_model):
    import time

    started = time.monotonic()
    from app.engine.gguf.header import read_gguf_header

    header = read_gguf_header(gemma_model)
    assert len(header.tensors) == 236
    assert time.monotonic() - started < 5  # GGUFReader took ~40 s on this file


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda m, d: d / "missing.gguf", "does not exist"),
        (lambda m, d: d, "folder"),
        (lambda m, d: model_files.empty(d / "empty.gguf"), "empty"),
        (lambda m, d: model_files.random_bytes(d / "noise.gguf"), "not a GGUF model"),
        (lambda m, d: model_files.wrong_magic_copy(m, d / "magic.gguf"), "not a GGUF model"),
        (lambda m, d: model_files.header_cut_copy(m, d / "cut.gguf"), "truncated"),
        (lambda m, d: model_files.truncated_copy(m, d / "half.gguf"), "truncated"),
    ],
    ids=["missing", "directory", "empty", "random-bytes", "wrong-magic", "cut-in-header", "cut-in-weights"],
)
def test_bad_files_say_what_is_wrong(starter_model, tmp_path, make, message):
    path = make(starter_model, tmp_path)
    with pytest.raises(ModelFileError, match=message):
        read_model_info(path)


def test_vocab_only_file_has_no_weights(tmp_path):
    info = read_model_info(model_files.vocab_only(tmp_path / "vocab.gguf"))
    assert info.architecture == "llama"
    assert not info.has_weights


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(starter_model, tmp_path):
    path = tmp_path / "locked.gguf"
    shutil.copyfile(starter_model, path)
    path.chmod(0)
    with pytest.raises(ModelFileError, match="permission denied"):
        read_model_info(path)


def test_non_ascii_path_with_spaces(starter_model, tmp_path):
    folder = tmp_path / "我的 模型 (models)"
    folder.mkdir()
    path = folder / "SmolLM2 小模型.gguf"
    os.symlink(starter_model, path)
    assert read_model_info(path).n_layer == 30
