"""The panel's footer: what the chosen settings cost (or why they are refused), and Apply."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from app.engine.planner import LoadPlan
from app.ui.style import ERROR_COLOR, GOOD_COLOR, WARNING_COLOR, mib


class PlanSummary(QGroupBox):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle(self.tr("Before loading"))
        self.estimate_label = QLabel()
        self.estimate_label.setObjectName("estimate")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label = QLabel()
        self.message_label.setObjectName("refusal")
        self.message_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: a load has no measurable progress
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        self.apply_button = QPushButton(self.tr("Apply"))
        self.apply_button.setDefault(True)
        self.status_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.estimate_label)
        layout.addWidget(self.message_label)
        row = QHBoxLayout()
        row.addWidget(self.status_label, 1)
        row.addWidget(self.apply_button)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        self.progress.setVisible(False)

    def show_plan(self, plan: LoadPlan, notes: list[str]) -> None:
        e = plan.estimate
        if e is None:
            self.estimate_label.setText("")
        else:
            cache = self.tr("KV cache <b>{kv}</b> (K {k} + V {v}) for {tokens:,} tokens").format(
                kv=mib(e.kv_bytes), k=mib(e.k_bytes), v=mib(e.v_bytes), tokens=e.n_ctx)
            if e.saving_bytes >= 0:
                saving = self.tr("f16/f16 would take {f16}: saves <b>{size} ({percent:.1f} %)</b>").format(
                    f16=mib(e.f16_kv_bytes), size=mib(e.saving_bytes), percent=e.saving_percent)
            else:
                saving = self.tr("f16/f16 would take {f16}: <b>{size} more</b> than f16").format(
                    f16=mib(e.f16_kv_bytes), size=mib(-e.saving_bytes))
            if e.fits:
                total = self.tr("Total with weights {weights} and compute ≈{compute}: <b>{total}</b>, "
                                "{available} available: <span style='color:{color}'>fits</span>")
            else:
                total = self.tr("Total with weights {weights} and compute ≈{compute}: <b>{total}</b>, "
                                "{available} available: <span style='color:{color}'><b>does not fit</b></span>")
            total = total.format(weights=mib(e.weights_bytes), compute=mib(e.compute_bytes), total=mib(e.total_bytes),
                                 available=mib(e.available_bytes), color=GOOD_COLOR if e.fits else ERROR_COLOR)
            lines = [cache, saving]
            if e.gpu_devices:  # RAM and each GPU are their own budget
                for d in e.devices:
                    place = self.tr("On {name}").format(name=d.name) if d.is_gpu else self.tr("In RAM")
                    verdict = self.tr("fits") if d.fits else self.tr("<b>does not fit</b>")
                    lines.append(self.tr("{place}: <b>{total}</b> of {free} free: "
                                         "<span style='color:{color}'>{verdict}</span>").format(
                        place=place, total=mib(d.total_bytes), free=mib(d.free_bytes), verdict=verdict,
                        color=GOOD_COLOR if d.fits else ERROR_COLOR))
            else:
                lines.append(total)
            self.estimate_label.setText("<br>".join(lines))
            self.estimate_label.setToolTip(
                self.tr("KV {kv:,} bytes (K {k:,}, V {v:,})").format(kv=e.kv_bytes, k=e.k_bytes, v=e.v_bytes))
        if plan.error is not None:
            self.message_label.setStyleSheet(f"color: {ERROR_COLOR};")
            self.message_label.setText(str(plan.error))
        else:
            self.message_label.setStyleSheet(f"color: {WARNING_COLOR};")
            self.message_label.setText("\n".join(notes))

    def set_busy(self, busy: bool, status: str) -> None:
        self.progress.setVisible(busy)
        self.status_label.setText(status)
