"""Switching the window between the model on this computer and a model on a server.

Connected, the chat talks to the RemoteHost, the local model is unloaded (its memory is the
point of going remote), the KV panel gives way to the RemotePanel, and the KV lab and memory
gauge, which measure this computer, are set aside. Disconnecting loads the local model again.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QWidget

from app.engine.errors import EngineError
from app.engine.remote.host import RemoteHost
from app.ui.remote.connect_dialog import ConnectDialog
from app.ui.remote.remote_panel import RemotePanel, model_label
from app.ui.settings_keeper import SettingsKeeper
from app.ui.tasks import spawn


class RemoteMode(QObject):
    """Owns the RemoteHost while connected; says when the chat switched (sig_connected) and back
    (sig_disconnected), and leaves what the window shows to the window."""

    sig_connected = Signal(object)
    """The chat now talks to a server; its RemoteReport (also sent when another model is chosen there)."""
    sig_disconnected = Signal()
    """The chat is back on this computer (the local model is not loaded yet)."""
    sig_disconnect_requested = Signal()
    """The user asked to go back to this computer (the panel's button)."""
    sig_error = Signal(object)
    """An error the user should see."""

    def __init__(self, session, local_host, settings: SettingsKeeper, dialog_parent: QWidget):
        super().__init__(dialog_parent)
        self._session = session
        self._local_host = local_host
        self._settings = settings
        self._dialog_parent = dialog_parent
        self.remote: RemoteHost | None = None
        self.local_config = None  # the LoadConfig loaded here before connecting: what Disconnect loads again
        self.panel = RemotePanel()
        self.panel.sig_disconnect.connect(self.sig_disconnect_requested)
        self.panel.sig_model_chosen.connect(lambda model: spawn(self.choose_model(model)))

    @property
    def active(self) -> bool:
        return self.remote is not None

    @Slot()
    def open_dialog(self) -> ConnectDialog:
        dialog = ConnectDialog(self._settings.values.remote_url, self._dialog_parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_connected.connect(lambda host: spawn(self.use(host)))
        dialog.open()
        return dialog

    async def use(self, remote: RemoteHost) -> None:
        """Chat through `remote` (already connected) from now on; the local model is unloaded."""
        await self._session.stop_and_wait()
        previous, self.remote = self.remote, remote
        if previous is not None:
            await previous.close()
        else:
            report = self._local_host.report
            self.local_config = report.config if report is not None else None
            await self._local_host.unload()
        self._session.host = remote
        self._settings.change(remote_url=remote.base_url)
        self._show(remote)

    async def choose_model(self, model: str) -> None:
        if self.remote is None or self.remote.report.model == model:
            return
        await self._session.stop_and_wait()
        try:
            await self.remote.connect(model)
        except EngineError as exc:
            self.sig_error.emit(exc)
            return
        self._show(self.remote)

    async def disconnect(self) -> None:
        """Back to this computer. Loading the local model again is the caller's."""
        if self.remote is None:
            return
        await self._session.stop_and_wait()
        await self.remote.close()
        self.remote = None
        self._session.host = self._local_host
        self.sig_disconnected.emit()

    def _show(self, remote: RemoteHost) -> None:
        self.panel.set_report(remote.report)
        self.sig_connected.emit(remote.report)

    def describe(self, report) -> str:
        """The status line while connected: the server's address and its model's name (a server that names its
        model by its file path says where the file is on the server; only the file's name means anything here)."""
        return self.tr("Connected to {kind} at {url} · model {model}").format(
            kind=report.server, url=report.url, model=model_label(report.model))
