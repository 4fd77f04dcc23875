"""The panel's line on the longest context each cache type fits in the memory available now.

Capped at the context the model was trained on: past it, replies degrade, so a reach of 1.9M
tokens for a model trained on 8k says nothing useful; "the whole trained context fits" does."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.engine.memory import MIB
from app.engine.planner import LoadPlan
from app.ui.style import short_tokens

SHOWN = ("f16", "q8_0", "q4_0")


translate = QCoreApplication.translate  # by this name, with literal texts, lupdate collects them


def reach_text(plan: LoadPlan) -> tuple[str, str]:
    """(the line, its tooltip with every type's full figure); both empty when there is nothing to say."""
    rows = {row.cache_type.name: row for row in plan.capacity}
    shown = [rows[n] for n in SHOWN if n in rows]
    if not shown:
        return "", ""
    trained = plan.model.n_ctx_train if plan.model is not None else 0
    whole = [r for r in shown if trained and r.largest_ctx >= trained]
    limited = [r for r in shown if r not in whole]
    on_gpu = plan.estimate is not None and plan.estimate.gpu_devices
    parts = []
    if limited:
        text = (translate("KvPanel", "Longest context that fits on the GPU and in RAM now: {reach}") if on_gpu
                else translate("KvPanel", "Longest context that fits in memory now: {reach}"))
        parts.append(text.format(reach=", ".join(f"{r.cache_type.name} {short_tokens(r.largest_ctx)}"
                                                 for r in limited)) + ".")
    if whole:
        names = ", ".join(r.cache_type.name for r in whole)
        if limited:
            text = translate("KvPanel", "With {types} the whole trained context ({tokens:,} tokens) fits.")
        elif on_gpu:
            text = translate("KvPanel", "The whole trained context ({tokens:,} tokens) fits on the GPU and in RAM "
                                        "now with {types}.")
        else:
            text = translate("KvPanel", "The whole trained context ({tokens:,} tokens) fits in memory now with "
                                        "{types}.")
        parts.append(text.format(types=names, tokens=trained))
    mixed = {r.flash_attn for r in limited}
    if len(mixed) > 1:  # an f16 cache beside quantized ones: the figures are not in the ratio of their sizes
        parts.append(translate("KvPanel", "These are not in proportion to the types' sizes: f16 runs with flash "
                                          "attention off (auto's choice for it), whose attention buffer grows with "
                                          "the context."))
    on, off = translate("KvPanel", "on"), translate("KvPanel", "off")
    tip = [translate("KvPanel", "{type:>7}: {tokens:,} tokens ({size:,.1f} MiB at this length), flash attention "
                                "{fa}").format(type=r.cache_type.name, tokens=r.largest_ctx, size=r.kv_bytes / MIB,
                                               fa=on if r.flash_attn else off) for r in plan.capacity]
    if trained:
        tip.append(translate("KvPanel", "The model was trained on {tokens:,} tokens; the line above stops "
                                        "there.").format(tokens=trained))
    return " ".join(parts), "\n".join(tip)
