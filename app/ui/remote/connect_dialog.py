"""Tools → Connect to a server: the address (and key, if the server wants one) of an
OpenAI-compatible server; the dialog connects before it closes, so a wrong address is said here."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from app.engine.errors import EngineError
from app.engine.remote.host import RemoteHost
from app.ui.tasks import spawn

DEFAULT_URL = "http://127.0.0.1:8080"  # llama-server's default address
_log = logging.getLogger(__name__)


class ConnectDialog(QDialog):
    sig_connected = Signal(object)
    """A RemoteHost that answered; its report says what it serves."""

    def __init__(self, url: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Connect to a server"))
        intro = QLabel(self.tr(
            "Chat with a model that runs on an OpenAI-compatible server, for models too large for this "
            "computer. The usual addresses: llama.cpp's llama-server http://127.0.0.1:8080 (with --rpc it can "
            "spread one model over several machines), llama-cpp-python's server http://127.0.0.1:8000, "
            "Ollama http://127.0.0.1:11434, LM Studio http://127.0.0.1:1234."))
        intro.setWordWrap(True)
        self.url = QLineEdit(url or DEFAULT_URL)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText(self.tr("only if the server asks for one"))
        form = QFormLayout()
        form.addRow(self.tr("Address"), self.url)
        form.addRow(self.tr("API key"), self.key)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # it may quote the server's own words
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = QPushButton(self.tr("Connect"))
        self.connect_button.setDefault(True)
        buttons.addButton(self.connect_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.connect_button.clicked.connect(lambda: spawn(self.try_connect()))
        buttons.rejected.connect(self.reject)
        self.status.hide()  # until there is something to say: an empty label would leave a gap
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addStretch(1)  # a taller dialog grows here, above the buttons, not between the fields
        layout.addWidget(buttons)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows to show a long status in full
        self.resize(520, layout.heightForWidth(520))

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    async def try_connect(self) -> RemoteHost | None:
        url = self.url.text().strip()
        if not url:
            return None
        if "://" not in url:
            url = "http://" + url
        self.connect_button.setEnabled(False)
        self._say(self.tr("Connecting to {url}…").format(url=url))
        host = RemoteHost(url, self.key.text().strip() or None)
        try:
            await host.connect()
        except EngineError as exc:
            self._say(str(exc))
            return None
        except Exception as exc:  # the dialog always ends in "connected" or a message, never "Connecting…"
            _log.error("connecting to %s failed", url, exc_info=exc)
            self._say(self.tr("Connecting to {url} failed: {error}").format(
                url=url, error=f"{type(exc).__name__}: {exc}"))
            return None
        finally:
            self.connect_button.setEnabled(True)
        self.sig_connected.emit(host)
        self.accept()
        return host
