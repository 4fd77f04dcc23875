"""The KV lab window: measure what each cache precision costs the loaded model, see the
trade-off, get a recommendation for a quality budget, and plan memory against context length."""

from __future__ import annotations

from contextlib import aclosing

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.paths import cache_dir
from app.engine.backend import ThreadStream
from app.engine.errors import EngineError
from app.engine.host import EngineHost
from app.engine.lab.results import (
    DEFAULT_BUDGET,
    LabPair,
    LabReport,
    agreement_percent,
    agreement_words,
    memory_curves,
    pareto_front,
    recommend,
    speed_with_spread,
)
from app.engine.lab.run import ALL_PAIRS, PRESET_PAIRS, PROBE_RUNS, PROBE_TOKENS, LabProgress, LabSpec
from app.engine.memory import MAX_CTX, MIB
from app.engine.planner import available_memory
from app.ui.file_dialogs import LAB_TEXT, file_dialog
from app.ui.lab.planner_chart import PlannerChart
from app.ui.lab.tradeoff_chart import ChartPoint, TradeoffChart, nice_ceiling
from app.ui.style import ERROR_COLOR, colored, short_tokens
from app.ui.tasks import spawn
from app.ui.window_size import resize_within_screen

COLUMNS = (
    QT_TRANSLATE_NOOP("LabWindow", "K / V"),
    QT_TRANSLATE_NOOP("LabWindow", "FA"),
    QT_TRANSLATE_NOOP("LabWindow", "KV MiB"),
    QT_TRANSLATE_NOOP("LabWindow", "saving %"),
    QT_TRANSLATE_NOOP("LabWindow", "KL mean"),
    QT_TRANSLATE_NOOP("LabWindow", "KL p99"),
    QT_TRANSLATE_NOOP("LabWindow", "top-1 %"),
    QT_TRANSLATE_NOOP("LabWindow", "PPL ratio"),
    QT_TRANSLATE_NOOP("LabWindow", "prompt tok/s"),
    QT_TRANSLATE_NOOP("LabWindow", "gen tok/s"),
)
# Where the lab's reference text came from, as the engine names it (any other name is a file's).
REFERENCE_SOURCES = {
    "built-in": QT_TRANSLATE_NOOP("LabWindow", "built-in"),
    "conversation": QT_TRANSLATE_NOOP("LabWindow", "conversation"),
}
PLANNER_TYPES = (LabPair("f16", "f16"), LabPair("q8_0", "q8_0"), LabPair("q4_0", "q4_0"))
PROGRESS_STEPS = 1000


class _NumberItem(QTableWidgetItem):
    """Sorts by value, shows a formatted string."""

    def __init__(self, value: float, text: str):
        super().__init__(text)
        self.value = value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other):
        return self.value < getattr(other, "value", 0)


class LabWindow(QWidget):
    sig_running = Signal(bool)
    """A measurement started (True) or ended (False): the chat must wait meanwhile."""
    sig_use_pair = Signal(str, str)
    """Put this K and V type into the KV panel."""

    def __init__(self, host: EngineHost, conversation_provider, parent=None, settings=None):
        """`settings`: the SettingsKeeper where the text-file dialog remembers its folder."""
        super().__init__(parent, Qt.WindowType.Window)
        self._settings = settings
        self.setWindowTitle(self.tr("KV lab"))
        self.host = host
        self._conversation = conversation_provider  # () -> tuple[ChatMessage, ...]
        self._text_file: str | None = None
        self.report: LabReport | None = None
        self._recommended: LabPair | None = None
        self._running = False
        self._lab: ThreadStream | None = None  # the measurement under way

        self.source_combo = QComboBox()
        self.source_combo.addItem(self.tr("Built-in text (the model's own continuation, English and Chinese)"),
                                  "built-in")
        self.source_combo.addItem(self.tr("This conversation"), "conversation")
        self.source_combo.addItem(self.tr("A text file…"), "file")
        self.source_combo.activated.connect(self._on_source_chosen)
        self.pairs_combo = QComboBox()
        self.pairs_combo.addItem(self.tr("Presets: q8_0/q8_0, q8_0/q4_0, q4_0/q4_0"), "presets")
        self.pairs_combo.addItem(self.tr("All 81 K/V pairs (minutes)"), "all")
        self.tokens_spin = QSpinBox()
        self.tokens_spin.setRange(64, 4096)
        self.tokens_spin.setSingleStep(128)
        self.tokens_spin.setValue(512)
        self.tokens_spin.setSuffix(self.tr(" tokens"))
        self.run_button = QPushButton(self.tr("Measure"))
        self.run_button.clicked.connect(self._on_run_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)  # one bar over the whole run
        self.status = QLabel(self.tr("Compares each cache with f16/f16 on the same tokens (as llama-perplexity "
                                     "--kl-divergence does). Results are kept per model, so a second look is "
                                     "instant."))
        self.status.setWordWrap(True)

        controls = QHBoxLayout()
        for label, widget in ((self.tr("Text"), self.source_combo), (self.tr("Pairs"), self.pairs_combo),
                              (self.tr("Score"), self.tokens_spin)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.run_button)

        self.chart = TradeoffChart()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([QCoreApplication.translate("LabWindow", c) for c in COLUMNS])
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.budget_spin = QDoubleSpinBox()
        self.budget_spin.setDecimals(4)
        self.budget_spin.setRange(0.0, 1.0)
        self.budget_spin.setSingleStep(0.005)
        self.budget_spin.setValue(DEFAULT_BUDGET)
        self.budget_spin.setToolTip(
            self.tr("The mean KL divergence you accept (f16/f16 is 0; the noise floor is typical)"))
        self.budget_spin.valueChanged.connect(self._show_recommendation)
        self.recommendation = QLabel()
        self.recommendation.setWordWrap(True)
        self.use_button = QPushButton(self.tr("Use in the KV panel"))
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._on_use_clicked)
        self.planner = PlannerChart()

        upper = QSplitter()
        upper.addWidget(self.chart)
        upper.addWidget(self.table)
        upper.setSizes([460, 860])  # the table's ten columns, speeds with their spread, need the room
        budget_row = QHBoxLayout()
        budget_row.addWidget(QLabel(self.tr("Quality budget (mean KL)")))
        budget_row.addWidget(self.budget_spin)
        budget_row.addWidget(self.recommendation, 1)
        budget_row.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(upper, 3)
        layout.addLayout(budget_row)
        layout.addWidget(QLabel(self.tr("<b>Memory planner</b>: total memory against context length, and the "
                                        "longest context each cache fits in the memory available now")))
        layout.addWidget(self.planner, 2)
        resize_within_screen(self, 1340, 860)
        self._set_running(False)

    # -- running --------------------------------------------------------------------------------

    def spec(self) -> LabSpec:
        source = self.source_combo.currentData()
        return LabSpec(
            pairs=ALL_PAIRS if self.pairs_combo.currentData() == "all" else PRESET_PAIRS,
            scored_tokens=self.tokens_spin.value(),
            conversation=tuple(self._conversation()) if source == "conversation" else (),
            text_file=self._text_file if source == "file" else None,
            cache_dir=str(cache_dir()),
        )

    @Slot()
    def _on_run_clicked(self) -> None:
        if self._running:
            if self._lab is not None:
                self._lab.cancel()  # this measurement only: a reply queued meanwhile still comes
        else:
            spawn(self.run())

    async def run(self, spec: LabSpec | None = None) -> LabReport | None:
        if self.host.report is None:
            self.status.setText(self.tr("Load a model first."))
            return None
        self._set_running(True)
        self.progress.setValue(0)
        self.status.setText(self.tr("Measuring… the chat waits until this finishes."))
        report = None
        self._lab = stream = self.host.lab(spec or self.spec())
        try:
            async with aclosing(stream):
                async for item in stream:
                    if isinstance(item, LabProgress):
                        self.progress.setValue(round(item.fraction * PROGRESS_STEPS))
                        self.status.setText(item.label)
                    else:
                        report = item
            if report is None:  # a cancelled lab ends without a report
                self.status.setText(self.tr("Cancelled."))
        except (EngineError, OSError) as exc:
            self.status.setText(colored(str(exc), ERROR_COLOR))
        finally:
            self._lab = None
            self._set_running(False)
        if report is not None:
            self.show_report(report)
        return report

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.run_button.setText(self.tr("Cancel") if running else self.tr("Measure"))
        self.progress.setVisible(running)
        for w in (self.source_combo, self.pairs_combo, self.tokens_spin):
            w.setEnabled(not running)
        self.sig_running.emit(running)

    @Slot(int)
    def _on_source_chosen(self, index: int) -> None:
        if self.source_combo.itemData(index) == "file":
            file_dialog(self, self.tr("A text to score"), LAB_TEXT, self._settings, self._on_file_chosen,
                        [self.tr("Text (*.txt *.md)"), self.tr("All files (*)")])

    @Slot(str)
    def _on_file_chosen(self, path: str) -> None:
        self._text_file = path
        self.source_combo.setItemText(2, self.tr("File: {path}").format(path=path))

    # -- showing --------------------------------------------------------------------------------

    def show_report(self, report: LabReport) -> None:
        self.report = report
        source = report.reference_source
        source = QCoreApplication.translate("LabWindow", REFERENCE_SOURCES[source]) \
            if source in REFERENCE_SOURCES else source
        if report.cached_pairs:
            summary = self.tr("%n tokens of {source} text scored in {seconds:.0f} s, {cached} from the cache. "
                              "KV bytes priced at {n_ctx:,} tokens.", "", report.scored_tokens)
        else:
            summary = self.tr("%n tokens of {source} text scored in {seconds:.0f} s. "
                              "KV bytes priced at {n_ctx:,} tokens.", "", report.scored_tokens)
        summary = summary.format(source=source, seconds=report.seconds, cached=report.cached_pairs,
                                 n_ctx=report.n_ctx)
        errors = "".join(f"<br>{label}: {why}" for label, why in report.errors.items())
        self.status.setText(summary + errors)
        self._fill_table(report)
        self._show_recommendation()

    def _fill_table(self, report: LabReport) -> None:
        rows = [report.reference, *([report.noise_floor] if report.noise_floor else []), *report.results]
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            types = f"{r.pair.type_k}/{r.pair.type_v}"  # the FA column says how flash attention was set
            if r is report.reference:
                label = self.tr("{pair} (reference)").format(pair=types)
            elif r is report.noise_floor:
                label = self.tr("{pair} (noise floor)").format(pair=types)
            else:
                label = r.pair.label
            cells = [
                QTableWidgetItem(label),
                QTableWidgetItem(self.tr("on") if r.flash_attn else self.tr("off")),
                _NumberItem(r.kv_bytes, f"{r.kv_bytes / MIB:,.1f}"),
                _NumberItem(r.saving_percent, f"{r.saving_percent:.1f}"),
                _NumberItem(r.kl_mean, f"{r.kl_mean:.5f}"),
                _NumberItem(r.kl_p99, f"{r.kl_p99:.4f}"),
                _NumberItem(r.top1_agreement, agreement_percent(r.top1_agreement)),
                _NumberItem(r.perplexity_ratio, f"{r.perplexity_ratio:.4f}"),
                _NumberItem(r.prompt_tokens_per_second, speed_with_spread(r.prompt_tokens_per_second, r.prompt_range)),
                _NumberItem(r.generation_tokens_per_second,
                            speed_with_spread(r.generation_tokens_per_second, r.generation_range)),
            ]
            words = agreement_words(r)
            cells[0].setToolTip(words)
            cells[6].setToolTip(words)
            cells[8].setToolTip(self.tr("Median of the reads of the text, one per sequence; in brackets the "
                                        "slowest and fastest."))
            cells[9].setToolTip(self.tr("Median of {runs} runs of {tokens} generated tokens; in brackets the "
                                        "slowest and fastest.").format(runs=PROBE_RUNS, tokens=PROBE_TOKENS))
            for column, item in enumerate(cells):
                self.table.setItem(i, column, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(2, Qt.SortOrder.DescendingOrder)  # the biggest cache first: f16/f16 leads
        self.table.resizeColumnsToContents()

    @Slot()
    def _show_recommendation(self, *_args) -> None:
        report = self.report
        if report is None:
            return
        available = available_memory() + self.host.reclaimable_bytes()
        rec = recommend(report, self.budget_spin.value(), available)
        self._recommended = rec.result.pair
        front = {r.pair.label for r in pareto_front(report.all_points)}
        points = [ChartPoint(r.pair.label, r.saving_bytes / MIB, r.kl_mean, r.pair.label in front,
                             r.pair == rec.result.pair, self._point_tip(r)) for r in report.all_points]
        noise = report.noise_floor.kl_mean if report.noise_floor else None
        self.chart.set_data(points, noise, self.budget_spin.value())
        if rec.fits_trained_context:
            text = self.tr("Smallest cache within the budget: <b>K {type_k} / V {type_v}</b>, {size:,.1f} MiB at "
                           "{n_ctx:,} tokens (saves {percent:.0f} %): {words}. It fits <b>the whole trained "
                           "context ({trained:,})</b> in the {available:.1f} GiB available.")
        elif report.model.n_ctx_train:
            text = self.tr("Smallest cache within the budget: <b>K {type_k} / V {type_v}</b>, {size:,.1f} MiB at "
                           "{n_ctx:,} tokens (saves {percent:.0f} %): {words}. It fits <b>{reach}</b> tokens in the "
                           "{available:.1f} GiB available (trained on {trained:,}).")
        else:
            text = self.tr("Smallest cache within the budget: <b>K {type_k} / V {type_v}</b>, {size:,.1f} MiB at "
                           "{n_ctx:,} tokens (saves {percent:.0f} %): {words}. It fits <b>{reach}</b> tokens in the "
                           "{available:.1f} GiB available.")
        self.recommendation.setText(text.format(
            type_k=rec.result.pair.type_k, type_v=rec.result.pair.type_v, size=rec.result.kv_bytes / MIB,
            n_ctx=report.n_ctx, percent=rec.result.saving_percent, reach=short_tokens(rec.largest_ctx),
            available=available / 1024**3, trained=report.model.n_ctx_train or 0,
            words=agreement_words(rec.result),
        ))
        self.use_button.setEnabled(True)
        pairs = list(PLANNER_TYPES)
        if rec.result.pair not in pairs:
            pairs.append(rec.result.pair)
        probe = memory_curves(report.model, pairs, available, MAX_CTX, points=8)
        widest = max((c.largest_ctx for c in probe), default=0)
        x_max = int(max(8192, min(MAX_CTX, nice_ceiling(widest * 1.2))))
        trained = report.model.n_ctx_train or 0
        if trained:  # a context past the trained one is no use to plan for: the lines stop there
            x_max = min(x_max, int(nice_ceiling(trained * 1.05)))
        self.planner.set_data(memory_curves(report.model, pairs, available, x_max), available, trained, x_max)

    def _point_tip(self, r) -> str:
        return self.tr("{pair}: mean KL {kl:.4f}, {words}; saves {percent:.0f} %").format(
            pair=r.pair.label, kl=r.kl_mean, words=agreement_words(r), percent=r.saving_percent)

    @Slot()
    def _on_use_clicked(self) -> None:
        if self._recommended is not None:
            self.sig_use_pair.emit(self._recommended.type_k, self._recommended.type_v)
