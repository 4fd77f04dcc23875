"""The context length field: a slider for reach and a number for precision, kept in step.

The number is the value; the slider moves in CTX_STEP-token steps, up to what the model can use.
The panel lays the two out: the number beside its label, the slider across the box's width (in
the number's column it was squeezed to a few pixels)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QSlider, QSpinBox

from app.engine.memory import MAX_CTX

CTX_STEP = 256


class ContextLength(QObject):
    sig_changed = Signal(int)
    """The context length, in tokens, changed (typed, stepped or slid)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(1, 32768 // CTX_STEP)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.spin = QSpinBox()
        self.spin.setRange(1, MAX_CTX)
        self.spin.setSingleStep(CTX_STEP)
        self.spin.setGroupSeparatorShown(True)
        self.spin.setSuffix(self.tr(" tokens"))
        self.spin.valueChanged.connect(self._on_spin_changed)

    def value(self) -> int:
        return self.spin.value()

    def set_value(self, tokens: int) -> None:
        self.spin.setValue(tokens)

    def set_slider_reach(self, tokens: int) -> None:
        """How far the slider goes (the number can still be typed up to MAX_CTX)."""
        self.slider.setRange(1, min(tokens, MAX_CTX) // CTX_STEP)
        self._move_slider_to(self.spin.value())

    @Slot(int)
    def _on_slider_moved(self, steps: int) -> None:
        self.spin.setValue(steps * CTX_STEP)

    @Slot(int)
    def _on_spin_changed(self, tokens: int) -> None:
        self._move_slider_to(tokens)
        self.sig_changed.emit(tokens)

    def _move_slider_to(self, tokens: int) -> None:
        self.slider.blockSignals(True)  # the slider follows the number, it does not set it back
        self.slider.setValue(max(1, -(-tokens // CTX_STEP)))
        self.slider.blockSignals(False)
