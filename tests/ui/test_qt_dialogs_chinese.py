"""Qt's own file dialog speaks Chinese under zh_CN: its labels, buttons and the Type column, through
Qt's catalogue and the older entries QtCatalogueGaps fills its Qt 6 gaps with; and English again after
switching back (the translators are replaced, not stacked)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QLabel, QTreeView

from app.ui.i18n import install_language, qt_translations_dir
from app.ui.qt_catalogue_gaps import with_mnemonic


@pytest.fixture
def chinese(qapp):
    install_language("zh_CN")
    yield
    install_language("en")


def non_native_dialog(qtbot) -> QFileDialog:
    dialog = QFileDialog(None, "x")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    qtbot.addWidget(dialog)
    return dialog


def label(dialog: QFileDialog, name: str) -> str:
    return dialog.findChild(QLabel, name).text()


def test_qt_ships_its_chinese_catalogue_where_the_app_looks():
    from pathlib import Path

    assert (Path(qt_translations_dir()) / "qtbase_zh_CN.qm").is_file()


def test_the_file_dialog_labels_are_chinese(chinese, qtbot):
    dialog = non_native_dialog(qtbot)
    assert label(dialog, "lookInLabel") == "查找范围(&L)："  # Qt 6's "&Look in:"
    assert label(dialog, "fileTypeLabel") == "文件类型(&T)："  # "Files of &type:"
    assert label(dialog, "fileNameLabel") == "文件名称(&N)："  # in the catalogue as it is
    assert QCoreApplication.translate("QAbstractFileIconProvider", "Folder") == "文件夹"  # the Type column
    model = dialog.findChild(QTreeView, "treeView").model()
    headers = [model.headerData(i, QtHorizontal()) for i in range(model.columnCount())]
    assert headers[0] == "名称" and headers[2] == "类型"


def test_switching_back_to_english_leaves_no_chinese(qapp, qtbot):
    install_language("zh_CN")
    install_language("en")
    dialog = non_native_dialog(qtbot)
    assert label(dialog, "lookInLabel") == "&Look in:"
    assert QCoreApplication.translate("QAbstractFileIconProvider", "Folder") == "Folder"
    install_language("zh_CN")  # and again: one set of translators, not two
    try:
        assert non_native_dialog(qtbot).findChild(QLabel, "lookInLabel").text() == "查找范围(&L)："
    finally:
        install_language("en")


def test_a_text_no_catalogue_has_stays_as_written(chinese):
    # The filler answers nothing for other contexts, or for Qt's texts the catalogue lacks in every form:
    # Qt then shows the source text (an empty answer would blank it).
    assert QCoreApplication.translate("ChatView", "&Look in:") == "&Look in:"
    assert QCoreApplication.translate("QFileDialog", "No such &label here") == "No such &label here"
    assert QCoreApplication.translate("QAbstractFileIconProvider", "No such type") == "No such type"


def test_mnemonics_are_written_as_chinese_menus_write_them():
    assert with_mnemonic("查找范围：", "l") == "查找范围(&L)："
    assert with_mnemonic("文件类型:", "t") == "文件类型(&T):"
    assert with_mnemonic("选择", "c") == "选择(&C)"


def QtHorizontal():  # noqa: N802
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal
