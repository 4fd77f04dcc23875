"""What the chosen settings cost (or why they are refused), and Apply.

Two parts: a compact bar pinned under the settings -- the cache's size and saving, whether it
fits, a refusal's reason, Apply -- always in view; and the full price, a box at the end of the
settings that scrolls with them, headed by what it prices: the loaded model or the change."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from app.engine.planner import LoadPlan
from app.ui.kv.settings_grid import explanation
from app.ui.style import ERROR_COLOR, GOOD_COLOR, MUTED_STYLE, WARNING_COLOR, mib

NOTHING_LOADED, LOADED, CHANGED = "nothing loaded", "loaded", "changed"


class PriceDetails(QGroupBox):
    """The full price, among the settings."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.estimate_label = explanation()
        self.estimate_label.setObjectName("estimate")
        self.estimate_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.threads_label = explanation(MUTED_STYLE)
        self.notes_label = explanation(f"color: {WARNING_COLOR};")
        layout = QVBoxLayout(self)
        for label in (self.estimate_label, self.threads_label, self.notes_label):
            layout.addWidget(label)
        self.set_state(NOTHING_LOADED)

    def set_state(self, state: str) -> None:
        """The heading says what the figures are: the loaded model's, or what Apply would load."""
        self.setTitle({NOTHING_LOADED: self.tr("Before loading"), LOADED: self.tr("Loaded"),
                       CHANGED: self.tr("If applied")}[state])


class PlanSummary(QWidget):
    """The pinned bar; `details` is the box the panel puts among its settings."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.details = PriceDetails()
        self.estimate_label = self.details.estimate_label
        self.headline_label = explanation()
        self.headline_label.setObjectName("headline")
        self.message_label = explanation(f"color: {ERROR_COLOR};")
        self.message_label.setObjectName("refusal")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: a load has no measurable progress
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        self.apply_button = QPushButton(self.tr("Apply"))
        self.apply_button.setDefault(True)
        self.status_label = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 2)
        layout.setSpacing(2)
        layout.addWidget(self.headline_label)
        layout.addWidget(self.message_label)
        row = QHBoxLayout()
        row.addWidget(self.status_label, 1)
        row.addWidget(self.apply_button)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        self.progress.setVisible(False)

    def set_state(self, state: str) -> None:
        self.details.set_state(state)

    def show_plan(self, plan: LoadPlan, notes: list[str]) -> None:
        e = plan.estimate
        if e is None:
            self.estimate_label.setText("")
            self.headline_label.setText("")
        else:
            self.estimate_label.setText("<br>".join(self._price_lines(plan)))
            self.estimate_label.setToolTip(
                self.tr("KV {kv:,} bytes (K {k:,}, V {v:,})").format(kv=e.kv_bytes, k=e.k_bytes, v=e.v_bytes))
            self.headline_label.setText(self._headline(plan))
        resolved = plan.resolved
        self.details.threads_label.setText(self.tr(
            "CPU threads: {gen} generating a reply, {read} reading a prompt").format(
            gen=resolved.n_threads, read=resolved.n_threads_batch) if resolved else "")
        self.details.notes_label.setText("\n".join(notes))
        self.message_label.setText(str(plan.error) if plan.error is not None else "")

    def _headline(self, plan: LoadPlan) -> str:
        e = plan.estimate
        fits, does_not = self.tr("fits"), self.tr("does not fit")
        verdict = (f"<span style='color:{GOOD_COLOR}'>{fits}</span>" if e.fits else
                   f"<span style='color:{ERROR_COLOR}'><b>{does_not}</b></span>")
        if e.saving_bytes >= 0:
            saving = self.tr("saves {percent:.1f} %").format(percent=e.saving_percent)
        else:
            saving = self.tr("{size} more than f16").format(size=mib(-e.saving_bytes))
        return self.tr("KV cache <b>{kv}</b> ({saving}) · total {total}: {verdict}").format(
            kv=mib(e.kv_bytes), saving=saving, total=mib(e.total_bytes), verdict=verdict)

    def _price_lines(self, plan: LoadPlan) -> list[str]:
        e = plan.estimate
        asked = plan.config.n_ctx
        if asked == e.n_ctx:
            cache = self.tr("KV cache <b>{kv}</b> (K {k} + V {v}) for {tokens:,} tokens").format(
                kv=mib(e.kv_bytes), k=mib(e.k_bytes), v=mib(e.v_bytes), tokens=asked)
        else:  # what was typed, and apart from it the cells llama.cpp allocates (a multiple of 256)
            cache = self.tr("KV cache <b>{kv}</b> (K {k} + V {v}) for {tokens:,} tokens "
                            "({cells:,} cells allocated)").format(
                kv=mib(e.kv_bytes), k=mib(e.k_bytes), v=mib(e.v_bytes), tokens=asked, cells=e.n_ctx)
        if e.saving_bytes >= 0:
            saving = self.tr("f16/f16 would take {f16}: saves <b>{size} ({percent:.1f} %)</b>").format(
                f16=mib(e.f16_kv_bytes), size=mib(e.saving_bytes), percent=e.saving_percent)
        else:
            saving = self.tr("f16/f16 would take {f16}: <b>{size} more</b> than f16").format(
                f16=mib(e.f16_kv_bytes), size=mib(-e.saving_bytes))
        lines = [cache, saving]
        if e.gpu_devices:  # RAM and each GPU are their own budget
            for d in e.devices:
                place = self.tr("On {name}").format(name=d.name) if d.is_gpu else self.tr("In RAM")
                verdict = self.tr("fits") if d.fits else self.tr("<b>does not fit</b>")
                lines.append(self.tr("{place}: <b>{total}</b> of {free} free: "
                                     "<span style='color:{color}'>{verdict}</span>").format(
                    place=place, total=mib(d.total_bytes), free=mib(d.free_bytes), verdict=verdict,
                    color=GOOD_COLOR if d.fits else ERROR_COLOR))
            return lines
        if e.fits:
            total = self.tr("Total with weights {weights} and compute ≈{compute}: <b>{total}</b>, "
                            "{available} available: <span style='color:{color}'>fits</span>")
        else:
            total = self.tr("Total with weights {weights} and compute ≈{compute}: <b>{total}</b>, "
                            "{available} available: <span style='color:{color}'><b>does not fit</b></span>")
        lines.append(total.format(weights=mib(e.weights_bytes), compute=mib(e.compute_bytes), total=mib(e.total_bytes),
                                  available=mib(e.available_bytes), color=GOOD_COLOR if e.fits else ERROR_COLOR))
        return lines

    def set_busy(self, busy: bool, status: str) -> None:
        self.progress.setVisible(busy)
        self.status_label.setText(status)
