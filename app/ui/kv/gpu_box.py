"""The GPU part of the KV panel: the devices this build found, how many layers go to the GPU,
whether the KV cache lives in VRAM, how several GPUs share the model -- and, per device, what
the choice puts there before anything loads."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QLabel, QSpinBox

from app.engine.config import LoadConfig
from app.engine.devices.backend_kernels import attention_support
from app.engine.devices.registry import cuda_has_all_flash_attn_pairs
from app.engine.planner import LoadPlan
from app.ui.kv.settings_grid import SettingsGrid, explanation
from app.ui.style import ERROR_COLOR, GOOD_COLOR, MUTED_STYLE, WARNING_COLOR, mib

NUMBER = "number"


class GpuBox(QGroupBox):
    sig_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(self.tr("GPU"), parent)
        self._backends: dict[str, str] = {}  # device name -> backend
        self.devices_label = explanation()
        self.layers_combo = QComboBox()
        for key, label, tip in (
            ("auto", self.tr("Auto"), self.tr("As many layers as fit in the GPU's free memory, "
                                             "keeping 1 GiB free (llama.cpp's own margin)")),
            ("all", self.tr("All"), self.tr("Every layer and the output layer on the GPU")),
            ("none", self.tr("None"), self.tr("Everything on the CPU")),
            (NUMBER, self.tr("Number…"), self.tr("This many layers on the GPU, counting the output layer "
                                                "as one, as llama.cpp does")),
        ):
            self.layers_combo.addItem(label, key)
            self.layers_combo.setItemData(self.layers_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.layers_combo.currentIndexChanged.connect(self._on_changed)
        self.layers_spin = QSpinBox()
        self.layers_spin.setRange(0, 513)
        self.layers_spin.valueChanged.connect(self._on_changed)
        layers_row = self._layers_row = QHBoxLayout()
        layers_row.addWidget(self.layers_combo, 1)
        layers_row.addWidget(self.layers_spin)
        self.layers_help = explanation(MUTED_STYLE)
        self.kv_check = QCheckBox(self.tr("KV cache in VRAM"))
        self.kv_check.setToolTip(self.tr("Each layer on the GPU keeps its K and V there (fastest). Off: the "
                                         "cache stays in RAM and attention runs on the CPU, leaving VRAM for "
                                         "weights (llama.cpp's --no-kv-offload)."))
        self.kv_check.toggled.connect(self._on_changed)
        self.split_combo = QComboBox()
        self.split_combo.addItem(self.tr("Spread layers over all GPUs"), "layer")
        self.split_combo.addItem(self.tr("First GPU only"), "none")
        self.split_combo.currentIndexChanged.connect(self._on_changed)
        split_label = QLabel(self.tr("Several GPUs"))
        self.devices_table = explanation()
        self.slow_label = explanation(f"color: {WARNING_COLOR};")
        grid = self._grid = SettingsGrid(self)
        grid.add_wide(self.devices_label)
        # Rows shown only with a GPU (and the split only with several).
        self._gpu_rows = (grid.add_field(self.tr("Layers on the GPU"), layers_row), grid.add_wide(self.layers_help),
                          grid.add_wide(self.kv_check))
        self._split_row = grid.add_field(split_label, self.split_combo)
        grid.add_wide(self.devices_table)
        grid.add_wide(self.slow_label)
        self._filling = False
        self._sync_visibility()
        self.show_gpus(())

    # -- the fields -------------------------------------------------------------------------

    def values(self) -> dict:
        key = self.layers_combo.currentData()
        return {
            "gpu_layers": self.layers_spin.value() if key == NUMBER else key,
            "kv_offload": self.kv_check.isChecked(),
            "split_mode": self.split_combo.currentData(),
        }

    def set_values(self, config: LoadConfig) -> None:
        self._filling = True
        try:
            if isinstance(config.gpu_layers, int):
                self.layers_combo.setCurrentIndex(self.layers_combo.findData(NUMBER))
                self.layers_spin.setValue(config.gpu_layers)
            else:
                self.layers_combo.setCurrentIndex(max(self.layers_combo.findData(config.gpu_layers), 0))
            self.kv_check.setChecked(config.kv_offload)
            self.split_combo.setCurrentIndex(max(self.split_combo.findData(config.split_mode), 0))
        finally:
            self._filling = False
        self._sync_visibility()

    @Slot()
    def _on_changed(self, *_args) -> None:
        self._sync_visibility()
        if not self._filling:
            self.sig_changed.emit()

    def _sync_visibility(self) -> None:
        self.layers_spin.setVisible(self.layers_combo.currentData() == NUMBER)

    # -- what the plan says -----------------------------------------------------------------

    def show_gpus(self, gpus) -> None:
        self._backends = {d.name: d.backend for d in gpus}
        has_gpu = bool(gpus)
        for widget in (self.layers_combo, self.layers_spin, self.kv_check):
            widget.setEnabled(has_gpu)
        # Without a GPU only the sentence saying so is shown.
        for row in self._gpu_rows:
            self._grid.show_row(row, has_gpu)
        self._grid.show_row(self._split_row, len(gpus) > 1)
        if has_gpu:
            self._sync_visibility()  # the number field only with "Number…"
        if not has_gpu:
            self.devices_label.setText(self.tr(
                "This build of llama.cpp has no GPU backend, or found no GPU: everything runs on the CPU. "
                "The README says how to install it with CUDA, Metal or Vulkan."))
            return
        self.devices_label.setText("<br>".join(
            self.tr("<b>{name}</b> {description} ({backend}): {free} free of {total}").format(
                name=escape(d.name), description=escape(d.description), backend=escape(d.backend),
                free=mib(d.free_bytes),
                total=mib(d.total_bytes))
            for d in gpus))

    def show_plan(self, plan: LoadPlan) -> None:
        self.show_gpus(plan.gpus)
        model = plan.model
        if model is not None:
            self.layers_spin.setMaximum(model.n_layer + 1)
        self._show_layers(plan)
        self._show_devices(plan)
        self._show_speed(plan)

    def _show_layers(self, plan: LoadPlan) -> None:
        resolved = plan.resolved
        if not plan.gpus or resolved is None:
            self.layers_help.setText("")
            return
        placement = resolved.placement
        self.layers_help.setText(self.tr(
            "{n} of {total} layers on the GPU, the output layer on {output} (llama.cpp's n_gpu_layers {ngl})."
        ).format(n=placement.offloaded_layers, total=resolved.model.n_layer, output=placement.output_device,
                 ngl=placement.n_gpu_layers))

    def _show_devices(self, plan: LoadPlan) -> None:
        e = plan.estimate
        if not plan.gpus or e is None or not e.devices:
            self.devices_table.setText("")
            return
        rows = []
        for d in e.devices:
            place = self.tr("VRAM {name}").format(name=d.name) if d.is_gpu else self.tr("RAM")
            color = GOOD_COLOR if d.fits else ERROR_COLOR
            verdict = self.tr("fits") if d.fits else self.tr("does not fit")
            saving = ""
            if d.is_gpu and d.kv_bytes:
                saving = self.tr(" · saves {saving} against f16").format(saving=mib(d.saving_bytes))
            rows.append(self.tr(
                "<b>{place}</b>: weights {weights} · K {k} · V {v} · compute ~{compute} = {total} "
                "of {free} free <span style='color:{color}'>{verdict}</span>{saving}").format(
                place=place, weights=mib(d.weights_bytes), k=mib(d.k_bytes), v=mib(d.v_bytes),
                compute=mib(d.compute_bytes), total=mib(d.total_bytes), free=mib(d.free_bytes), color=color,
                verdict=verdict, saving=saving))
        self.devices_table.setText("<br>".join(rows))

    def _show_speed(self, plan: LoadPlan) -> None:
        """A K/V pair the GPU's backend has no fast attention kernel for is marked slow, with why."""
        resolved = plan.resolved
        self.slow_label.setText("")
        if resolved is None or not plan.gpus or not resolved.config.kv_offload:
            return
        backends = {self._backends.get(d) for d in resolved.placement.kv_devices} - {None, "CPU"}
        model = resolved.model
        reasons = []
        for backend in sorted(backends):
            support = attention_support(
                backend, resolved.type_k.name, resolved.type_v.name, flash_attn=resolved.flash_attn,
                head_dim_k=model.head_dim_k, head_dim_v=model.head_dim_v, n_head_kv=max(model.n_head_kv),
                cuda_all_quants=backend == "CUDA" and cuda_has_all_flash_attn_pairs())
            if not support.fast and support.reason:
                reasons.append(self.tr("Slow on this build: {reason}").format(reason=support.reason))
        self.slow_label.setText("\n".join(reasons))
