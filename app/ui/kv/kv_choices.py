"""What the KV panel offers to choose from: the presets, the flash attention modes and the nine
cache types, each with the words that explain it (in the app's language)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QComboBox

from app.engine.kvtypes import CACHE_TYPES, KvCacheType

PRESETS = (  # (name, K, V)
    (QT_TRANSLATE_NOOP("KvPanel", "Quality"), "f16", "f16"),
    (QT_TRANSLATE_NOOP("KvPanel", "Balanced"), "q8_0", "q8_0"),
    (QT_TRANSLATE_NOOP("KvPanel", "Long context"), "q8_0", "q4_0"),
    (QT_TRANSLATE_NOOP("KvPanel", "Maximum context"), "q4_0", "q4_0"),
)
FLASH_ATTN_CHOICES = (  # (setting, label, what it does)
    ("auto", QT_TRANSLATE_NOOP("KvPanel", "Auto"),
     QT_TRANSLATE_NOOP("KvPanel", "On exactly when V is quantized (required there); off otherwise, "
                                  "as it slows an f16 cache on CPU.")),
    ("on", QT_TRANSLATE_NOOP("KvPanel", "On"),
     QT_TRANSLATE_NOOP("KvPanel", "Always on. A quantized V cache needs it.")),
    ("off", QT_TRANSLATE_NOOP("KvPanel", "Off"),
     QT_TRANSLATE_NOOP("KvPanel", "Always off. Only f32, f16 and bf16 V caches work without it.")),
)


def shown(text: str) -> str:
    """One of the marked choices above, in the app's language."""
    return QCoreApplication.translate("KvPanel", text)


def flash_attn_meaning(mode: str) -> str:
    return shown(next(tip for key, _, tip in FLASH_ATTN_CHOICES if key == mode))


# Where a type's one-line meaning is about one of the two caches, each cache gets its own words.
PART_HINTS = {
    ("q4_0", "K"): QT_TRANSLATE_NOOP("KvPanel", "4-bit: 28% of f16, the smallest; on the keys the loss is "
                                                "model-dependent (the KV lab measures it)."),
    ("q4_0", "V"): QT_TRANSLATE_NOOP("KvPanel", "4-bit: 28% of f16, the smallest; on the values the loss is "
                                                "usually small (the KV lab measures it)."),
}
PARTS = {"K": QT_TRANSLATE_NOOP("KvPanel", "Keys"), "V": QT_TRANSLATE_NOOP("KvPanel", "Values")}


def cache_hint(part: str, t: KvCacheType) -> str:
    """The line under the K or the V field: what this type means for that cache, which it names."""
    hint = PART_HINTS.get((t.name, part))
    meaning = shown(hint) if hint else t.description
    return QCoreApplication.translate("KvPanel", "{cache}: {meaning}").format(cache=shown(PARTS[part]),
                                                                               meaning=meaning)


def cache_type_combo(part: str) -> QComboBox:
    """The nine cache types with their bits per value; each one's meaning for the K or V cache is its tooltip."""
    combo = QComboBox()
    for t in CACHE_TYPES:
        combo.addItem(QCoreApplication.translate("KvPanel", "{name}  ({bits:g} bits)").format(
            name=t.name, bits=t.bits_per_element), t.name)
        combo.setItemData(combo.count() - 1, cache_hint(part, t), Qt.ItemDataRole.ToolTipRole)
    return combo
