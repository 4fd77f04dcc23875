"""llama.cpp's hard limits on a model's header: where it would abort the process (GGML_ASSERT),
not fail with an error, a header beyond one is refused here, before llama.cpp sees the file.

Each check names the assertion in the llama.cpp vendored by the pinned llama-cpp-python:
src/llama-model.cpp `load_hparams` for the generic ones, ggml's `ggml_can_mul_mat` for the
attention heads, and the graph builders in src/models/*.cpp for the head sizes (listed by
scripts/llama_header_asserts.py). llama.cpp's own errors (a wrong type, a missing key, a
tensor of the wrong shape) need nothing here: they come back as a failed load with its words.
"""

from __future__ import annotations

from app.engine.errors import ModelFileError
from app.engine.gguf.fields import UINT32_MAX, HeaderFields
from app.i18n import translate

LLAMA_MAX_LAYERS = 512  # src/llama-hparams.h
LLAMA_MAX_EXPERTS = 1024
MAX_HEADS = 1 << 16  # no model comes near; bounds the per-layer arithmetic
MAX_EMBEDDING = 1 << 20
MAX_HEAD_SIZE = 1 << 16
ROPE_SCALING_TYPES = ("none", "linear", "yarn", "longrope")  # LLAMA_ROPE_SCALING_TYPES

# Architectures whose graph builder asserts `n_embd_head_v == n_embd_head_k`.
SAME_KV_HEAD_SIZE = frozenset({
    "afmoe", "apertus", "arcee", "arctic", "baichuan", "bailingmoe2",
    "bert", "bitnet", "bloom", "chameleon", "chatglm", "codeshell",
    "cogvlm", "cohere2", "cohere2moe", "command-r", "dbrx", "deci",
    "deepseek", "dflash", "dots1", "dream", "eagle3", "ernie4_5",
    "ernie4_5-moe", "eurobert", "exaone", "falcon", "glm4", "glm4moe",
    "gpt2", "gptneox", "granite", "granite_swa", "granitehybrid", "graniteswitch",
    "grok", "grovemoe", "hunyuan-moe", "hunyuan_vl", "hy_v3", "internlm2",
    "jais", "jais2", "laguna", "llada", "llada-moe", "llama",
    "llama4", "maincoder", "mellum", "minimax-01", "minimax-m2", "minimax-m3",
    "mistral3", "modern-bert", "mpt", "muse-glimmer", "nanbeige", "nemotron",
    "nemotron_h", "nemotron_h_moe", "neo-bert", "olmo", "olmo2", "olmoe",
    "openelm", "orion", "paddleocr", "pangu-embedded", "phi2", "phi3",
    "plamo", "pockettts", "qwen", "qwen2", "qwen2moe", "qwen2vl",
    "qwen3", "qwen35", "qwen35moe", "qwen3moe", "qwen3next", "qwen3vl",
    "qwen3vlmoe", "qwen4exp", "refact", "rnd1", "seed_oss", "smallthinker",
    "smollm3", "spark2_5", "stablelm", "starcoder", "starcoder2", "t5",
    "xverse",
})
# Architectures whose graph builder asserts `n_embd_head_v == n_rot` (RoPE over the whole head).
ROPE_OVER_WHOLE_HEAD = frozenset({
    "apertus", "arcee", "arctic", "baichuan", "chameleon", "codeshell",
    "cogvlm", "cohere2moe", "dbrx", "deci", "deepseek", "dots1",
    "dream", "ernie4_5", "ernie4_5-moe", "exaone", "exaone-moe", "exaone4",
    "falcon", "granite", "granite_swa", "graniteswitch", "grok", "grovemoe",
    "hunyuan-moe", "hunyuan_vl", "hy_v3", "internlm2", "jais2", "llada",
    "llada-moe", "llama", "llama4", "maincoder", "mellum", "minimax-01",
    "minimax-m2", "mistral3", "nemotron", "olmo", "olmo2", "olmoe",
    "orion", "paddleocr", "pangu-embedded", "plamo", "pockettts", "qwen2",
    "qwen2moe", "qwen2vl", "qwen3", "qwen3moe", "qwen3vl", "qwen3vlmoe",
    "rnd1", "seed_oss", "smallthinker", "smollm3", "starcoder2", "talkie",
    "xverse",
})


def _refuse(reason: str) -> ModelFileError:
    return ModelFileError(translate(
        "ModelFile", "llama.cpp would stop the whole program on this file: {reason}. The file is damaged or "
        "made for another program.").format(reason=reason))


def block_count(fields: HeaderFields, arch: str) -> int:
    """The layer count, checked before anything loops over layers
    (`GGML_ASSERT(n_layer_all > 0 && n_layer_all <= LLAMA_MAX_LAYERS)`)."""
    key = f"{arch}.block_count"
    value = fields.need(key)
    n_layer = HeaderFields.check_integer(key, value, 0, 2**64)
    if not 0 < n_layer <= LLAMA_MAX_LAYERS:
        raise _refuse(translate("ModelFile", "it declares {count:,} layers, and llama.cpp allows 1 to {max}").format(
            count=n_layer, max=LLAMA_MAX_LAYERS))
    return n_layer


def check_experts(fields: HeaderFields, arch: str, n_layer: int) -> None:
    """The mixture-of-experts counts `load_hparams` asserts on."""
    n_expert = fields.integer(f"{arch}.expert_count", 0, UINT32_MAX, default=0)
    used = fields.per_layer(f"{arch}.expert_used_count", n_layer, 0, UINT32_MAX, default=(0,) * n_layer)
    groups = fields.integer(f"{arch}.expert_group_count", 0, UINT32_MAX, default=0)
    group_used = fields.integer(f"{arch}.expert_group_used_count", 0, UINT32_MAX, default=0)
    used_max = max(used, default=0)
    if n_expert > LLAMA_MAX_EXPERTS:
        raise _refuse(translate("ModelFile", "it declares {count:,} experts, and llama.cpp allows at most {max:,}").format(
            count=n_expert, max=LLAMA_MAX_EXPERTS))
    if used_max > n_expert:
        raise _refuse(translate("ModelFile", "it uses {used} experts per token but has {count}").format(
            used=used_max, count=n_expert))
    if n_expert > 0:
        if used_max == 0:
            raise _refuse(translate("ModelFile", "it has {count} experts but uses none").format(count=n_expert))
        if groups >= n_expert:
            raise _refuse(translate("ModelFile", "it has {groups} expert groups for {count} experts").format(
                groups=groups, count=n_expert))
        if groups > 1 and (n_expert % groups or not 0 < group_used < groups):
            raise _refuse(translate(
                "ModelFile", "its {count} experts do not split into {groups} groups with {used} used").format(
                count=n_expert, groups=groups, used=group_used))
    elif groups:
        raise _refuse(translate("ModelFile", "it has expert groups but no experts"))


def check_layers(fields: HeaderFields, arch: str, n_layer: int) -> None:
    nextn = fields.integer(f"{arch}.nextn_predict_layers", 0, UINT32_MAX, default=0)
    if nextn > n_layer:
        raise _refuse(translate("ModelFile", "it declares {nextn} prediction layers beyond its {layers} layers").format(
            nextn=nextn, layers=n_layer))
    scaling = fields.text(f"{arch}.rope.scaling.type", "linear")
    if scaling not in ROPE_SCALING_TYPES:
        raise _refuse(translate("ModelFile", "its RoPE scaling type '{type}' is not one of {types}").format(
            type=scaling[:40], types=", ".join(ROPE_SCALING_TYPES)))


def check_heads(arch: str, n_head: tuple[int, ...], n_head_kv: tuple[int, ...]) -> None:
    """Attention multiplies K by Q with K's heads broadcast over Q's (`ggml_can_mul_mat`):
    each layer's head count must be a whole multiple of its KV head count."""
    for il, (heads, kv_heads) in enumerate(zip(n_head, n_head_kv)):
        if heads and kv_heads and (kv_heads > heads or heads % kv_heads):
            raise _refuse(translate(
                "ModelFile", "layer {layer} has {kv_heads} KV heads for {heads} attention heads; the heads must be a "
                "whole multiple of the KV heads").format(layer=il, kv_heads=kv_heads, heads=heads))


def check_head_sizes(fields: HeaderFields, arch: str, head_dim_k: int, head_dim_v: int) -> None:
    if arch in SAME_KV_HEAD_SIZE and head_dim_k != head_dim_v:
        raise _refuse(translate(
            "ModelFile", "its K heads are {k} wide and its V heads {v}; '{arch}' needs them equal").format(
            k=head_dim_k, v=head_dim_v, arch=arch))
    n_rot = fields.integer(f"{arch}.rope.dimension_count", 0, UINT32_MAX, default=head_dim_k)
    if arch in ROPE_OVER_WHOLE_HEAD and n_rot != head_dim_v:
        raise _refuse(translate(
            "ModelFile", "it rotates {n_rot} of each head's {size} values; '{arch}' needs all of them").format(
            n_rot=n_rot, size=head_dim_v, arch=arch))
