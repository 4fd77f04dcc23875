"""A load plan: everything known about a LoadConfig before llama.cpp sees it.

The settings panel and `kvchat plan` show the same plan: the estimate, the table of all
nine cache types, warnings, and -- if the choice cannot work -- the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psutil

from app.engine.config import DEFAULT_N_CTX, LoadConfig, ResolvedConfig, resolve
from app.engine.errors import EngineError, InsufficientMemoryError
from app.engine.gguf_info import ModelInfo, read_model_info
from app.engine.memory import MAX_CTX, MemoryEstimate, TypeCapacity, capacity_table


def available_memory() -> int:
    return psutil.virtual_memory().available


@dataclass(frozen=True)
class LoadPlan:
    config: LoadConfig
    model: ModelInfo | None = None
    resolved: ResolvedConfig | None = None
    estimate: MemoryEstimate | None = None
    capacity: tuple[TypeCapacity, ...] = field(default=())
    available_bytes: int = 0
    error: EngineError | None = None

    @property
    def ok(self) -> bool:
        return self.resolved is not None

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.resolved.warnings if self.resolved else ()


def plan_load(config: LoadConfig, *, reclaimable_bytes: int = 0, available_bytes: int | None = None) -> LoadPlan:
    """Plan a load. `reclaimable_bytes` is what unloading the current model would free."""
    available = (available_memory() if available_bytes is None else available_bytes) + reclaimable_bytes
    try:
        model = read_model_info(config.model_path)
    except EngineError as exc:
        return LoadPlan(config, available_bytes=available, error=exc)
    compact = config.compact_window and model.has_sliding_window
    # The table is priced at the asked-for length, or the default one while that is invalid.
    valid_ctx = isinstance(config.n_ctx, int) and 0 < config.n_ctx <= MAX_CTX
    table_ctx = config.n_ctx if valid_ctx else DEFAULT_N_CTX
    capacity = capacity_table(model, table_ctx, compact_window=compact, available_bytes=available)
    try:
        resolved = resolve(config, model, available)
    except InsufficientMemoryError as exc:
        return LoadPlan(config, model, None, exc.estimate, capacity, available, exc)
    except EngineError as exc:
        return LoadPlan(config, model, None, None, capacity, available, exc)
    return LoadPlan(config, model, resolved, resolved.estimate, capacity, available)
