"""The panel's footer: what the chosen settings cost (or why they are refused), and Apply."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from app.engine.memory import MIB
from app.engine.planner import LoadPlan

WARNING_COLOR = "#b7791f"
ERROR_COLOR = "#c0392b"
GOOD_COLOR = "#2e9d55"


def mib(n: int) -> str:
    return f"{n / MIB:,.1f} MiB"


class PlanSummary(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Before loading", parent)
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
        self.apply_button = QPushButton("Apply")
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
            fit = (f"<span style='color:{GOOD_COLOR}'>fits</span>" if e.fits
                   else f"<span style='color:{ERROR_COLOR}'><b>does not fit</b></span>")
            saving = (f"saves <b>{mib(e.saving_bytes)} ({e.saving_percent:.1f} %)</b>" if e.saving_bytes >= 0
                      else f"<b>{mib(-e.saving_bytes)} more</b> than f16")
            self.estimate_label.setText(
                f"KV cache <b>{mib(e.kv_bytes)}</b> (K {mib(e.k_bytes)} + V {mib(e.v_bytes)}) for "
                f"{e.n_ctx:,} tokens<br>f16/f16 would take {mib(e.f16_kv_bytes)}: {saving}<br>"
                f"Total with weights {mib(e.weights_bytes)} and compute ≈{mib(e.compute_bytes)}: "
                f"<b>{mib(e.total_bytes)}</b>, {mib(e.available_bytes)} available: {fit}"
            )
            self.estimate_label.setToolTip(f"KV {e.kv_bytes:,} bytes (K {e.k_bytes:,}, V {e.v_bytes:,})")
        if plan.error is not None:
            self.message_label.setStyleSheet(f"color: {ERROR_COLOR};")
            self.message_label.setText(str(plan.error))
        else:
            self.message_label.setStyleSheet(f"color: {WARNING_COLOR};")
            self.message_label.setText("\n".join(notes))

    def set_busy(self, busy: bool, status: str) -> None:
        self.progress.setVisible(busy)
        self.status_label.setText(status)
