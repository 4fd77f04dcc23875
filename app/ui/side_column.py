"""The window's right-hand column: the memory gauge above two tabs, the KV cache settings (or,
while chatting through a server, what the server says about its cache) and the conversation's."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QScrollArea, QStackedWidget, QTabWidget, QVBoxLayout, QWidget


def scrolling(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class SideColumn(QWidget):
    def __init__(self, gauge, kv_panel, remote_panel, conversation_settings, parent=None):
        super().__init__(parent)
        kv_tab = QWidget()
        kv_layout = QVBoxLayout(kv_tab)
        kv_layout.setContentsMargins(0, 0, 0, 0)
        kv_layout.addWidget(scrolling(kv_panel), 1)
        kv_layout.addWidget(kv_panel.summary)
        self.stack = QStackedWidget()  # the KV panel, or what a server says about its cache
        self.stack.addWidget(kv_tab)
        self.stack.addWidget(scrolling(remote_panel))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.stack, self.tr("KV cache"))
        self.tabs.addTab(scrolling(conversation_settings), self.tr("Conversation"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 8, 6)
        layout.addWidget(gauge)
        layout.addWidget(self.tabs, 1)
        self.setMinimumWidth(380)
