"""Chatting through a server: the real window connected to llama-cpp-python's server on loopback
(starter model, q8_0 K / q4_0 V cache), streaming, stopping, saving, and back to the local model."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from app.engine.remote.host import RemoteReport
from app.ui.remote.remote_mode import RemoteMode
from app.ui.remote.remote_panel import RemotePanel, model_label
from app.ui.tasks import wait_all
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


def test_tools_disconnect_goes_back_to_the_model_and_settings_it_had(loop, window, llama_cpp_server, gemma_model):
    menus = window.menus
    assert not menus.disconnect.isEnabled()  # nothing to disconnect from
    panel = window.kv_panel
    panel.select_model(str(gemma_model))
    panel.set_types("q8_0", "q4_0")
    panel.ctx_length.spin.setValue(2048)
    loop.run_until_complete(window.apply(panel.config()))
    before = window.host.report.config
    assert before.model_path == str(gemma_model) and (before.type_k, before.type_v) == ("q8_0", "q4_0")

    connect(loop, window, llama_cpp_server)
    loop.run_until_complete(until(lambda: window.side.showing_remote, what="the switch to the server"))
    assert menus.disconnect.isEnabled() and window.host.report is None
    status = window.statusBar().currentMessage()
    assert llama_cpp_server in status and "smollm2-q8k-q4v" in status
    why = window.remote_mode.panel.why
    assert why.isVisible() and why.text() == "The server decides its cache; disconnect to set it here."
    panel.select_model(window.settings.model_choices(None)[-1])  # whatever the hidden panel shows meanwhile

    menus.disconnect.trigger()
    loop.run_until_complete(wait_all())
    assert not window.remote_mode.active and not menus.disconnect.isEnabled()
    assert window.host.report is not None and window.host.report.config == before  # as if never connected
    assert panel.config() == before and not window.side.showing_remote
    assert "gemma" in window.statusBar().currentMessage().lower()


def test_a_server_model_named_by_its_path_is_shown_by_its_file_name(qtbot):
    report = RemoteReport("http://10.0.0.5:8000", "/srv/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf",
                          ("/srv/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf", r"C:\models\phi-3.gguf", "org/model-7b"),
                          "llama-cpp-python's server")
    panel = RemotePanel()
    qtbot.addWidget(panel)
    panel.set_report(report)
    assert [panel.model.itemText(i) for i in range(panel.model.count())] == [
        "Qwen2.5-7B-Instruct-Q4_K_M", "phi-3", "org/model-7b"]
    assert panel.model.currentData() == report.model  # the server is still asked by its own name for it
    chosen = []
    panel.sig_model_chosen.connect(chosen.append)
    panel.model.setCurrentIndex(1)
    panel.model.activated.emit(1)
    assert chosen == [r"C:\models\phi-3.gguf"]
    assert model_label("~/models/x.gguf") == "x" and model_label("llama3:8b") == "llama3:8b"


def test_the_status_line_names_the_server_and_its_model_never_a_path(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    mode = RemoteMode(None, None, None, parent)
    line = mode.describe(RemoteReport("http://10.0.0.5:8000", "/home/me/models/tiny.gguf", (), "llama-server"))
    assert line == "Connected to llama-server at http://10.0.0.5:8000 · model tiny"
