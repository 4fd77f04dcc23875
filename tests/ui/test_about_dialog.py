"""Help → About KV Chat: the versions and build a bug report needs, and where the app keeps its files."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from shiboken6 import isValid

from app import __version__
from app.core.paths import config_dir, data_dir
from app.ui.about_dialog import README, AboutDialog, readable_system_info


def test_about_names_the_versions_the_build_and_the_folders(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "About KV Chat"
    assert dialog.text("llama-cpp-python") == "0.3.36"
    build = dialog.text("llama.cpp")
    assert build.startswith("CPU: ") and "AVX" in build and "=" not in build  # llama.cpp's own system info
    assert dialog.text("data") == str(data_dir()) and dialog.text("settings") == str(config_dir())
    assert 'href="file://' in dialog.fields["data"].text()  # opens the folder
    assert README.is_file() and dialog.text("docs") == str(README)
    assert f"KV Chat {__version__}" in dialog.findChildren(type(dialog.fields["data"]))[0].text()


def test_help_about_opens_it_and_esc_closes_it(window, qtbot):
    window.menus.about.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog) and w.isVisible())
    assert dialog.parent() is window
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not isValid(dialog) or not dialog.isVisible(), timeout=60_000)  # a hang guard only


def test_esc_closes_the_kv_lab(window, qtbot):
    lab = window.open_lab()
    lab.activateWindow()  # the window with the keyboard, as after a click on it (else Esc stops the chat's reply)
    QTest.qWaitForWindowActive(lab, 5000)
    assert lab.isVisible()
    qtbot.keyClick(lab, Qt.Key.Key_Escape)
    assert not lab.isVisible()


def test_llama_cpp_system_info_is_read_as_lists_of_features():
    assert readable_system_info("CPU : SSE3 = 1 | AVX512 = 0 | AVX2 = 1 | ") == "CPU: SSE3, AVX2"
    assert readable_system_info("CPU : AVX = 1 | Vulkan : FA = 1 | THREADS = 4 | ") == "CPU: AVX; Vulkan: FA, THREADS 4"
    assert readable_system_info("") == ""


def test_about_is_as_tall_as_its_lines(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    layout = dialog.layout()
    assert dialog.height() <= layout.heightForWidth(dialog.width()) + layout.spacing()
