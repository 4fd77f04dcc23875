"""The window in Simplified Chinese: every piece of text a user can see in the main window, the KV lab,
the models window and the dialogs is Chinese (names of models, types, units and products aside)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTabWidget,
    QWidget,
)

from app.engine.config import LoadConfig
from app.engine.errors import EngineError
from app.ui.i18n import install_language
from tests.ui.conftest import send

# Words that stay as they are in a Chinese interface.
KEPT = re.compile(r"KV Chat|Flash Attention|Hugging Face|LM Studio|GPT4All|Ollama|llama[-.\w]*|SmolLM2[-\w.]*|"
                  r"\b(?:f32|f16|bf16|q8_0|q5_1|q5_0|q4_1|q4_0|iq4_nl)\b|GGUF|gguf|Markdown|JSON|SQLite|API|"
                  r"token|tokens|tok/s|MiB|GiB|KiB|GB|MB|ms|KL|PPL|top-k|top-p|min-p|Shift|Enter|Ctrl|Esc|"
                  r"English|https?://\S+|[\w.-]+\.(?:gguf|json|md)|\b[A-Z]\b")
ENGLISH_PHRASE = re.compile(r"[A-Za-z]{3,}[\s,]+[A-Za-z]{3,}")


@pytest.fixture
def chinese(qapp):
    install_language("zh_CN")
    yield
    install_language("en")


def visible_texts(root: QWidget) -> list[str]:
    texts = [root.windowTitle()]
    for w in [root, *root.findChildren(QWidget)]:
        texts.append(w.toolTip())
        if isinstance(w, QLabel):
            texts.append(w.text())
        elif isinstance(w, QAbstractButton):
            texts.append(w.text())
        elif isinstance(w, QGroupBox):
            texts.append(w.title())
        elif isinstance(w, QLineEdit):
            texts.append(w.placeholderText())
        elif isinstance(w, QTabWidget):
            texts += [w.tabText(i) for i in range(w.count())]
        elif isinstance(w, QComboBox):
            texts += [w.itemText(i) for i in range(w.count())]
        elif isinstance(w, QTableWidget):
            headers = [w.horizontalHeaderItem(c) for c in range(w.columnCount())]
            cells = [w.item(r, c) for r in range(w.rowCount()) for c in range(w.columnCount())]
            texts += [item.text() for item in headers + cells if item is not None]
        texts += [a.text() for a in w.actions()]
    return [t for t in texts if t]


def untranslated(texts: list[str]) -> list[str]:
    left = []
    for text in texts:
        plain = KEPT.sub(" ", re.sub(r"<[^>]+>|&\w+;", " ", text))
        if ENGLISH_PHRASE.search(plain):
            left.append(text)
    return left


def test_every_visible_text_is_chinese(chinese, loop, qtbot, windows):
    window = windows.new()
    assert window.menuBar().actions()[0].text() == "文件(&F)"
    window.conversation_settings.max_tokens.setValue(16)
    window.conversation_settings.flush()
    send(loop, qtbot, window, "Hello!")  # a reply, with its stats line and buttons
    loop.run_until_complete(window.open_lab().run())  # its table, chart and recommendation
    window.open_models()
    window.show_shortcuts()
    window.remote_mode.open_dialog()
    loop.run_until_complete(window.kv_panel.refresh_plan())
    texts = [t for root in (window, window.lab, window.models) for t in visible_texts(root)]
    assert untranslated(texts) == []
    assert re.search(r"[\u4e00-\u9fff]", window.statusBar().currentMessage())


def test_engine_refusals_are_chinese(chinese, starter_model):
    from app.engine.planner import plan_load

    plan = plan_load(LoadConfig(str(starter_model), 2048, "f16", "q4_0", "off", False))
    assert isinstance(plan.error, EngineError)
    assert re.search(r"[\u4e00-\u9fff]", str(plan.error)), str(plan.error)
