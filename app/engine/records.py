"""Plain immutable records that cross from the engine thread to its callers."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.config import LoadConfig
from app.engine.devices.allocation import DeviceAllocation
from app.engine.gguf.info import ModelInfo
from app.engine.memory import KvBytes, MemoryEstimate, SavingAgainstF16


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system", "user" or "assistant"
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class SamplingParams:
    # A low temperature and a mild repeat penalty keep small chat models coherent.
    temperature: float = 0.2
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 512
    seed: int | None = None  # None: a new random seed per reply


@dataclass(frozen=True)
class CacheUsage:
    """How much of the allocated cache the conversation fills."""

    cells_used: int  # positions held in the full-attention cache
    n_ctx: int
    window_cells_used: int = 0  # sliding-window models: positions held in the window cache
    window_cells: int = 0


@dataclass(frozen=True)
class ReplyStats:
    prompt_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens reused from the previous turn's cache
    generated_tokens: int = 0
    time_to_first_token: float | None = None  # seconds
    tokens_per_second: float | None = None  # generation speed after the first token
    prompt_tokens_per_second: float | None = None
    seed: int | None = None
    dropped_messages: int = 0  # oldest messages left out because the conversation outgrew the context
    type_k: str = ""
    type_v: str = ""
    cache_source: str = ""  # "ram" or "disk": the conversation's kept cache was restored from there
    restore_seconds: float | None = None  # how long restoring it took
    read_again: str = ""  # why a kept cache could not be used and the prompt was read again, in words


@dataclass(frozen=True)
class ReplyChunk:
    """One step of a streamed reply. `phase` is "prompt" while the prompt is read,
    "generating" while tokens arrive and "done" once, at the end, with `finish_reason`."""

    phase: str
    text: str
    stats: ReplyStats
    usage: CacheUsage | None = None
    finish_reason: str | None = None  # "stop", "length", "context_full" or "cancelled"
    prompt_read: int = 0  # while the prompt is read: its tokens in the cache so far, the cached ones included


@dataclass(frozen=True)
class LoadReport(SavingAgainstF16):
    """A loaded model and what llama.cpp allocated for it."""

    config: LoadConfig
    model: ModelInfo
    n_ctx: int
    type_k: str
    type_v: str
    flash_attn: bool
    compact_window: bool
    kv: KvBytes  # measured from llama.cpp
    kv_exact: bool  # False only if llama.cpp's state could not be read and its rounded report was used
    estimate: MemoryEstimate
    compute_bytes: int
    weights_bytes: int
    output_bytes: int
    load_seconds: float
    chat_template: bool
    chat_template_problem: str = ""  # why the model's chat template cannot be used ("" when it can or has none)
    warnings: tuple[str, ...] = field(default=())
    devices: tuple[DeviceAllocation, ...] = ()  # per device, the CPU's RAM first
    offloaded_layers: int = 0  # repeating layers llama.cpp put on a GPU

    @property
    def gpu_devices(self) -> tuple[DeviceAllocation, ...]:
        return tuple(d for d in self.devices if d.is_gpu)

    @property
    def kv_bytes(self) -> int:
        return self.kv.total

    @property
    def f16_kv_bytes(self) -> int:
        return self.estimate.f16_kv_bytes
