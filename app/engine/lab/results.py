"""What the KV lab found, and what follows from it: the Pareto front of memory saved against
quality lost, the recommended cache for a quality budget, and memory curves for planning."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from app.engine.gguf.info import ModelInfo
from app.engine.kvtypes import F16, cache_type
from app.engine.memory import SavingAgainstF16, estimate_memory, kv_cache_bytes, largest_fitting_context
from app.i18n import translate

DEFAULT_BUDGET = 0.01  # nats/token of mean KL divergence: about the noise floor of small models


@dataclass(frozen=True)
class LabPair:
    type_k: str
    type_v: str
    flash_attn: str = "auto"

    @property
    def label(self) -> str:
        forced = "" if self.flash_attn == "auto" else f" FA {self.flash_attn}"
        return f"{self.type_k}/{self.type_v}{forced}"

    @classmethod
    def parse(cls, text: str) -> "LabPair":
        """`K/V`, as the command line writes pairs."""
        k, sep, v = text.strip().partition("/")
        if not sep:
            raise ValueError(f"'{text}' is not a K/V pair such as q8_0/q4_0")
        return cls(cache_type(k).name, cache_type(v).name)


@dataclass(frozen=True)
class PairResult(SavingAgainstF16):
    pair: LabPair
    flash_attn: bool  # as it ran
    kv_bytes: int  # at the loaded context length
    f16_kv_bytes: int
    kl_mean: float  # KL(f16 || pair), nats per token
    kl_p99: float
    kl_max: float
    top1_agreement: float  # fraction of positions where both pick the same most likely token
    perplexity: float
    perplexity_ratio: float  # this pair's perplexity over the f16/f16 reference's
    prompt_tokens_per_second: float  # median of the reads (one per sequence)
    generation_tokens_per_second: float  # median of the probe's runs
    scored_tokens: int
    prompt_range: tuple[float, float] = (0.0, 0.0)  # slowest and fastest read: the speeds' spread
    generation_range: tuple[float, float] = (0.0, 0.0)  # slowest and fastest probe run

    def to_json(self) -> dict:
        data = asdict(self)
        data["pair"] = self.pair.label
        data["type_k"], data["type_v"] = self.pair.type_k, self.pair.type_v
        data["pair_flash_attn"] = self.pair.flash_attn
        data["saving_bytes"] = self.saving_bytes
        data["saving_percent"] = round(self.saving_percent, 3)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "PairResult":
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["pair"] = LabPair(data["type_k"], data["type_v"], data.get("pair_flash_attn", "auto"))
        for name in ("prompt_range", "generation_range"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def priced_at(self, model: ModelInfo, n_ctx: int, compact_window: bool) -> "PairResult":
        """The same measurement with the cache priced at `n_ctx` (the measurement does not depend on it). The
        f16/f16 reference is llama.cpp's default cache, with the full-size window, as in the memory gauge: the
        compact window counts as part of the saving."""
        kv = kv_cache_bytes(model, n_ctx, cache_type(self.pair.type_k), cache_type(self.pair.type_v),
                            flash_attn=self.flash_attn, compact_window=compact_window).total
        f16 = kv_cache_bytes(model, n_ctx, F16, F16, flash_attn=self.flash_attn).total
        return replace(self, kv_bytes=kv, f16_kv_bytes=f16)


def speed_with_spread(median: float, spread: tuple[float, float]) -> str:
    """"122 (115–130)": the median and the slowest and fastest run, so load noise shows as noise."""
    low, high = spread
    return f"{median:.0f} ({low:.0f}–{high:.0f})" if high > low else f"{median:.0f}"


def agreement_percent(top1: float) -> str:
    """97 %, or 99.8 % where rounding would say 100 % of something short of it."""
    percent = top1 * 100
    return f"{percent:.1f}" if 99.5 <= percent < 100 or 0 < percent < 0.5 else f"{percent:.0f}"


def agreement_words(result: PairResult) -> str:
    """The top-1 agreement said for a person: how often this cache picks f16's next word."""
    return translate("KvLab", "the same next word as f16 {percent} % of the time").format(
        percent=agreement_percent(result.top1_agreement))


@dataclass(frozen=True)
class LabReport:
    model: ModelInfo
    n_ctx: int  # the context length KV bytes are priced at
    reference_source: str
    scored_tokens: int
    reference: PairResult  # f16/f16 against itself: KL 0, its perplexity and speeds
    noise_floor: PairResult | None  # f16/f16 with flash attention on: a difference that is no difference
    results: tuple[PairResult, ...]
    seconds: float
    cached_pairs: int = 0  # how many results came from the cache
    errors: dict[str, str] = field(default_factory=dict)  # pair label -> why it could not be measured

    @property
    def all_points(self) -> tuple[PairResult, ...]:
        return (self.reference, *self.results)


def pareto_front(results) -> list[PairResult]:
    """The pairs no other pair beats on both memory saved and quality kept."""
    front = []
    for r in results:
        dominated = any(
            o.saving_bytes >= r.saving_bytes and o.kl_mean <= r.kl_mean
            and (o.saving_bytes > r.saving_bytes or o.kl_mean < r.kl_mean)
            for o in results
        )
        if not dominated:
            front.append(r)
    return sorted(front, key=lambda r: r.saving_bytes)


@dataclass(frozen=True)
class Recommendation:
    result: PairResult
    budget: float
    largest_ctx: int  # the context this cache fits in the memory available, at most the trained one
    available_bytes: int

    @property
    def fits_trained_context(self) -> bool:
        """It fits all the context the model was trained on: any longer would not help."""
        return bool(self.trained_ctx) and self.largest_ctx >= self.trained_ctx

    trained_ctx: int = 0  # the model's n_ctx_train; 0 where the file does not say


def recommend(report: LabReport, budget: float, available_bytes: int, compact_window: bool = False) -> Recommendation:
    """The smallest cache whose mean KL divergence stays within `budget` (f16/f16 always does)."""
    within = [r for r in report.all_points if r.kl_mean <= budget]
    best = min(within, key=lambda r: (r.kv_bytes, r.kl_mean))
    reach = largest_fitting_context(
        report.model, cache_type(best.pair.type_k), cache_type(best.pair.type_v),
        flash_attn=best.flash_attn, compact_window=compact_window, available_bytes=available_bytes,
    )
    trained = report.model.n_ctx_train or 0
    return Recommendation(best, budget, min(reach, trained) if trained else reach, available_bytes, trained)


@dataclass(frozen=True)
class MemoryCurve:
    label: str
    contexts: tuple[int, ...]
    total_bytes: tuple[int, ...]
    largest_ctx: int  # at most the trained context
    fits_trained_context: bool = False


def memory_curves(info: ModelInfo, pairs, available_bytes: int, max_ctx: int, compact_window: bool = False,
                  points: int = 48) -> list[MemoryCurve]:
    """Total memory (weights, KV, compute) against context length, per cache pair, up to `max_ctx` and
    never past the context the model was trained on."""
    trained = info.n_ctx_train or 0
    if trained:
        max_ctx = min(max_ctx, trained)
    step = max(256, (max_ctx // points) // 256 * 256)
    contexts = tuple(range(256, max_ctx + 1, step))
    if contexts and contexts[-1] != max_ctx:
        contexts += (max_ctx,)  # the line runs to the axis' end
    curves = []
    for pair in pairs:
        k, v = cache_type(pair.type_k), cache_type(pair.type_v)
        fa = v.v_needs_flash_attn if pair.flash_attn == "auto" else pair.flash_attn == "on"
        totals = tuple(
            estimate_memory(info, c, k, v, flash_attn=fa, compact_window=compact_window,
                            available_bytes=available_bytes).total_bytes
            for c in contexts
        )
        reach = largest_fitting_context(info, k, v, flash_attn=fa, compact_window=compact_window,
                                        available_bytes=available_bytes)
        fits_all = bool(trained) and reach >= trained
        curves.append(MemoryCurve(pair.label, contexts, totals, min(reach, trained) if trained else reach, fits_all))
    return curves
