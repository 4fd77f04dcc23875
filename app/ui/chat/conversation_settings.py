"""System prompt and sampling for one conversation, saved with it."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QPlainTextEdit, QPushButton, QSpinBox, QWidget

from app.engine.records import SamplingParams
from app.ui.style import MUTED_STYLE
from app.ui.wheel_guard import guard_wheel

SAVE_DELAY_MS = 400


class ConversationSettings(QWidget):
    sig_changed = Signal(str, object)
    """The system prompt (str) or sampling (SamplingParams) of the open conversation changed."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setPlaceholderText(
            self.tr("Optional: how the assistant should behave in this conversation."))
        self.system_prompt.setMaximumHeight(110)
        self.temperature = self._double(0.0, 2.0, 0.05, self.tr("0 always picks the likeliest token"))
        self.top_p = self._double(
            0.0, 1.0, 0.01, self.tr("keep the smallest set of tokens whose probability adds up to this"))
        self.top_k = self._int(0, 1000, self.tr("keep only the k likeliest tokens (0 = all)"))
        self.min_p = self._double(
            0.0, 1.0, 0.01, self.tr("drop tokens less likely than this fraction of the likeliest"))
        self.repeat_penalty = self._double(1.0, 2.0, 0.01, self.tr("discourage repeating recent tokens (1 = off)"))
        self.max_tokens = self._int(1, 65536, self.tr("the longest reply, in tokens"))
        self.seed = self._int(-1, 2**31 - 1, self.tr("the same seed and settings give the same reply"))
        self.seed.setSpecialValueText(self.tr("random"))
        self.reset_button = QPushButton(self.tr("Defaults"))
        self.reset_button.clicked.connect(self._on_reset_clicked)
        note = QLabel(self.tr("Saved with this conversation; used from the next reply on. A new conversation "
                              "starts from the defaults."))
        note.setWordWrap(True)
        note.setStyleSheet(MUTED_STYLE)

        form = QFormLayout(self)
        form.addRow(QLabel("<b>" + self.tr("System prompt") + "</b>"))
        form.addRow(self.system_prompt)
        form.addRow(QLabel("<b>" + self.tr("Sampling") + "</b>"))
        form.addRow(self.tr("Temperature"), self.temperature)
        form.addRow(self.tr("Top-p"), self.top_p)
        form.addRow(self.tr("Top-k"), self.top_k)
        form.addRow(self.tr("Min-p"), self.min_p)
        form.addRow(self.tr("Repeat penalty"), self.repeat_penalty)
        form.addRow(self.tr("Max tokens"), self.max_tokens)
        form.addRow(self.tr("Seed"), self.seed)
        form.addRow(self.reset_button)
        form.addRow(note)
        guard_wheel(self)  # scrolling the tab never moves a sampling setting under the pointer

        self._filling = False
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.timeout.connect(self._emit_changes)
        self.system_prompt.textChanged.connect(self._on_changed)
        for w in (self.temperature, self.top_p, self.min_p, self.repeat_penalty):
            w.valueChanged.connect(self._on_changed)
        for w in (self.top_k, self.max_tokens, self.seed):
            w.valueChanged.connect(self._on_changed)

    def _double(self, low: float, high: float, step: float, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setSingleStep(step)
        box.setDecimals(2)
        box.setToolTip(tip)
        return box

    def _int(self, low: int, high: int, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setToolTip(tip)
        return box

    def sampling(self) -> SamplingParams:
        seed = self.seed.value()
        return SamplingParams(
            temperature=round(self.temperature.value(), 2),
            top_p=round(self.top_p.value(), 2),
            top_k=self.top_k.value(),
            min_p=round(self.min_p.value(), 2),
            repeat_penalty=round(self.repeat_penalty.value(), 2),
            max_tokens=self.max_tokens.value(),
            seed=None if seed < 0 else seed,
        )

    def set_values(self, system_prompt: str, sampling: SamplingParams) -> None:
        self._filling = True
        try:
            if self.system_prompt.toPlainText() != system_prompt:
                self.system_prompt.setPlainText(system_prompt)
            self.temperature.setValue(sampling.temperature)
            self.top_p.setValue(sampling.top_p)
            self.top_k.setValue(sampling.top_k)
            self.min_p.setValue(sampling.min_p)
            self.repeat_penalty.setValue(sampling.repeat_penalty)
            self.max_tokens.setValue(sampling.max_tokens)
            self.seed.setValue(-1 if sampling.seed is None else sampling.seed)
        finally:
            self._filling = False

    @Slot()
    def _on_reset_clicked(self) -> None:
        self.set_values(self.system_prompt.toPlainText(), SamplingParams())
        self._on_changed()

    @Slot()
    def _on_changed(self, *_args) -> None:
        if not self._filling:
            self._save_timer.start(SAVE_DELAY_MS)

    def flush(self) -> None:
        """Emit a pending change now (before switching conversations or closing)."""
        if self._save_timer.isActive():
            self._save_timer.stop()
            self._emit_changes()

    @Slot()
    def _emit_changes(self) -> None:
        self.sig_changed.emit(self.system_prompt.toPlainText(), self.sampling())
