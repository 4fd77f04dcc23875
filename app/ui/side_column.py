"""The window's right-hand column: the memory gauge above two tabs, the KV cache settings (or,
while chatting through a server, what the server says about its cache) and the conversation's.

The KV settings scroll, their full price last among them; only a compact bar with the price in
a line and Apply is pinned under them, so the settings keep most of the column's height."""

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
        kv_layout.setSpacing(0)
        self.kv_scroll = scrolling(kv_panel)  # the settings and, last, their full price
        kv_layout.addWidget(self.kv_scroll, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        kv_layout.addWidget(line)
        kv_layout.addWidget(kv_panel.summary)  # what they cost in a line, and Apply: always in view
        self._gauge = gauge
        self._stack = QStackedWidget()  # the KV panel, or what a server says about its cache
        self._stack.addWidget(kv_tab)
        self._stack.addWidget(scrolling(remote_panel))
        self._tabs = QTabWidget()
        self._tabs.addTab(self._stack, self.tr("KV cache"))
        self._tabs.addTab(scrolling(conversation_settings), self.tr("Conversation"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 8, 6)
        layout.addWidget(gauge)
        layout.addWidget(self._tabs, 1)
        self.setMinimumWidth(380)

    def show_remote(self) -> None:
        """What the server says about its cache, in place of the KV panel; no gauge (it measures this computer)."""
        self._stack.setCurrentIndex(1)
        self._gauge.hide()

    def show_local(self) -> None:
        self._stack.setCurrentIndex(0)
        self._gauge.show()

    @property
    def showing_remote(self) -> bool:
        return self._stack.currentIndex() == 1

    def show_tab(self, name: str) -> None:
        """Bring the "kv" or the "conversation" tab to the front."""
        self._tabs.setCurrentIndex(("kv", "conversation").index(name))
