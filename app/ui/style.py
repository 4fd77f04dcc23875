"""The window's shared look: the few colours every view uses for the same meaning, and the way sizes
and token counts are written. One place, so a gauge and a table never disagree on either."""

from __future__ import annotations

from app.engine.memory import MIB

# Meanings, not hues: K and V are the cache's two halves wherever they are drawn.
K_COLOR = "#3d7be0"
V_COLOR = "#27a59a"
F16_COLOR = "#b9bec6"  # the f16/f16 reference a saving is measured against
USED_COLOR = "#e09a3d"  # cells in use; the lab's noise floor
GOOD_COLOR = "#2e9d55"  # a saving, a fit, the recommended pair
WARNING_COLOR = "#b7791f"
ERROR_COLOR = "#c0392b"
MUTED_COLOR = "#777"  # help text under a setting
FAINT_COLOR = "#888"  # stats and placeholders
OTHER_COLOR = "#9aa3ad"  # points and curves that are not the ones picked
EXTRA_CURVE_COLOR = "#8e44ad"
# The banner: a light tint behind dark text in either theme, so a warning reads the same in both.
ERROR_BACKGROUND = "#fdecea"
WARNING_BACKGROUND = "#fff6e0"
BANNER_TEXT_COLOR = "#222"
# Messages and code blocks, by theme (key: dark or not).
MESSAGE_BACKGROUND = {False: {"user": "#e8f0fe", "assistant": "#ffffff"},
                      True: {"user": "#2b3544", "assistant": "#25282d"}}
MESSAGE_BORDER = {False: "#dde1e6", True: "#3a3f47"}
CODE_BACKGROUND = {False: "#f5f6f8", True: "#1f2227"}
CODE_BORDER = {False: "#d9dce1", True: "#3a3f47"}
LINK_COLOR = {False: "#2f6fdb", True: "#7aa7ff"}

MUTED_STYLE = f"color: {MUTED_COLOR};"


def mib(n: int) -> str:
    """Bytes as MiB with one decimal: 12.5 MiB."""
    return f"{n / MIB:,.1f} MiB"


def file_size(n: int) -> str:
    """A model file's size as a download page writes it: 98 MB, 1.23 GB."""
    return f"{n / (1024 * MIB):.2f} GB" if n >= 1024 * MIB else f"{n / MIB:,.0f} MB"


def short_tokens(n: float) -> str:
    """A token count as a glance reads it: 8,192 · 32k · 1M · 2.5M."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".removesuffix(".0") + "M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    return f"{n:,.0f}"


def colored(text: str, color: str) -> str:
    """Rich text in one of the colours above (the text is already escaped where it needs to be)."""
    return f"<span style='color:{color}'>{text}</span>"
