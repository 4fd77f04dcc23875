"""The CPU part of the KV panel: how many threads llama.cpp generates with and reads a prompt with,
"Auto" (physical cores, one left free where there are several) or a number up to every logical CPU."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QGroupBox

from app.engine.config import LoadConfig, default_batch_threads, default_threads
from app.engine.cpu_cores import machine_topology
from app.ui.kv.settings_grid import SettingsGrid, explanation
from app.ui.style import MUTED_STYLE


class ThreadsBox(QGroupBox):
    sig_changed = Signal()
    """A thread count changed."""

    def __init__(self, parent=None):
        super().__init__(self.tr("CPU threads"), parent)
        cpus = machine_topology()
        self.generation_combo = self._combo(default_threads(), cpus.logical)
        self.prompt_combo = self._combo(default_batch_threads(), cpus.logical)
        self.help_label = explanation(MUTED_STYLE)
        self.help_label.setText(self.tr(
            "This computer has {physical} cores ({logical} logical CPUs). Auto uses the cores, not hyper-threads, "
            "and leaves one free where there are several: llama.cpp's threads wait for each other, so one that "
            "other work delays slows them all.").format(physical=cpus.physical, logical=cpus.logical))
        grid = SettingsGrid(self)
        grid.add_field(self.tr("Generating a reply"), self.generation_combo)
        grid.add_field(self.tr("Reading a prompt"), self.prompt_combo)
        grid.add_wide(self.help_label)

    def _combo(self, auto: int, logical: int) -> QComboBox:
        combo = QComboBox()
        combo.addItem(self.tr("Auto ({n})").format(n=auto), None)
        for n in range(1, max(logical, auto) + 1):
            combo.addItem(str(n), n)
        combo.currentIndexChanged.connect(self._on_changed)
        return combo

    def values(self) -> dict:
        return {"n_threads": self.generation_combo.currentData(),
                "n_threads_batch": self.prompt_combo.currentData()}

    def set_values(self, config: LoadConfig) -> None:
        self.blockSignals(True)
        try:
            for combo, value in ((self.generation_combo, config.n_threads),
                                 (self.prompt_combo, config.n_threads_batch)):
                index = combo.findData(value) if value is not None else 0
                if index < 0:  # a count above this computer's CPUs, from settings made elsewhere
                    combo.addItem(str(value), value)
                    index = combo.count() - 1
                combo.setCurrentIndex(index)
        finally:
            self.blockSignals(False)

    @Slot()
    def _on_changed(self, *_args) -> None:
        self.sig_changed.emit()
