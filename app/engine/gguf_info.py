"""Facts about a model that decide its KV-cache size, read from the GGUF header alone.

The rules mirror how llama.cpp (the release pinned in pyproject) derives its hyper-parameters:
per-layer KV head counts, K/V head sizes, and which layers use sliding-window attention.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from gguf.constants import LlamaFileType

from app.engine.errors import ModelFileError
from app.engine.gguf_header import GgufHeader, SkippedArray, read_gguf_header
from app.engine.i18n import translate

# Architectures with sliding-window layers, and llama.cpp's default layer pattern for each:
# (n_pattern, dense_first). Layer il is SWA iff il % n != n-1 (or il % n != 0 when dense_first).
_SWA_PATTERNS = {
    "gemma2": (2, False),
    "gemma3": (6, False),
    "cohere2": (4, False),
    "exaone4": (4, False),
}
# Gemma 2 declares no window in older files; llama.cpp assumes this one.
_DEFAULT_WINDOW = {"gemma2": 4096}

# Header keys that mean llama.cpp keeps a cache this estimate does not model exactly
# (recurrent state, latent attention, shared KV layers, extra prediction layers).
_SPECIAL_CACHE_MARKERS = (".ssm.", ".wkv.", ".shortconv.", "kv_lora_rank", "shared_kv_layers", "nextn_predict_layers")


@dataclass(frozen=True)
class ModelInfo:
    path: str
    file_bytes: int
    weights_bytes: int
    architecture: str
    name: str
    quantization: str
    n_layer: int
    n_embd: int
    n_vocab: int
    n_head: tuple[int, ...]  # per layer
    n_head_kv: tuple[int, ...]  # per layer
    head_dim_k: int
    head_dim_v: int
    n_ctx_train: int
    sliding_window: int  # tokens; 0 when the model has none
    swa_layers: tuple[bool, ...]  # per layer: True for a sliding-window layer
    chat_template: str | None
    has_weights: bool
    cache_layout_exact: bool  # False where llama.cpp keeps a cache this app does not model
    cache_layout_note: str

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)

    @property
    def has_sliding_window(self) -> bool:
        return self.sliding_window > 0 and any(self.swa_layers)

    @property
    def n_swa_layers(self) -> int:
        return sum(self.swa_layers)

    @property
    def display_name(self) -> str:
        """The file name without .gguf: what users recognise (header names are often odd)."""
        base = os.path.basename(self.path)
        return base[:-5] if base.lower().endswith(".gguf") else base

    def n_embd_k_gqa(self, layer: int) -> int:
        return self.n_head_kv[layer] * self.head_dim_k

    def n_embd_v_gqa(self, layer: int) -> int:
        return self.n_head_kv[layer] * self.head_dim_v


def _per_layer(value, n_layer: int, key: str) -> tuple[int, ...]:
    if isinstance(value, list):
        if len(value) != n_layer:
            raise ModelFileError(translate(
                "ModelFile", "'{key}' lists {listed} layers but the model has {layers}.").format(
                key=key, listed=len(value), layers=n_layer))
        return tuple(int(v) for v in value)
    return (int(value),) * n_layer


def _swa_layers(fields: dict, arch: str, n_layer: int, window: int) -> tuple[bool, ...]:
    if window <= 0:
        return (False,) * n_layer
    pattern = fields.get(f"{arch}.attention.sliding_window_pattern")
    if isinstance(pattern, list):
        return tuple(bool(v) for v in pattern[:n_layer])
    n_pattern, dense_first = _SWA_PATTERNS.get(arch, (0, False))
    if isinstance(pattern, int):
        n_pattern = pattern
    if n_pattern == 0:
        return (True,) * n_layer
    if dense_first:
        return tuple(il % n_pattern != 0 for il in range(n_layer))
    return tuple(il % n_pattern < n_pattern - 1 for il in range(n_layer))


def _quantization_name(file_type) -> str:
    if not isinstance(file_type, int):
        return translate("ModelFile", "unknown")
    try:
        return LlamaFileType(file_type).name.replace("MOSTLY_", "").replace("ALL_", "")
    except ValueError:
        return translate("ModelFile", "type {number}").format(number=file_type)


def model_info_from_header(path: str, header: GgufHeader) -> ModelInfo:
    fields = header.fields

    def need(key: str):
        if key not in fields:
            raise ModelFileError(translate(
                "ModelFile", "its header lacks '{key}', which llama.cpp needs to load it.").format(key=key))
        return fields[key]

    arch = need("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelFileError(translate(
            "ModelFile", "its 'general.architecture' is not a name: the file is damaged."))
    n_layer = int(need(f"{arch}.block_count"))
    n_embd = int(need(f"{arch}.embedding_length"))
    if n_layer <= 0 or n_embd <= 0:
        raise ModelFileError(translate(
            "ModelFile", "it declares no layers: it is not a language model llama.cpp can run."))
    n_head = _per_layer(need(f"{arch}.attention.head_count"), n_layer, f"{arch}.attention.head_count")
    n_head_kv = _per_layer(
        fields.get(f"{arch}.attention.head_count_kv", list(n_head)), n_layer, f"{arch}.attention.head_count_kv"
    )
    first_heads = next((h for h in n_head if h), 0)
    default_head_dim = n_embd // first_heads if first_heads else 0
    head_dim_k = int(fields.get(f"{arch}.attention.key_length", default_head_dim))
    head_dim_v = int(fields.get(f"{arch}.attention.value_length", default_head_dim))

    window = int(fields.get(f"{arch}.attention.sliding_window", _DEFAULT_WINDOW.get(arch, 0)) or 0)
    swa_layers = _swa_layers(fields, arch, n_layer, window)

    tokens = fields.get("tokenizer.ggml.tokens")
    n_vocab = tokens.length if isinstance(tokens, SkippedArray) else len(tokens or ())
    n_vocab = int(fields.get(f"{arch}.vocab_size", n_vocab) or n_vocab)

    notes = []
    if any(marker in key for key in fields for marker in _SPECIAL_CACHE_MARKERS):
        notes.append(translate(
            "ModelFile", "llama.cpp keeps a special cache for '{arch}' (recurrent, latent or shared layers)").format(
            arch=arch))
    if window and arch not in _SWA_PATTERNS and f"{arch}.attention.sliding_window_pattern" not in fields:
        notes.append(translate("ModelFile", "the sliding-window layer pattern of '{arch}' is not known here").format(
            arch=arch))
    if f"{arch}.attention.key_length_swa" in fields or f"{arch}.attention.value_length_swa" in fields:
        notes.append(translate("ModelFile", "sliding-window layers use their own head size"))

    chat_template = fields.get("tokenizer.chat_template")
    return ModelInfo(
        path=path,
        file_bytes=header.file_bytes,
        weights_bytes=sum(t.n_bytes for t in header.tensors),
        architecture=arch,
        name=str(fields.get("general.name") or ""),
        quantization=_quantization_name(fields.get("general.file_type")),
        n_layer=n_layer,
        n_embd=n_embd,
        n_vocab=n_vocab,
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim_k=head_dim_k,
        head_dim_v=head_dim_v,
        n_ctx_train=int(fields.get(f"{arch}.context_length", 0) or 0),
        sliding_window=window if any(swa_layers) else 0,
        swa_layers=swa_layers,
        chat_template=chat_template if isinstance(chat_template, str) and chat_template.strip() else None,
        has_weights=bool(header.tensors),
        cache_layout_exact=not notes,
        cache_layout_note=translate("ModelFile", "; ").join(notes),
    )


@lru_cache(maxsize=32)
def _cached_info(path: str, size: int, mtime_ns: int) -> ModelInfo:
    return model_info_from_header(path, read_gguf_header(path))


def read_model_info(path: str | os.PathLike) -> ModelInfo:
    """Model facts for a GGUF file, cached per (path, size, mtime). Raises ModelFileError."""
    path = os.path.abspath(os.fspath(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ModelFileError(translate("ModelFile", "{path}: the file does not exist.").format(path=path)) from None
    except OSError as exc:
        raise ModelFileError(translate("ModelFile", "{path}: the file cannot be read: {reason}.").format(
            path=path, reason=exc.strerror or exc)) from None
    try:
        return _cached_info(path, st.st_size, st.st_mtime_ns)
    except ModelFileError as exc:
        raise ModelFileError(f"{os.path.basename(path)}: {exc}") from None
