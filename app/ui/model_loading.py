"""Loading a model: every way of choosing one (File → Open, the KV panel's list and Apply, the models
window, a drop, going back from a server) ends in `apply`, which reloads the engine, tells the panel
and the gauge what is loaded now, and says in the banner and the status bar how it went."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QStatusBar, QWidget

from app.core.paths import starter_model_path
from app.engine.config import LoadConfig
from app.engine.errors import EngineError
from app.engine.host import EngineHost
from app.ui.banner import Banner
from app.ui.chat.chat_session import ChatSession
from app.ui.file_dialogs import MODEL as MODEL_FILES
from app.ui.file_dialogs import file_dialog
from app.ui.kv.context_on_screen import ContextOnScreen
from app.ui.kv.kv_panel import KvPanel
from app.ui.kv.memory_gauge import MemoryGauge
from app.ui.models.models_window import ModelsWindow
from app.ui.remote.remote_mode import RemoteMode
from app.ui.settings_keeper import SettingsKeeper
from app.ui.tasks import spawn


class ModelLoading(QObject):
    def __init__(self, host: EngineHost, session: ChatSession, remote_mode: RemoteMode, kv_panel: KvPanel,
                 gauge: MemoryGauge, context_on_screen: ContextOnScreen, banner: Banner,
                 settings_keeper: SettingsKeeper, status_bar: QStatusBar, parent: QWidget):
        super().__init__(parent)
        self._host = host
        self._session = session
        self._remote_mode = remote_mode
        self._panel = kv_panel
        self._gauge = gauge
        self._context = context_on_screen
        self._banner = banner
        self._settings = settings_keeper
        self._status = status_bar
        self._parent = parent
        self.models: ModelsWindow | None = None  # the models window, made when first opened
        kv_panel.sig_apply.connect(lambda config: spawn(self.apply(config)))
        kv_panel.sig_open_model.connect(self.open_dialog)
        kv_panel.model_combo.activated.connect(self._on_model_picked)  # the user's choice, not a refill

    async def apply(self, config: LoadConfig) -> bool:
        """Load or reload the model; on failure the previous model stays (the engine restores it)."""
        await self._session.stop_and_wait()  # the partial reply is saved before the reload
        if self._remote_mode.active:
            await self._remote_mode.disconnect()
        self._panel.set_busy(True, self.tr("Loading…"))
        self._status.showMessage(self.tr("Loading {name}…").format(name=Path(config.model_path).name))
        try:
            report = await self._host.load(config)
        except Exception as exc:  # an EngineError says why; anything else is named with the file
            self._banner.show_failure(exc, "{reason}" if isinstance(exc, EngineError) else
                                      self.tr("{name} could not be loaded ({reason})."),
                                      key="load", name=Path(config.model_path).name)
            current = self._host.report
            self._panel.set_loaded(current.config if current else None)
            self._gauge.set_report(current)
            self._context.engine_usage(await self._host.usage())
            self._status.showMessage(self.tr("Load failed: the previous model is still loaded") if current
                                     else self.tr("Load failed"))
            return False
        finally:
            self._panel.set_busy(False)
        self._settings.values.remember_load(config)
        self._settings.save()
        self._panel.set_loaded(config)
        self._gauge.set_report(report)
        self._context.loaded()
        self._banner.clear("load")
        self._show_template_notice(report)
        self._status.showMessage(self._status_line(report))
        if self.models is not None and self.models.isVisible():
            spawn(self.models.refresh())  # its "loaded" mark moves
        return True

    async def leave_server(self) -> None:
        """Back to this computer, as if never connected: the model loaded before, with its settings (or, if none
        was, the starter model) is loaded again."""
        if not self._remote_mode.active:
            return
        config = self._remote_mode.local_config
        await self._remote_mode.disconnect()
        if config is not None:
            self._panel.select_model(config.model_path)
            self._panel.set_fields(config)
        elif starter_model_path() is not None:
            self._panel.select_model(str(starter_model_path()))
        config = self._panel.config()
        if config is not None:
            await self.apply(config)

    @Slot()
    def open_dialog(self) -> QFileDialog:
        return file_dialog(self._parent, self.tr("Open a GGUF model"), MODEL_FILES, self._settings, self.open,
                           [self.tr("GGUF models (*.gguf)"), self.tr("All files (*)")])

    @Slot(str)
    def open(self, path: str) -> None:
        """Load `path` at once: with the cache settings last used for it, else with those of the model in use."""
        in_use = self._host.report.config if self._host.report is not None else self._panel.config()
        self._panel.select_model(path)
        if path not in self._settings.values.models and in_use is not None:
            self._panel.set_fields(dataclasses.replace(in_use, model_path=path))
        config = self._panel.config()
        if self._host.report is not None and config == self._host.report.config and not self._remote_mode.active:
            return  # chosen again: it is loaded so already
        spawn(self.apply(config))

    def open_models_window(self) -> ModelsWindow:
        if self.models is None:
            self.models = ModelsWindow(known=self._known_models)
            self.models.sig_open_model.connect(self.open)
        spawn(self.models.refresh())  # the loaded and recent models may have changed since it was last shown
        self.models.show()
        self.models.raise_()
        return self.models

    def close_models_window(self) -> None:
        if self.models is not None:
            self.models.shutdown()  # a download under way stops
            self.models.close()

    def _known_models(self) -> tuple[str | None, list[str]]:
        """The model loaded now (none while a server is used) and the ones the KV panel offers."""
        loaded = self._host.report.config.model_path if self._host.report is not None else None
        return loaded, self._settings.values.model_choices(starter_model_path())

    @Slot(int)
    def _on_model_picked(self, index: int) -> None:
        self.open(self._panel.model_combo.itemData(index))

    def _show_template_notice(self, report) -> None:
        """A model without a usable chat template continues text instead of answering: the banner says so."""
        self._banner.clear("template")
        if report.chat_template_problem:
            self._banner.show_message(self.tr(
                "{model} loaded, but {problem}: your messages are continued as plain text, not answered as a "
                "chat.").format(model=report.model.display_name, problem=report.chat_template_problem),
                error=False, key="template")
        elif not report.chat_template:
            self._banner.show_message(self.tr(
                "{model} has no chat template (it is probably a base model): your messages are continued as "
                "plain text, not answered as a chat.").format(model=report.model.display_name),
                error=False, key="template")

    def _status_line(self, report) -> str:
        status = (self.tr("{model} · {tokens} tokens · K {type_k} / V {type_v} · flash attention on · "
                          "loaded in {seconds:.1f} s") if report.flash_attn else
                  self.tr("{model} · {tokens} tokens · K {type_k} / V {type_v} · flash attention off · "
                          "loaded in {seconds:.1f} s"))
        return status.format(model=report.model.display_name, tokens=f"{report.n_ctx:,}", type_k=report.type_k,
                             type_v=report.type_v, seconds=report.load_seconds)
