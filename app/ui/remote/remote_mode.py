"""Switching the window between the model on this computer and a model on a server.

Connected, the chat talks to the RemoteHost, the local model is unloaded (its memory is the
point of going remote), the KV panel gives way to the RemotePanel, and the KV lab and memory
gauge, which measure this computer, are set aside. Disconnecting loads the local model again.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot

from app.engine.errors import EngineError
from app.engine.remote.host import RemoteHost
from app.ui.remote.connect_dialog import ConnectDialog
from app.ui.remote.remote_panel import RemotePanel
from app.ui.tasks import spawn


class RemoteMode(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.remote: RemoteHost | None = None
        self.panel = RemotePanel()
        self.panel.sig_disconnect.connect(lambda: spawn(self.disconnect()))
        self.panel.sig_model_chosen.connect(lambda model: spawn(self.choose_model(model)))

    @property
    def active(self) -> bool:
        return self.remote is not None

    @Slot()
    def open_dialog(self) -> ConnectDialog:
        dialog = ConnectDialog(self.window.settings.remote_url, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_connected.connect(lambda host: spawn(self.use(host)))
        dialog.open()
        return dialog

    async def use(self, remote: RemoteHost) -> None:
        """Chat through `remote` (already connected) from now on."""
        w = self.window
        await w.session.stop_and_wait()
        previous, self.remote = self.remote, remote
        if previous is not None:
            await previous.close()
        else:
            await w.host.unload()
        w.session.host = remote
        w.settings.remote_url = remote.base_url
        w.save_settings()
        self._show(remote)

    async def choose_model(self, model: str) -> None:
        if self.remote is None or self.remote.report.model == model:
            return
        await self.window.session.stop_and_wait()
        try:
            await self.remote.connect(model)
        except EngineError as exc:
            self.window.show_error(exc)
            return
        self._show(self.remote)

    async def disconnect(self, reload: bool = True) -> None:
        """Back to this computer: the model in the KV panel is loaded again (unless the caller loads one)."""
        if self.remote is None:
            return
        w = self.window
        await w.session.stop_and_wait()
        await self.remote.close()
        self.remote = None
        w.session.host = w.host
        w.side_stack.setCurrentIndex(0)
        w.gauge.show()
        w.menus.lab.setEnabled(True)
        w.statusBar().clearMessage()
        config = w.kv_panel.config()
        if reload and config is not None:
            await w.apply(config)

    def _show(self, remote: RemoteHost) -> None:
        w = self.window
        report = remote.report
        self.panel.set_report(report)
        w.side_stack.setCurrentIndex(1)
        w.gauge.hide()  # it measures this computer's memory; the cache is on the server
        w.menus.lab.setEnabled(False)
        if w.lab is not None:
            w.lab.close()
        w.banner.clear("load")
        w.banner.clear("template")
        w.statusBar().showMessage(self.tr("Connected to {kind} at {url} · model {model}").format(
            kind=report.server, url=report.url, model=report.model))
