"""In place of the KV panel while chatting through a server: what the server is, which model it
serves, what it reports about its context and cache, and where those settings live (on the server:
this app cannot change them)."""

from __future__ import annotations

import re
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.engine.remote.host import RemoteReport

_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|[/\\~])|\\")  # /x, ~/x, C:\x, \\server\x, or any backslash


def model_label(model: str) -> str:
    """How a server's model is shown: its name; for a model named by a file path (llama-cpp-python's server
    without --model_alias), the file's name without .gguf. "org/model" names stay as they are."""
    if not _PATH.search(model):
        return model
    name = re.split(r"[\\/]", model.rstrip("/\\"))[-1]
    return name[:-5] if name.lower().endswith(".gguf") and len(name) > 5 else name or model


class RemotePanel(QWidget):
    sig_model_chosen = Signal(str)
    """Chat with this model of the server's."""
    sig_disconnect = Signal()
    """Go back to a model on this computer."""

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel(self.tr("Chatting through a server"))
        title.setStyleSheet("font-weight: 600; font-size: 14px;")
        self.why = QLabel(self.tr("The server decides its cache; disconnect to set it here."))
        self.why.setObjectName("remoteWhy")
        self.why.setWordWrap(True)
        self.url = QLabel()
        self.kind = QLabel()
        self.model = QComboBox()
        self.model.activated.connect(lambda _i: self.sig_model_chosen.emit(self.model.currentData()))
        self.form = QFormLayout()
        self.form.addRow(self.tr("Server"), self.url)
        self.form.addRow(self.tr("Kind"), self.kind)
        self.form.addRow(self.tr("Model"), self.model)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.settings_note = QLabel()
        self.settings_note.setWordWrap(True)
        self.settings_note.setObjectName("remoteSettingsNote")
        self.url.setTextFormat(Qt.TextFormat.PlainText)
        self.kind.setTextFormat(Qt.TextFormat.PlainText)
        for label in (self.url, self.facts, self.settings_note):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.disconnect_button = QPushButton(self.tr("Disconnect and use a model on this computer"))
        self.disconnect_button.clicked.connect(self.sig_disconnect.emit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(title)
        layout.addWidget(self.why)
        layout.addLayout(self.form)
        layout.addWidget(self.facts)
        layout.addWidget(self.settings_note)
        layout.addWidget(self.disconnect_button)
        layout.addStretch(1)

    def set_report(self, report: RemoteReport) -> None:
        self.url.setText(report.url)
        self.kind.setText(report.server)
        self.model.clear()
        for model in report.models:
            self.model.addItem(model_label(model), model)
            self.model.setItemData(self.model.count() - 1, model, Qt.ItemDataRole.ToolTipRole)
        self.model.setCurrentIndex(max(self.model.findData(report.model), 0))
        if report.facts:
            # The values come from the server: shown as text, never as markup.
            rows = "".join(f"<tr><td>{escape(name)}</td><td>&nbsp;&nbsp;{escape(value)}</td></tr>"
                           for name, value in report.facts.items())
            heading = self.tr("What the server reports about its context and cache:")
            self.facts.setText(f"{escape(heading)}<table>{rows}</table>")
        else:
            self.facts.setText(self.tr("The server does not report its context length or cache types."))
        self.settings_note.setText(self.tr(
            "The KV cache lives on the server: its K and V types, context length and flash attention were set "
            "when the server was started, in {where}. They cannot be changed from here, and this computer's "
            "memory gauge does not apply.").format(where=report.where_settings_live))
