"""Facts about a model that decide its KV-cache size, read from the GGUF header alone.

The rules mirror how llama.cpp (the release pinned in pyproject) derives its hyper-parameters:
per-layer KV head counts, K/V head sizes, and which layers use sliding-window attention.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache

from gguf.constants import LlamaFileType

from app.engine.errors import ModelFileError
from app.engine.gguf import limits as gguf_limits
from app.engine.gguf.fields import UINT32_MAX, HeaderFields
from app.engine.gguf.header import GgufHeader, SkippedArray, read_gguf_header
from app.engine.gguf.limits import LLAMA_MAX_LAYERS
from app.i18n import translate

_log = logging.getLogger(__name__)

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
    weights: LayerWeights  # tensor bytes per part, for placing them on devices

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


@dataclass(frozen=True)
class LayerWeights:
    """The tensor bytes of each part llama.cpp places on a device of its own (llama-model.cpp,
    load_tensors): the input layer (always the CPU), each repeating layer, and the output layer."""

    input_bytes: int
    layer_bytes: tuple[int, ...]
    output_bytes: int
    tied_output_bytes: int  # no output matrix: llama.cpp copies the token embedding to the output's device


def _layer_weights(tensors, n_layer: int) -> LayerWeights:
    layers = [0] * n_layer
    input_bytes = output_bytes = embedding = 0
    has_output = False
    for t in tensors:
        head, _, rest = t.name.partition(".")
        index, _, _ = rest.partition(".")
        if head == "blk" and index.isdigit() and int(index) < n_layer:
            layers[int(index)] += t.n_bytes
        elif head in ("output", "output_norm"):
            output_bytes += t.n_bytes
            has_output = has_output or t.name == "output.weight"
        else:
            input_bytes += t.n_bytes
            if t.name == "token_embd.weight":
                embedding = t.n_bytes
    return LayerWeights(input_bytes, tuple(layers), output_bytes, 0 if has_output else embedding)


def _swa_layers(fields: HeaderFields, arch: str, n_layer: int, window: int) -> tuple[bool, ...]:
    if window <= 0:
        return (False,) * n_layer
    key = f"{arch}.attention.sliding_window_pattern"
    pattern = fields.raw.get(key)
    if isinstance(pattern, list):  # one flag per layer
        return tuple(bool(v) for v in fields.per_layer(key, n_layer, 0, 1))
    n_pattern, dense_first = _SWA_PATTERNS.get(arch, (0, False))
    if pattern is not None:
        n_pattern = fields.integer(key, 0, LLAMA_MAX_LAYERS)
    if n_pattern == 0:
        return (True,) * n_layer
    if dense_first:
        return tuple(il % n_pattern != 0 for il in range(n_layer))
    return tuple(il % n_pattern < n_pattern - 1 for il in range(n_layer))


def _quantization_name(file_type) -> str:
    if isinstance(file_type, bool) or not isinstance(file_type, int):
        return translate("ModelFile", "unknown")
    try:
        return LlamaFileType(file_type).name.replace("MOSTLY_", "").replace("ALL_", "")
    except ValueError:
        return translate("ModelFile", "type {number}").format(number=file_type)


def model_info_from_header(path: str, header: GgufHeader) -> ModelInfo:
    """Model facts from a parsed header. Every value is type- and range-checked (gguf_fields) and
    held to llama.cpp's hard limits (gguf_limits) before any loop over layers runs."""
    fields = HeaderFields(header.fields)
    arch = fields.need("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelFileError(translate(
            "ModelFile", "its 'general.architecture' is not a name: the file is damaged."))
    n_layer = gguf_limits.block_count(fields, arch)
    n_embd = fields.integer(f"{arch}.embedding_length", 0, gguf_limits.MAX_EMBEDDING, required=True)
    if n_embd == 0:
        raise ModelFileError(translate(
            "ModelFile", "it declares no layers: it is not a language model llama.cpp can run."))
    n_head = fields.per_layer(f"{arch}.attention.head_count", n_layer, 0, gguf_limits.MAX_HEADS, required=True)
    n_head_kv = fields.per_layer(f"{arch}.attention.head_count_kv", n_layer, 0, gguf_limits.MAX_HEADS,
                                 default=n_head)
    gguf_limits.check_heads(arch, n_head, n_head_kv)
    first_heads = next((h for h in n_head if h), 0)
    default_head_dim = n_embd // first_heads if first_heads else 0
    head_dim_k = fields.integer(f"{arch}.attention.key_length", 0, gguf_limits.MAX_HEAD_SIZE, default=default_head_dim)
    head_dim_v = fields.integer(f"{arch}.attention.value_length", 0, gguf_limits.MAX_HEAD_SIZE,
                                default=default_head_dim)
    if first_heads:
        gguf_limits.check_head_sizes(fields, arch, head_dim_k, head_dim_v)
    gguf_limits.check_experts(fields, arch, n_layer)
    gguf_limits.check_layers(fields, arch, n_layer)

    window = fields.integer(f"{arch}.attention.sliding_window", 0, UINT32_MAX, default=_DEFAULT_WINDOW.get(arch, 0))
    swa_layers = _swa_layers(fields, arch, n_layer, window)

    tokens = fields.raw.get("tokenizer.ggml.tokens")
    n_vocab = tokens.length if isinstance(tokens, SkippedArray) else len(tokens) if isinstance(tokens, list) else 0
    n_vocab = fields.integer(f"{arch}.vocab_size", 0, UINT32_MAX, default=n_vocab) or n_vocab

    notes = []
    if any(marker in key for key in fields.raw for marker in _SPECIAL_CACHE_MARKERS):
        notes.append(translate(
            "ModelFile", "llama.cpp keeps a special cache for '{arch}' (recurrent, latent or shared layers)").format(
            arch=arch))
    if window and arch not in _SWA_PATTERNS and f"{arch}.attention.sliding_window_pattern" not in fields:
        notes.append(translate("ModelFile", "the sliding-window layer pattern of '{arch}' is not known here").format(
            arch=arch))
    if f"{arch}.attention.key_length_swa" in fields or f"{arch}.attention.value_length_swa" in fields:
        notes.append(translate("ModelFile", "sliding-window layers use their own head size"))

    chat_template = fields.raw.get("tokenizer.chat_template")
    name = fields.raw.get("general.name")
    return ModelInfo(
        path=path,
        file_bytes=header.file_bytes,
        weights_bytes=sum(t.n_bytes for t in header.tensors),
        architecture=arch,
        name=name if isinstance(name, str) else "",
        quantization=_quantization_name(fields.raw.get("general.file_type")),
        n_layer=n_layer,
        n_embd=n_embd,
        n_vocab=n_vocab,
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim_k=head_dim_k,
        head_dim_v=head_dim_v,
        n_ctx_train=fields.integer(f"{arch}.context_length", 0, 2**64, default=0),
        sliding_window=window if any(swa_layers) else 0,
        swa_layers=swa_layers,
        chat_template=chat_template if isinstance(chat_template, str) and chat_template.strip() else None,
        has_weights=bool(header.tensors),
        cache_layout_exact=not notes,
        cache_layout_note=translate("ModelFile", "; ").join(notes),
        weights=_layer_weights(header.tensors, n_layer),
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
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ModelFileError(translate("ModelFile", "{path}: the file cannot be read: {reason}.").format(
            path=path, reason=getattr(exc, "strerror", None) or exc)) from None
    try:
        return _cached_info(path, st.st_size, st.st_mtime_ns)
    except ModelFileError as exc:
        raise ModelFileError(f"{os.path.basename(path)}: {exc}") from None
    except Exception as exc:  # the checks above should say it first; a header must never raise anything else
        _log.exception("unexpected failure reading %s", path)
        raise ModelFileError(translate("ModelFile", "{name}: its header cannot be understood ({error}).").format(
            name=os.path.basename(path), error=f"{type(exc).__name__}: {exc}")) from None
