"""The live memory gauge: the KV cache llama.cpp allocated (K and V) against f16/f16, the context
cells of the conversation on screen, what sits in VRAM and what in RAM, the process's memory, and one
line on the conversations' kept caches. Every KV figure is the engine's measurement.

No colour is baked into a style sheet here: text takes the palette's colours, so a theme switched at
run time reaches every figure (the coloured spans are hues that read on light and dark alike)."""

from __future__ import annotations

from dataclasses import dataclass

import psutil
from PySide6.QtCore import QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QWidget

from app.engine.devices.registry import device_memory
from app.engine.kept.caches import KeptCache
from app.engine.memory import MIB
from app.engine.records import CacheUsage, LoadReport
from app.ui import style
from app.ui.style import mib

K_COLOR = QColor(style.K_COLOR)
V_COLOR = QColor(style.V_COLOR)
F16_COLOR = QColor(style.F16_COLOR)
USED_COLOR = QColor(style.USED_COLOR)
AWAY_COLOR = QColor(style.USED_COLOR)
AWAY_COLOR.setAlpha(90)  # cells a conversation not in the context would take: the same hue, faint
SMALL_TEXT_PX = 11
MIN_SEGMENT_PX = 3  # 66 of 32,768 cells is a fifth of a pixel: drawn that thin, "some" would read as none
RSS_REFRESH_MS = 250
DEVICE_REFRESH_TICKS = 4  # a GPU's free memory is read once a second


class GaugeBar(QWidget):
    """A horizontal bar of coloured segments, each a fraction of the full width."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.segments: list[tuple[float, QColor]] = []
        self.setMinimumHeight(14)
        self.setMaximumHeight(14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_segments(self, segments: list[tuple[float, QColor]], tooltip: str = "") -> None:
        self.segments = [(max(0.0, min(1.0, f)), c) for f, c in segments]
        self.setToolTip(tooltip)
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.setBrush(self.palette().base())
        painter.drawRoundedRect(rect, 3, 3)
        x = rect.left()
        painter.setPen(Qt.PenStyle.NoPen)
        for fraction, color in self.segments:
            width = rect.width() * fraction
            if width > 0:
                width = max(width, MIN_SEGMENT_PX)
                painter.setBrush(color)
                painter.drawRoundedRect(QRectF(x, rect.top(), width, rect.height()), 3, 3)
            x += width
        painter.end()


@dataclass(frozen=True)
class NotHeld:
    """The conversation on screen is not the one the context holds."""

    tokens: int | None  # what it would take (0: it is empty; None: not known until it is read)
    kept: bool = False  # its kept cache holds those tokens and goes back in at its next reply


def small_text(label: QLabel) -> QLabel:
    """A secondary line: a smaller font, not a style sheet (which would freeze the palette it found)."""
    font = label.font()
    font.setPixelSize(SMALL_TEXT_PX)
    label.setFont(font)
    return label


class MemoryGauge(QFrame):
    sig_open_kept_caches = Signal()
    """The user asked to see the kept caches (the link on their line)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("memory_gauge")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._report: LoadReport | None = None
        self._usage: CacheUsage | None = None
        self._not_held: NotHeld | None = None  # set: the Context bar shows what the conversation would take
        self._process = psutil.Process()

        self.title = QLabel(self.tr("<b>Memory</b>"))
        self.kv_bar = GaugeBar()
        self.f16_bar = GaugeBar()
        self.kv_label = QLabel()
        self.f16_label = QLabel()
        self.saving_label = QLabel()
        self.saving_label.setObjectName("saving")
        self.context_bar = GaugeBar()
        self.context_label = QLabel()
        self.window_bar = GaugeBar()
        self.window_label = QLabel()
        self.process_label = QLabel()
        self.process_label.setWordWrap(True)
        self.devices_label = QLabel()  # VRAM and RAM apart, when a GPU holds part of the model
        self.devices_label.setObjectName("devices")
        self.devices_label.setWordWrap(True)
        self.kept_label = QLabel()  # the conversations' kept caches, with a link to their dialog
        self.kept_label.setObjectName("kept")
        self.kept_label.setWordWrap(True)
        self.kept_label.setTextFormat(Qt.TextFormat.RichText)
        self.kept_label.linkActivated.connect(lambda _link: self.sig_open_kept_caches.emit())
        self.kept_label.hide()
        self._device_free: dict[str, tuple[int, int] | None] = {}
        self._ticks = 0
        for label in (self.kv_label, self.f16_label, self.context_label, self.window_label, self.devices_label,
                      self.kept_label):
            small_text(label)

        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.title, 0, 0, 1, 2)
        rows = [
            (self.tr("KV cache"), self.kv_bar, self.kv_label),
            (self.tr("at f16"), self.f16_bar, self.f16_label),
            (None, None, self.saving_label),
            (self.tr("Context"), self.context_bar, self.context_label),
        ]
        row = 1
        for name, bar, label in rows:
            if bar is not None:
                grid.addWidget(QLabel(name), row, 0)
                grid.addWidget(bar, row, 1)
                row += 1
            grid.addWidget(label, row, 1)
            row += 1
        self._window_row = [QLabel(self.tr("Window")), self.window_bar, self.window_label]
        grid.addWidget(self._window_row[0], row, 0)
        grid.addWidget(self.window_bar, row, 1)
        grid.addWidget(self.window_label, row + 1, 1)
        grid.addWidget(self.devices_label, row + 2, 0, 1, 2)
        grid.addWidget(self.process_label, row + 3, 0, 1, 2)
        grid.addWidget(self.kept_label, row + 4, 0, 1, 2)
        grid.setColumnStretch(1, 1)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self._refresh_process)
        self._timer.start(RSS_REFRESH_MS)
        self._render()

    def stop(self) -> None:
        """Stop refreshing (the window is closing)."""
        self._timer.stop()

    @property
    def report(self) -> LoadReport | None:
        return self._report

    def set_report(self, report: LoadReport | None) -> None:
        self._report = report
        self._usage = CacheUsage(0, report.n_ctx) if report else None
        self._not_held = None
        self._device_free = {}
        self._ticks = 0  # a new model's devices are read at once
        self._render()

    def set_usage(self, usage: CacheUsage | None) -> None:
        """The context holds the conversation on screen: its cells, as the engine counts them."""
        if usage is not None and (usage != self._usage or self._not_held is not None):
            self._usage, self._not_held = usage, None
            self._render_context()

    def set_not_held(self, not_held: NotHeld) -> None:
        """The conversation on screen is not in the context: what it would take there."""
        if not_held != self._not_held:
            self._not_held = not_held
            self._render_context()

    def set_kept(self, caches: tuple[KeptCache, ...] | None, budgets: tuple[int, int] = (0, 0)) -> None:
        """The kept caches' line: how many, on disk, in RAM, at f16 (None: this window keeps none)."""
        self.kept_label.setVisible(caches is not None)
        if caches is None:
            return
        link = '<a href="kept">{}</a>'.format(self.tr("Manage…"))
        if caches:
            count = self.tr("1 conversation") if len(caches) == 1 else self.tr("{count} conversations").format(
                count=len(caches))
            sizes = self.tr("{disk} on disk · {ram} in RAM · {f16} at f16").format(
                disk=mib(sum(c.disk_bytes for c in caches)), ram=mib(sum(c.ram_bytes for c in caches)),
                f16=mib(sum(c.f16_bytes for c in caches)))
            text = self.tr("<b>Kept caches</b>: {count} · {link}<br>{sizes}").format(count=count, link=link,
                                                                                     sizes=sizes)
        else:
            text = self.tr("<b>Kept caches</b>: none yet · {link}").format(link=link)
        self.kept_label.setText(text)
        self.kept_label.setToolTip(self.tr(
            "When a reply ends, the conversation's KV cache is kept so that coming back to it does not read its "
            "prompt again.\nBudgets: {ram} in RAM, {disk} on disk.").format(ram=mib(budgets[0]),
                                                                             disk=mib(budgets[1])))

    def _render(self) -> None:
        r = self._report
        if r is None:
            self.kv_bar.set_segments([])
            self.f16_bar.set_segments([])
            self.kv_label.setText(self.tr("no model loaded"))
            self.f16_label.setText("")
            self.saving_label.setText("")
        else:
            scale = max(r.kv.total, r.f16_kv_bytes) or 1
            self.kv_bar.set_segments(
                [(r.kv.k_bytes / scale, K_COLOR), (r.kv.v_bytes / scale, V_COLOR)],
                self.tr("K ({type_k}) {k_bytes:,} bytes\nV ({type_v}) {v_bytes:,} bytes").format(
                    type_k=r.type_k, k_bytes=r.kv.k_bytes, type_v=r.type_v, v_bytes=r.kv.v_bytes),
            )
            self.f16_bar.set_segments([(r.f16_kv_bytes / scale, F16_COLOR)],
                                      self.tr("{bytes:,} bytes").format(bytes=r.f16_kv_bytes))
            self.kv_label.setText(
                f"<b>{mib(r.kv.total)}</b>  <span style='color:{K_COLOR.name()}'>K {mib(r.kv.k_bytes)}</span>"
                f" + <span style='color:{V_COLOR.name()}'>V {mib(r.kv.v_bytes)}</span>"
            )
            self.kv_label.setToolTip(self.tr("{bytes:,} bytes, as llama.cpp allocated them").format(bytes=r.kv.total))
            self.f16_label.setText(mib(r.f16_kv_bytes))
            if r.saving_bytes >= 0:
                color = style.GOOD_COLOR if r.saving_bytes > 0 else style.FAINT_COLOR
                self.saving_label.setText(
                    self.tr("<span style='color:{color}'><b>saves {size} ({percent:.1f} %)</b></span> "
                            "with K {type_k} / V {type_v}").format(
                        color=color, size=mib(r.saving_bytes), percent=r.saving_percent, type_k=r.type_k,
                        type_v=r.type_v)
                )
            else:
                self.saving_label.setText(
                    style.colored(self.tr("uses {size} more than f16").format(size=mib(-r.saving_bytes)),
                                  style.ERROR_COLOR))
        self._render_context()
        self._refresh_process()

    def _render_context(self) -> None:
        r, u = self._report, self._usage
        has_window = bool(r and r.model.has_sliding_window and u and u.window_cells and self._not_held is None)
        for w in self._window_row:
            w.setVisible(has_window)
        if r is None or u is None:
            self.context_bar.set_segments([])
            self.context_label.setText("")
            return
        if self._not_held is not None:
            self._render_not_held(self._not_held, u.n_ctx)
            return
        self.context_bar.set_segments([(u.cells_used / u.n_ctx, USED_COLOR)],
                                     self.tr("cells holding the conversation"))
        self.context_label.setText(self.tr("{used:,} / {total:,} tokens").format(used=u.cells_used, total=u.n_ctx))
        if has_window:
            self.window_bar.set_segments([(u.window_cells_used / u.window_cells, USED_COLOR)])
            self.window_label.setText(self.tr("{used:,} / {total:,} cells").format(used=u.window_cells_used,
                                                                                  total=u.window_cells))

    def _render_not_held(self, away: NotHeld, n_ctx: int) -> None:
        if away.tokens is None:
            self.context_bar.set_segments([], self.tr("not in the context"))
            self.context_label.setText(self.tr("Not in the context: read at its next reply"))
            return
        self.context_bar.set_segments([(away.tokens / n_ctx, AWAY_COLOR)],
                                      self.tr("not in the context: what it would take"))
        if away.tokens == 0:
            text = self.tr("0 / {total:,} tokens: this conversation is empty")
        elif away.kept:
            text = self.tr("{used:,} / {total:,} tokens in its kept cache, put back at its next reply")
        else:
            text = self.tr("Not in the context: about {used:,} / {total:,} tokens to read at its next reply")
        self.context_label.setText(text.format(used=away.tokens, total=n_ctx))

    @Slot()
    def _refresh_process(self) -> None:
        try:
            rss = self._process.memory_info().rss
            available = psutil.virtual_memory().available
        except psutil.Error:
            return
        r = self._report
        parts = [self.tr("Process {size}").format(size=mib(rss))]
        if r is not None and not r.gpu_devices:  # with a GPU, each device's line says it
            parts.append(self.tr("weights {size}").format(size=mib(r.weights_bytes)))
            parts.append(self.tr("compute buffer {size}").format(size=mib(r.compute_bytes)))
        parts.append(self.tr("free {size:.1f} GiB").format(size=available / (1024 * MIB)))
        self.process_label.setText("  ·  ".join(parts))
        if r is not None and r.gpu_devices and self._ticks % DEVICE_REFRESH_TICKS == 0:
            self._device_free = {d.name: device_memory(d.name) for d in r.gpu_devices}
        self._ticks += 1
        self._render_devices()

    def _render_devices(self) -> None:
        """Per device, what llama.cpp allocated there, the KV saving there, and the device's free memory."""
        r = self._report
        self.devices_label.setVisible(bool(r and r.gpu_devices))
        if r is None or not r.gpu_devices:
            return
        f16 = {d.name: d.f16_kv_bytes for d in r.estimate.devices}
        lines = []
        for d in r.devices:
            if d.is_gpu:
                place = self.tr("VRAM {name}").format(name=d.name)
                free = self._device_free.get(d.name)
                if d.name in self._device_free and free is None:
                    tail = self.tr("the device is gone")
                elif free is not None:
                    tail = self.tr("{free} free of {total}").format(free=mib(free[0]), total=mib(free[1]))
                else:
                    tail = ""
            else:
                place, tail = self.tr("RAM"), ""
            parts = []
            if d.kv_bytes:
                kv = self.tr("KV {kv}").format(kv=mib(d.kv_bytes))
                saving = f16.get(d.name, 0) - d.kv_bytes
                if saving > 0:
                    kv += self.tr(" — <span style='color:{good}'>saves {size} against f16</span>").format(
                        good=style.GOOD_COLOR, size=mib(saving))
                parts.append(kv)
            parts.append(self.tr("weights {size}").format(size=mib(d.weights_bytes)))
            parts.append(self.tr("compute {size}").format(size=mib(d.compute_bytes)))
            text = self.tr("<b>{place}</b>: {parts}").format(place=place, parts=" · ".join(parts))
            if tail:
                text += " · " + tail
            lines.append(text)
        layers = self.tr("{n} of {total} layers on the GPU").format(n=r.offloaded_layers, total=r.model.n_layer)
        self.devices_label.setText("<br>".join([layers, *lines]))
