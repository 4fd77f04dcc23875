"""The KV cache and context panel: model, K and V precision, context length, flash attention,
the compact window cache, and -- before anything loads -- what that choice costs."""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.settings import Settings
from app.engine.config import LoadConfig
from app.engine.history_fit import DROP_OLDEST, STOP
from app.engine.kvtypes import cache_type
from app.engine.memory import MIB
from app.engine.planner import LoadPlan
from app.ui.kv.context_length import ContextLength
from app.ui.kv.gpu_box import GpuBox
from app.ui.kv.kv_choices import (
    FLASH_ATTN_CHOICES,
    PRESETS,
    cache_hint,
    cache_type_combo,
    flash_attn_meaning,
    shown,
)
from app.ui.kv.plan_summary import CHANGED, LOADED, NOTHING_LOADED, PlanSummary
from app.ui.kv.reach import reach_text
from app.ui.kv.settings_grid import SettingsGrid, explanation
from app.ui.kv.threads_box import ThreadsBox
from app.ui.style import MUTED_STYLE, WARNING_COLOR, mib
from app.ui.tasks import spawn
from app.ui.wheel_guard import guard_wheel

PLAN_DELAY_MS = 120


class KvPanel(QWidget):
    sig_apply = Signal(object)
    """Load with this LoadConfig."""
    sig_open_model = Signal()
    """The user wants to pick a model file."""
    sig_open_lab = Signal()
    """The user wants to measure what each precision costs this model."""
    sig_overflow_changed = Signal(str)
    """What a conversation longer than the context should do (a history_fit policy)."""

    def __init__(self, planner, settings: Settings, parent=None):
        super().__init__(parent)
        self._planner = planner  # async (LoadConfig) -> LoadPlan
        self._settings = settings
        self._loaded: LoadConfig | None = None
        self._plan: LoadPlan | None = None
        self._busy = False
        self._filling = False

        # Model
        self.model_combo = QComboBox()
        self.model_combo.setMinimumContentsLength(18)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self.open_button = QPushButton(self.tr("Open…"))
        self.open_button.setToolTip(self.tr("Open a .gguf model file (or drop one on the window)"))
        self.open_button.clicked.connect(self.sig_open_model)
        self.model_info = explanation(MUTED_STYLE)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.open_button)
        model_box = QGroupBox(self.tr("Model"))
        model_layout = QVBoxLayout(model_box)
        model_layout.addLayout(model_row)
        model_layout.addWidget(self.model_info)

        # Precision
        self.preset_buttons = []
        presets = QGridLayout()
        presets.setSpacing(4)
        for i, (name, k, v) in enumerate(PRESETS):
            button = QPushButton(shown(name))
            button.setToolTip(f"K {k} / V {v}")
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, k=k, v=v: self.set_types(k, v))
            presets.addWidget(button, i // 2, i % 2)
            self.preset_buttons.append((button, k, v))
        self.k_combo, self.k_help = self._type_combo("K")
        self.v_combo, self.v_help = self._type_combo("V")
        precision_box = QGroupBox(self.tr("KV cache precision"))
        grid = SettingsGrid(precision_box)
        grid.add_wide(presets)
        grid.add_field(self.tr("K (keys)"), self.k_combo)
        grid.add_wide(self.k_help)
        grid.add_field(self.tr("V (values)"), self.v_combo)
        grid.add_wide(self.v_help)
        self.lab_button = QPushButton(self.tr("Measure the quality cost in the KV lab…"))
        self.lab_button.setToolTip(self.tr("Compare each precision with f16 on this model (Ctrl+L)"))
        self.lab_button.clicked.connect(self.sig_open_lab)
        grid.add_wide(self.lab_button)

        # Context and attention
        self.ctx_length = ContextLength(self)
        self.ctx_length.sig_changed.connect(self._on_field_changed)
        self.ctx_note = explanation(f"color: {WARNING_COLOR};")
        self.reach_label = explanation(MUTED_STYLE)
        self.fa_combo = QComboBox()
        for key, label, tip in FLASH_ATTN_CHOICES:
            self.fa_combo.addItem(shown(label), key)
            self.fa_combo.setItemData(self.fa_combo.count() - 1, shown(tip), Qt.ItemDataRole.ToolTipRole)
        self.fa_combo.currentIndexChanged.connect(self._on_field_changed)
        self.fa_help = explanation(MUTED_STYLE)
        self.window_check = QCheckBox(self.tr("Compact sliding-window cache"))
        self.window_check.toggled.connect(self._on_field_changed)
        self.window_help = explanation(MUTED_STYLE)
        self.overflow_combo = QComboBox()
        # Long choices must not widen the panel past its scroll area (the popup still shows them in full).
        self.overflow_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.overflow_combo.setMinimumContentsLength(12)
        self.overflow_combo.addItem(self.tr("Leave out the oldest messages, and say so"), DROP_OLDEST)
        self.overflow_combo.addItem(self.tr("Stop and tell me"), STOP)
        self.overflow_combo.setToolTip(self.tr("The system prompt and the latest messages are always kept."))
        self.overflow_combo.currentIndexChanged.connect(
            lambda _i: self.sig_overflow_changed.emit(self.overflow_combo.currentData()))
        context_box = QGroupBox(self.tr("Context"))
        cgrid = SettingsGrid(context_box)
        cgrid.add_field(self.tr("Length"), self.ctx_length.spin)
        cgrid.add_wide(self.ctx_length.slider)
        cgrid.add_wide(self.ctx_note)
        cgrid.add_wide(self.reach_label)
        cgrid.add_field(self.tr("Flash attention"), self.fa_combo)
        cgrid.add_wide(self.fa_help)
        cgrid.add_wide(self.window_check)
        cgrid.add_wide(self.window_help)
        cgrid.add_field(self.tr("When a chat outgrows it"), self.overflow_combo)

        self.gpu_box = GpuBox()
        self.gpu_box.sig_changed.connect(self._on_field_changed)
        self.threads_box = ThreadsBox()
        self.threads_box.sig_changed.connect(self._on_field_changed)
        # The bar with Apply is pinned under the scrolling settings (side_column); the full price is their last box.
        self.summary = PlanSummary()
        self.summary.apply_button.clicked.connect(self._on_apply_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for box in (model_box, precision_box, context_box, self.gpu_box, self.threads_box, self.summary.details):
            layout.addWidget(box)
        layout.addStretch(1)
        guard_wheel(self)  # the wheel scrolls the settings; it changes a field only once that has focus

        self._plan_timer = QTimer(self)
        self._plan_timer.setSingleShot(True)
        self._plan_timer.timeout.connect(self._on_plan_due)
        self._update_help()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """No height of its own: the scroll area then sizes the panel by its height for the width it has.
        The grids' minimum, their explanations wrapped at the narrowest width, left ~140 px of blank to scroll."""
        return QSize(super().minimumSizeHint().width(), 0)

    def _type_combo(self, part: str) -> tuple[QComboBox, QWidget]:
        combo = cache_type_combo(part)
        combo.currentIndexChanged.connect(self._on_field_changed)
        return combo, explanation(MUTED_STYLE)

    # -- what the fields say ----------------------------------------------------------------

    def config(self) -> LoadConfig | None:
        path = self.model_combo.currentData()
        if not path:
            return None
        return LoadConfig(
            model_path=path,
            n_ctx=self.ctx_length.value(),
            type_k=self.k_combo.currentData(),
            type_v=self.v_combo.currentData(),
            flash_attn=self.fa_combo.currentData(),
            compact_window=self.window_check.isChecked(),
            **self.gpu_box.values(),
            **self.threads_box.values(),
        )

    @property
    def plan(self) -> LoadPlan | None:
        return self._plan

    def set_models(self, paths: list[str], current: str | None) -> None:
        self._filling = True
        self.model_combo.clear()
        for path in paths:
            self.model_combo.addItem(os.path.basename(path), path)
            self.model_combo.setItemData(self.model_combo.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
        self._filling = False
        index = self.model_combo.findData(current) if current else 0
        self.model_combo.setCurrentIndex(max(index, 0))
        self._on_model_changed()

    def select_model(self, path: str) -> None:
        if self.model_combo.findData(path) < 0:
            self.model_combo.insertItem(0, os.path.basename(path), path)
        self.model_combo.setCurrentIndex(self.model_combo.findData(path))

    def set_fields(self, config: LoadConfig) -> None:
        self._filling = True
        try:
            self.k_combo.setCurrentIndex(max(self.k_combo.findData(config.type_k), 0))
            self.v_combo.setCurrentIndex(max(self.v_combo.findData(config.type_v), 0))
            self.fa_combo.setCurrentIndex(max(self.fa_combo.findData(config.flash_attn), 0))
            self.window_check.setChecked(config.compact_window)
            self.ctx_length.set_value(config.n_ctx)
            self.gpu_box.set_values(config)
            self.threads_box.set_values(config)
        finally:
            self._filling = False
        self._on_field_changed()

    def set_types(self, type_k: str, type_v: str) -> None:
        self._filling = True
        self.k_combo.setCurrentIndex(self.k_combo.findData(type_k))
        self.v_combo.setCurrentIndex(self.v_combo.findData(type_v))
        self._filling = False
        self._on_field_changed()

    def set_loaded(self, config: LoadConfig | None) -> None:
        self._loaded = config
        self._refresh_apply()

    def set_overflow(self, policy: str) -> None:
        self.overflow_combo.blockSignals(True)
        self.overflow_combo.setCurrentIndex(max(self.overflow_combo.findData(policy), 0))
        self.overflow_combo.blockSignals(False)

    def stop(self) -> None:
        """Drop a pending estimate (the window is closing)."""
        self._plan_timer.stop()

    @property
    def busy(self) -> bool:
        """A load (or the lab) is under way: Apply waits."""
        return self._busy

    def set_busy(self, busy: bool, status: str = "") -> None:
        self._busy = busy
        self.summary.set_busy(busy, status)
        self.open_button.setEnabled(not busy)
        self.model_combo.setEnabled(not busy)
        self._refresh_apply()

    # -- reactions --------------------------------------------------------------------------

    @Slot()
    def _on_model_changed(self) -> None:
        if self._filling:
            return
        path = self.model_combo.currentData()
        if path:
            self.set_fields(self._settings.load_config(path))

    @Slot()
    def _on_field_changed(self, *_args) -> None:
        if self._filling:
            return
        self._update_help()
        self._plan_timer.start(PLAN_DELAY_MS)
        self._refresh_apply()

    def _update_help(self) -> None:
        k = cache_type(self.k_combo.currentData() or "f16")
        v = cache_type(self.v_combo.currentData() or "f16")
        self.k_help.setText(cache_hint("K", k))
        self.v_help.setText(cache_hint("V", v))
        for button, pk, pv in self.preset_buttons:
            button.setChecked((pk, pv) == (k.name, v.name))
        mode = self.fa_combo.currentData()
        text = flash_attn_meaning(mode)
        if mode == "auto":
            text = (self.tr("Auto: on, because V is quantized. "
                            "It is required for a quantized V and slows an f16 cache on CPU.") if v.quantized else
                    self.tr("Auto: off, because V is not quantized. "
                            "It is required for a quantized V and slows an f16 cache on CPU."))
        self.fa_help.setText(text)

    @Slot()
    def _on_plan_due(self) -> None:
        config = self.config()
        if config is not None:
            spawn(self._update_plan(config))

    async def _update_plan(self, config: LoadConfig) -> None:
        plan = await self._planner(config)
        if self.config() != config:  # the fields moved on while this was computed
            return
        self._show_plan(plan)

    async def refresh_plan(self) -> LoadPlan | None:
        """Compute and show the plan for the fields now (used at start-up and by tests)."""
        config = self.config()
        if config is None:
            return None
        plan = await self._planner(config)
        self._show_plan(plan)
        return plan

    def _show_plan(self, plan: LoadPlan) -> None:
        self._plan = plan
        model = plan.model
        if model is not None:
            facts = [
                model.architecture,
                model.quantization,
                f"{model.file_bytes / MIB:,.0f} MiB",
                self.tr("trained on {tokens:,} tokens").format(tokens=model.n_ctx_train),
            ]
            if model.has_sliding_window:
                facts.append(self.tr("sliding window {tokens}").format(tokens=model.sliding_window))
            facts.append(self.tr("chat template") if model.has_chat_template else
                         self.tr("no chat template: plain completion"))
            self.model_info.setText(" · ".join(facts))
            self.ctx_length.set_slider_reach(max(model.n_ctx_train, 8192) * 2)
            self.window_check.setVisible(model.has_sliding_window)
            self.window_help.setVisible(model.has_sliding_window)
            if model.has_sliding_window and plan.estimate is not None:
                e = plan.estimate
                other = e.other_window_kv.total if e.other_window_kv else e.kv_bytes
                compact, full = (e.kv_bytes, other) if e.compact_window else (other, e.kv_bytes)
                self.window_help.setText(
                    self.tr("Keep only the last {tokens:,} tokens for the {layers} sliding-window layers: "
                            "{compact} instead of {full} here. Editing far back then re-reads the prompt.")
                    .format(tokens=model.sliding_window, layers=model.n_swa_layers, compact=mib(compact),
                            full=mib(full))
                )
        else:
            self.model_info.setText("")
        self._show_reach(plan)
        self.gpu_box.show_plan(plan)
        trained_note = plan.resolved.beyond_trained_warning if plan.resolved else None
        cells_note = plan.resolved.cells_note if plan.resolved else None  # the price says it
        self.ctx_note.setText(trained_note or "")
        self.summary.show_plan(plan, [w for w in plan.warnings if w is not trained_note and w is not cells_note])
        self._refresh_apply()

    def _show_reach(self, plan: LoadPlan) -> None:
        """The longest context each cache type fits in the memory available now."""
        text, tip = reach_text(plan)
        self.reach_label.setText(text)
        self.reach_label.setToolTip(tip)

    def _refresh_apply(self) -> None:
        config = self.config()
        plan_current = self._plan is not None and self._plan.config == config
        valid = plan_current and self._plan.ok
        self.summary.apply_button.setEnabled(
            not self._busy and config is not None and valid and config != self._loaded
        )
        self.summary.set_state(NOTHING_LOADED if self._loaded is None else
                               LOADED if config == self._loaded else CHANGED)
        if not self._busy:
            if config is not None and config == self._loaded:
                self.summary.status_label.setText(self.tr("Loaded"))
            elif valid:
                self.summary.status_label.setText(self.tr("Apply to reload with these settings"))
            else:
                self.summary.status_label.setText("")

    @Slot()
    def _on_apply_clicked(self) -> None:
        config = self.config()
        if config is not None and self.summary.apply_button.isEnabled():
            self.sig_apply.emit(config)

