"""The nine KV-cache element types llama.cpp accepts, with their exact storage.

Any other ggml type id handed to llama.cpp as a cache type can abort the process, so this
catalogue is a whitelist: nothing reaches llama.cpp unless it is one of these.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.errors import KvConfigError
from app.i18n import QT_TRANSLATE_NOOP, translate


@dataclass(frozen=True)
class KvCacheType:
    name: str
    ggml_id: int
    block_elements: int  # elements per storage block
    block_bytes: int  # bytes per storage block
    summary: str  # English; `description` gives it in the user's language

    @property
    def description(self) -> str:
        """One line on what this type costs and loses, for the user."""
        return translate("KvTypes", self.summary)

    @property
    def quantized(self) -> bool:
        return self.block_elements > 1

    @property
    def bytes_per_32(self) -> int:
        """Bytes one 32-element block takes (the unit llama.cpp's quantized types use)."""
        return self.block_bytes * 32 // self.block_elements

    @property
    def bits_per_element(self) -> float:
        return self.block_bytes * 8 / self.block_elements

    @property
    def v_needs_flash_attn(self) -> bool:
        """llama.cpp refuses a quantized V cache unless flash attention is on."""
        return self.quantized

    def row_bytes(self, n_elements: int) -> int:
        """Bytes of one row of n_elements, exactly as ggml_row_size computes it."""
        if n_elements % self.block_elements:
            raise KvConfigError(translate(
                "KvTypes",
                "{type} stores blocks of {block} values, which do not divide a "
                "row of {row}. Choose f16, bf16 or f32 for this model.",
            ).format(type=self.name, block=self.block_elements, row=n_elements))
        return n_elements // self.block_elements * self.block_bytes


CACHE_TYPES: tuple[KvCacheType, ...] = (
    KvCacheType("f32", 0, 1, 4, QT_TRANSLATE_NOOP(
        "KvTypes", "32-bit floats: twice the memory of f16 for no gain; for debugging only.")),
    KvCacheType("f16", 1, 1, 2,
                QT_TRANSLATE_NOOP("KvTypes", "16-bit floats: llama.cpp's default and the reference for quality.")),
    KvCacheType("bf16", 30, 1, 2,
                QT_TRANSLATE_NOOP("KvTypes", "16-bit brain floats: same memory as f16, wider range, coarser steps.")),
    KvCacheType("q8_0", 8, 32, 34,
                QT_TRANSLATE_NOOP("KvTypes", "8-bit: about half of f16; the loss is usually too small to notice.")),
    KvCacheType("q5_1", 7, 32, 24,
                QT_TRANSLATE_NOOP("KvTypes", "5-bit with offset: 38% of f16; a small loss.")),
    KvCacheType("q5_0", 6, 32, 22,
                QT_TRANSLATE_NOOP("KvTypes", "5-bit: 34% of f16; a small loss.")),
    KvCacheType("q4_1", 3, 32, 20,
                QT_TRANSLATE_NOOP("KvTypes", "4-bit with offset: 31% of f16; a loss some models show.")),
    KvCacheType("q4_0", 2, 32, 18,
                QT_TRANSLATE_NOOP("KvTypes", "4-bit: 28% of f16, the smallest; on K the loss is model-dependent.")),
    KvCacheType("iq4_nl", 20, 32, 18,
                QT_TRANSLATE_NOOP("KvTypes", "4-bit non-linear: the size of q4_0 with a finer value grid.")),
)

_BY_NAME = {t.name: t for t in CACHE_TYPES}
_BY_ID = {t.ggml_id: t for t in CACHE_TYPES}

F16 = _BY_NAME["f16"]


def cache_type(name: str | KvCacheType) -> KvCacheType:
    """Look a cache type up by name (case-insensitive); refuse anything outside the nine."""
    if isinstance(name, KvCacheType):
        return name
    found = _BY_NAME.get(str(name).strip().lower())
    if found is None:
        raise KvConfigError(translate(
            "KvTypes",
            "'{name}' is not a KV cache type llama.cpp can use safely. Choose one of: {types}.",
        ).format(name=name, types=", ".join(_BY_NAME)))
    return found


def cache_type_by_id(ggml_id: int) -> KvCacheType:
    found = _BY_ID.get(ggml_id)
    if found is None:
        raise KvConfigError(translate("KvTypes", "ggml type id {id} is not one of the nine KV cache types.").format(
            id=ggml_id))
    return found


def cache_type_names() -> tuple[str, ...]:
    return tuple(_BY_NAME)
