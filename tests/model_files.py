"""Broken and odd model files, made on the spot from the real starter model or with `gguf`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
from gguf import GGUFWriter

from app.engine.gguf.header import read_gguf_header


def truncated_copy(model: Path, dest: Path, keep_fraction: float = 0.5) -> Path:
    """The first part of a real model, as an interrupted download leaves it."""
    with open(model, "rb") as src, open(dest, "wb") as out:
        out.write(src.read(int(os.path.getsize(model) * keep_fraction)))
    return dest


def header_cut_copy(model: Path, dest: Path, n_bytes: int = 4096) -> Path:
    """A file that ends inside the metadata."""
    with open(model, "rb") as src, open(dest, "wb") as out:
        out.write(src.read(n_bytes))
    return dest


def wrong_magic_copy(model: Path, dest: Path) -> Path:
    shutil.copyfile(model, dest)
    with open(dest, "r+b") as fh:
        fh.write(b"GGML")
    return dest


def random_bytes(dest: Path, size: int = 1 << 20) -> Path:
    dest.write_bytes(np.random.default_rng(7).bytes(size))
    return dest


def empty(dest: Path) -> Path:
    dest.write_bytes(b"")
    return dest


def _write_llama_hparams(writer: GGUFWriter, arch_layers: int = 2) -> None:
    writer.add_block_count(arch_layers)
    writer.add_context_length(256)
    writer.add_embedding_length(64)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_layer_norm_rms_eps(1e-5)


def _write_vocab(writer: GGUFWriter, n: int = 8) -> None:
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([f"t{i}" for i in range(n)])
    writer.add_token_types([1] * n)
    writer.add_token_merges([])


def vocab_only(dest: Path) -> Path:
    """A GGUF with hyper-parameters and a vocabulary but no weights (like llama.cpp's ggml-vocab files)."""
    writer = GGUFWriter(str(dest), "llama")
    _write_llama_hparams(writer)
    _write_vocab(writer)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dest


def unknown_architecture(dest: Path) -> Path:
    """A well-formed GGUF whose architecture llama.cpp does not know."""
    writer = GGUFWriter(str(dest), "nosucharch")
    _write_llama_hparams(writer)
    _write_vocab(writer)
    writer.add_tensor("token_embd.weight", np.zeros((8, 64), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dest


def assert_is_gguf(path: Path) -> None:
    read_gguf_header(path)
