"""The main window: conversations | chat | memory gauge and settings. It wires the widgets to
EngineHost, the store and the settings file, and is the one place errors are shown."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QProcess, Qt, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.core.paths import starter_model_path
from app.core.settings import Settings
from app.core.store import ConversationStore
from app.engine.config import LoadConfig
from app.engine.host import EngineHost
from app.ui.about_dialog import AboutDialog
from app.ui.banner import Banner
from app.ui.chat.chat_session import ChatSession
from app.ui.chat.chat_view import ChatView
from app.ui.chat.composer import Composer
from app.ui.chat.conversation_files import ConversationFiles
from app.ui.chat.conversation_list import ConversationList
from app.ui.chat.conversation_settings import ConversationSettings
from app.ui.chat.conversations import Conversations
from app.ui.escape_closes import close_on_escape
from app.ui.kv.context_on_screen import ContextOnScreen
from app.ui.kv.kept_caches import KeptCachesControl
from app.ui.kv.kv_panel import KvPanel
from app.ui.kv.memory_gauge import MemoryGauge
from app.ui.lab.lab_window import LabWindow
from app.ui.menus import Menus
from app.ui.model_loading import ModelLoading
from app.ui.models.models_window import ModelsWindow
from app.ui.remote.remote_mode import RemoteMode
from app.ui.settings_keeper import SettingsKeeper
from app.ui.shortcuts_dialog import ShortcutsDialog
from app.ui.side_column import SideColumn
from app.ui.tasks import set_error_handler, spawn
from app.ui.view_menu import restart_command

_log = logging.getLogger(__name__)
SHUTDOWN_REPLY_WAIT_SECONDS = 5.0  # a reply that does not stop by then is saved as far as it got


class MainWindow(QMainWindow):
    sig_closed = Signal()
    """The window has shut the engine down and closed."""

    def __init__(self, host: EngineHost, store: ConversationStore, settings_path: Path,
                 settings: Settings | None = None):
        """`settings`: what the caller already read from `settings_path` (read here when None)."""
        super().__init__()
        self.setWindowTitle("KV Chat")
        self.setAcceptDrops(True)
        self.host = host
        self.store = store
        self.settings_path = settings_path
        self.settings_keeper = SettingsKeeper(settings_path, settings, self)
        self.settings_keeper.sig_save_failed.connect(self.show_error)
        self._closing = False
        self._closed = False
        self.lab: LabWindow | None = None

        self.conversations = ConversationList()
        self.chat_view = ChatView()
        self.composer = Composer()
        self.banner = Banner()
        self.gauge = MemoryGauge()
        self.kv_panel = KvPanel(self.host.plan, self.settings)
        self.conversation_settings = ConversationSettings()
        self.session = ChatSession(host, store, self.chat_view, self.composer, self,
                                   overflow_policy=lambda: self.settings.overflow_policy)
        self.files = ConversationFiles(store, self, self.settings_keeper)
        self.remote_mode = RemoteMode(self.session, host, self.settings_keeper, self)
        self.kept_caches = KeptCachesControl(host, store, self.settings_keeper, self.gauge, self.banner, self)
        self.context_on_screen = ContextOnScreen(self.session, self.gauge, self.kept_caches, self)  # the Context bar

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 6, 0, 0)
        center_layout.setSpacing(4)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(12, 0, 12, 0)
        banner_row.addWidget(self.banner)
        center_layout.addLayout(banner_row)
        center_layout.addWidget(self.chat_view, 1)
        center_layout.addWidget(self.composer)

        self.side = SideColumn(self.gauge, self.kv_panel, self.remote_mode.panel, self.conversation_settings)

        splitter = QSplitter()
        splitter.addWidget(self.conversations)
        splitter.addWidget(center)
        splitter.addWidget(self.side)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 620, 400])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage(self.tr("Starting…"))
        self.menus = Menus(self)
        self.menus.view.sig_restart_requested.connect(self.restart)
        self.remote_mode.sig_connected.connect(self._on_remote_connected)
        self.remote_mode.sig_disconnected.connect(self._on_remote_disconnected)
        self.remote_mode.sig_disconnect_requested.connect(lambda: spawn(self.disconnect_server()))
        self.remote_mode.sig_error.connect(self.show_error)

        self.conversation_control = Conversations(store, self.session, self.conversations, self.conversation_settings,
                                                  self.composer, self.settings_keeper, self)
        self.conversation_control.sig_failure.connect(
            lambda error, message, key: self.banner.show_failure(error, message, key=key))
        self.conversation_control.sig_notice.connect(
            lambda text, key: self.banner.show_message(text, error=False, key=key))
        self.conversation_control.sig_deleted.connect(self.kept_caches.conversation_deleted)
        self.kept_caches.sig_marks.connect(self.conversations.set_kept)
        self.conversations.sig_forget_kept.connect(self.kept_caches.forget)
        self.kept_caches.sig_status.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.menus.kept_caches.setEnabled(host.kept is not None)
        self.loading = ModelLoading(host, self.session, self.remote_mode, self.kv_panel, self.gauge,
                                    self.context_on_screen, self.banner, self.settings_keeper, self.statusBar(), self)
        self.kv_panel.sig_open_lab.connect(self.open_lab)
        self.session.sig_error.connect(self.show_error)
        self.files.sig_error.connect(self.show_error)
        self.files.sig_imported.connect(self._on_imported)
        self.files.sig_done.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.session.sig_replying.connect(self._on_replying)
        self.session.sig_notice.connect(lambda text: self.banner.show_message(text, error=False, key="overflow"))
        self.kv_panel.set_overflow(self.settings.overflow_policy)
        self.kv_panel.sig_overflow_changed.connect(lambda policy: self.settings_keeper.change(overflow_policy=policy))
        set_error_handler(self.show_error)

        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromHex(self.settings.window_geometry.encode()))
        else:
            self.resize(1320, 820)
        notices = [n for n in (self.settings.recovered_from, store.notice) if n]
        if notices:
            self.banner.show_message("\n".join(notices), error=False, key="startup")
        # The store recovers by itself when its file is deleted or replaced while running; it says so here.
        store.on_notice = lambda text: self.banner.show_message(text, error=False, key="store")

    @property
    def settings(self) -> Settings:
        """The settings' values; their owner (who changes and saves them) is settings_keeper."""
        return self.settings_keeper.values

    # -- start-up ---------------------------------------------------------------------------

    async def start(self, open_model: str | None = None) -> None:
        """Open the last conversation and load `open_model`, else the last model, else the starter.

        Nothing here stops the window from starting: a conversation that cannot be shown gives way to
        a new one, a model that cannot be planned leaves none loaded, and the banner says why."""
        self.kept_caches.start()
        try:
            await self.open_conversation(self.settings.last_conversation or self.conversation_control.latest())
        except Exception as exc:  # not even a new conversation could be made
            self.banner.show_failure(exc, self.tr("No conversation could be opened ({reason})."))
        try:
            choices = self.settings.model_choices(starter_model_path())
            self.kv_panel.set_models(choices, self.settings.last_model or (choices[0] if choices else None))
            if open_model:
                self.kv_panel.select_model(open_model)
            config = self.kv_panel.config()
            if config is None:
                self.statusBar().showMessage(self.tr("No model: open a .gguf file (File → Open model…)"))
                return
            await self.kv_panel.refresh_plan()
        except Exception as exc:
            self.banner.show_failure(exc, self.tr(
                "The model could not be opened ({reason}). Choose another one (File → Open model…)."), key="load")
            self.statusBar().showMessage(self.tr("No model loaded"))
            return
        await self.apply(config)

    @Slot()
    def show_about(self) -> AboutDialog:
        return self._open_dialog(AboutDialog(self))

    @Slot()
    def show_shortcuts(self) -> ShortcutsDialog:
        return self._open_dialog(ShortcutsDialog(self))

    @staticmethod
    def _open_dialog(dialog):
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # not exec(): a modal loop inside the event loop's coroutines would stall them
        return dialog

    # -- intents the menus and shortcuts call ---------------------------------------------

    @Slot()
    def stop_reply(self) -> None:
        """Esc: stop the reply being written, or leave editing an earlier message."""
        self.composer.escape()

    @Slot()
    def regenerate_reply(self) -> None:
        self.session.regenerate()

    @Slot()
    def focus_composer(self) -> None:
        self.composer.focus_input()

    @Slot()
    def find_conversation(self) -> None:
        self.conversations.focus_search()

    @Slot()
    def rename_conversation(self) -> None:
        self.conversations.rename_current()

    def step_conversation(self, step: int) -> None:
        self.conversation_control.step(step)

    @Slot()
    def import_conversation(self) -> None:
        self.files.import_dialog()

    @Slot()
    def open_kept_caches(self):
        return self.kept_caches.open_dialog()

    def has_kept_cache(self) -> bool:
        return self.session.conversation is not None and self.kept_caches.has_kept(self.session.conversation.id)

    @Slot()
    def forget_kept_cache(self) -> None:
        if self.has_kept_cache():
            self.kept_caches.forget(self.session.conversation.id)

    @Slot()
    def connect_to_server(self):
        return self.remote_mode.open_dialog()

    @Slot()
    def export_conversation(self) -> None:
        if self.session.conversation is not None:
            self.files.export_dialog(self.session.conversation.id)

    @Slot(int)
    def _on_imported(self, conversation_id: int) -> None:
        spawn(self.open_conversation(conversation_id))

    @Slot()
    def open_models(self) -> ModelsWindow:
        return self.loading.open_models_window()

    @property
    def models(self) -> ModelsWindow | None:
        return self.loading.models

    # -- the KV lab -------------------------------------------------------------------------

    @Slot()
    def open_lab(self) -> LabWindow:
        if self.lab is None:
            self.lab = LabWindow(self.host, lambda: self.session.history() if self.session.conversation else (),
                                 settings=self.settings_keeper)
            close_on_escape(self.lab)
            self.lab.sig_running.connect(self._on_lab_running)
            self.lab.sig_use_pair.connect(self._on_lab_pair_chosen)
        self.lab.show()
        self.lab.raise_()
        return self.lab

    @Slot(bool)
    def _on_lab_running(self, running: bool) -> None:
        self.composer.set_blocked(self.tr("The KV lab is measuring; the chat waits until it finishes.")
                                  if running else None)
        self.kv_panel.set_busy(running, self.tr("The KV lab is measuring…") if running else "")

    @Slot(str, str)
    def _on_lab_pair_chosen(self, type_k: str, type_v: str) -> None:
        self.kv_panel.set_types(type_k, type_v)
        self.side.show_tab("kv")
        self.raise_()
        self.activateWindow()

    # -- models -----------------------------------------------------------------------------

    async def apply(self, config: LoadConfig) -> bool:
        return await self.loading.apply(config)

    # -- a server -----------------------------------------------------------------------

    @Slot(object)
    def _on_remote_connected(self, report) -> None:
        self.side.show_remote()
        self.menus.set_remote(True)
        self.kept_caches.set_remote(True)
        if self.lab is not None:
            self.lab.close()
        self.banner.clear("load")
        self.banner.clear("template")
        self.statusBar().showMessage(self.remote_mode.describe(report))

    @Slot()
    def _on_remote_disconnected(self) -> None:
        self.side.show_local()
        self.menus.set_remote(False)
        self.kept_caches.set_remote(False)
        self.statusBar().clearMessage()

    async def disconnect_server(self) -> None:
        await self.loading.leave_server()

    @Slot()
    def open_model_dialog(self) -> QFileDialog:
        return self.loading.open_dialog()

    @Slot(str)
    def open_model(self, path: str) -> None:
        self.loading.open(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.toLocalFile().lower().endswith(".gguf") for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.toLocalFile().lower().endswith(".gguf")]
        if paths:
            event.acceptProposedAction()
            self.open_model(paths[0])

    # -- conversations ----------------------------------------------------------------------

    async def open_conversation(self, conversation_id: int | None) -> None:
        await self.conversation_control.open(conversation_id)

    async def new_conversation(self) -> None:
        await self.conversation_control.new()

    async def delete_conversation(self, conversation_id: int) -> None:
        await self.conversation_control.delete(conversation_id)

    @Slot(bool)
    def _on_replying(self, replying: bool) -> None:
        if not replying:
            spawn(self._refresh_usage())

    async def _refresh_usage(self) -> None:
        self.context_on_screen.engine_usage(await self.host.usage())

    # -- errors and shutdown ----------------------------------------------------------------

    @Slot(object)
    def show_error(self, error: BaseException) -> None:
        self.banner.show_failure(error, "{reason}")

    @Slot()
    def restart(self) -> None:
        """Close the window as usual (saving everything), then start the app again."""
        self.sig_closed.connect(lambda: QProcess.startDetached(*restart_command()))
        self.close()

    def closeEvent(self, event) -> None:
        if self._closed:
            event.accept()
            return
        event.ignore()
        if not self._closing:
            self._closing = True
            spawn(self.shutdown())

    async def shutdown(self) -> None:
        """Save what is on screen, stop the engine, then close for real. Every step is tried even when
        an earlier one failed: a window that cannot close would lose more than the step did."""
        steps = {
            "conversation settings": self.conversation_settings.flush,
            "the plan timer": self.kv_panel.stop,
            "the gauge's timer": self.gauge.stop,
            "the window geometry": lambda: setattr(self.settings, "window_geometry",
                                                   bytes(self.saveGeometry().toHex()).decode()),
            "the settings": self.settings_keeper.save,
            "the reply": lambda: self.session.stop_and_wait(timeout=SHUTDOWN_REPLY_WAIT_SECONDS),
            "the server": self.remote_mode.disconnect,
            "the lab": lambda: self.lab and self.lab.close(),
            "the models window": self.loading.close_models_window,
            "the engine": self.host.close,
            "an import under way": lambda: self.files.wait_for_imports(timeout=30),
            "the conversation store": self.store.close,
        }
        for what, step in steps.items():
            try:
                result = step()
                if inspect.isawaitable(result):
                    await result
            except Exception:  # logged; closing goes on
                _log.exception("closing the window: %s failed", what)
        set_error_handler(None)
        self._closed = True
        self.close()
        self.sig_closed.emit()

