"""Chatting through a server: the real window connected to llama-cpp-python's server on loopback
(starter model, q8_0 K / q4_0 V cache), streaming, stopping, saving, and back to the local model."""

from __future__ import annotations

from PySide6.QtCore import Qt
from shiboken6 import isValid

from tests.llama_server import free_port
from tests.ui.conftest import send, until


def connect(loop, window, url: str):
    dialog = window.remote_mode.open_dialog()
    dialog.url.setText(url)
    host = loop.run_until_complete(dialog.try_connect())
    return dialog, host


def test_connect_chat_stop_and_disconnect(loop, qtbot, window, llama_cpp_server):
    assert window.host.report is not None  # the local model is loaded at start
    dialog, host = connect(loop, window, llama_cpp_server)
    assert host is not None and not isValid(dialog)  # closed (and deleted) once connected
    loop.run_until_complete(until(lambda: window.session.host is host, what="the switch to the server"))

    # The local model is unloaded; the side panel says what the server is and where its cache is set.
    assert window.host.report is None
    panel = window.remote_mode.panel
    assert window.side.showing_remote
    assert panel.model.currentText() == "smollm2-q8k-q4v" and panel.url.text() == llama_cpp_server
    assert "--type_k" in panel.settings_note.text() and "cannot be changed from here" in panel.settings_note.text()
    assert panel.facts.text() == "The server does not report its context length or cache types."
    assert window.gauge.isHidden() and not window.menus.lab.isEnabled()
    assert window.settings.remote_url == llama_cpp_server

    # A reply streams into the chat and is saved like a local one.
    window.conversation_settings.max_tokens.setValue(24)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "What is the capital of France?")
    messages = window.store.messages(window.session.conversation.id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content.strip() and messages[1].content == window.chat_view.messages[-1].text
    assert messages[1].stats.generated_tokens > 0

    # Esc stops a long reply; what arrived is kept.
    window.conversation_settings.max_tokens.setValue(400)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "Write a long story about a lighthouse keeper.", wait=False)
    loop.run_until_complete(until(lambda: len(window.chat_view.reply_text) > 20, what="some reply text"))
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    loop.run_until_complete(until(lambda: not window.session.replying, timeout=30, what="the stop"))
    stopped = window.store.messages(window.session.conversation.id)[-1]
    assert stopped.role == "assistant" and stopped.finish_reason == "cancelled" and stopped.content.strip()

    # Back to this computer: the model in the KV panel is loaded again.
    panel.disconnect_button.click()
    loop.run_until_complete(until(lambda: window.host.report is not None, what="the local model"))
    assert window.session.host is window.host and not window.remote_mode.active
    assert not window.side.showing_remote and window.gauge.isVisible() and window.menus.lab.isEnabled()
    send(loop, qtbot, window, "Thanks!")
    assert window.store.messages(window.session.conversation.id)[-1].role == "assistant"


def test_a_wrong_address_is_said_in_the_dialog_and_changes_nothing(loop, window):
    dialog, host = connect(loop, window, f"127.0.0.1:{free_port()}")
    assert host is None and dialog.isVisible()
    assert "cannot be reached" in dialog.status.text()
    assert not window.remote_mode.active and window.host.report is not None
    dialog.reject()
