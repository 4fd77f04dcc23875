"""The Connect dialog is as tall as what it shows: no empty band between the fields and the buttons, and a
message, once there is one, is shown whole."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout

from app.ui.remote.connect_dialog import ConnectDialog
from tests.llama_server import free_port


def test_the_dialog_is_compact(qtbot):
    dialog = ConnectDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    layout = dialog.layout()
    spacing = layout.spacing()
    form = dialog.findChild(QFormLayout).geometry()
    gap = dialog.buttons.geometry().top() - form.bottom()
    assert gap <= 2 * spacing, f"{gap} px between the API key and the buttons"
    assert dialog.height() <= dialog.sizeHint().height() + spacing
    margins = layout.contentsMargins()
    contents = sum(layout.itemAt(i).sizeHint().height() for i in range(layout.count()))
    assert dialog.sizeHint().height() <= contents + margins.top() + margins.bottom() + 4 * spacing


def test_a_message_shows_in_full(loop, qtbot):
    dialog = ConnectDialog(f"127.0.0.1:{free_port()}")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.status.isVisible()
    assert loop.run_until_complete(dialog.try_connect()) is None
    assert dialog.status.isVisible() and "cannot be reached" in dialog.status.text()
    qtbot.waitUntil(lambda: dialog.status.height() >= dialog.status.heightForWidth(dialog.status.width()),
                    timeout=60_000)  # posted layout events; the timeout guards a hang only
    assert dialog.status.geometry().bottom() < dialog.buttons.geometry().top()
