"""Qt's own strings that Qt's catalogue (qtbase_zh_CN.qm) knows only in an older form.

Qt 6 gave some file-dialog labels a mnemonic ("&Look in:", "Files of &type:") and moved "Folder", "File",
"Drive" to QAbstractFileIconProvider, while the Chinese catalogue still holds "Look in:" and "Folder" under
QFileDialog. This translator answers those from the catalogue's own older entries, so the file dialog's
labels and its Type column are Chinese too; it is asked only when no other catalogue has the text.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QTranslator

# Contexts whose strings Qt 6 moved, and the context the catalogue still files them under.
MOVED_CONTEXTS = {"QAbstractFileIconProvider": "QFileDialog", "QFileIconProvider": "QFileDialog"}
# Qt's own dialogs whose labels gained a mnemonic in Qt 6.
MNEMONIC_CONTEXTS = ("QFileDialog", "QFileSystemModel", "QMessageBox", "QDialogButtonBox", "QColorDialog",
                     "QFontDialog", "QPrintDialog", "QInputDialog")
_MNEMONIC = re.compile(r"&([^&\s])")
_TRAILING_COLON = re.compile(r"([:：])\s*$")


def with_mnemonic(translated: str, letter: str) -> str:
    """The translation with the mnemonic as Chinese catalogues write it: "查找范围(&L)："."""
    marker = f"(&{letter.upper()})"
    if _TRAILING_COLON.search(translated):
        return _TRAILING_COLON.sub(lambda m: marker + m.group(1), translated, count=1)
    return translated + marker


class QtCatalogueGaps(QTranslator):
    def __init__(self, catalogue: QTranslator, parent=None):
        """`catalogue`: the loaded qtbase translator whose older entries fill the gaps."""
        super().__init__(parent)
        self._catalogue = catalogue

    def isEmpty(self) -> bool:  # noqa: N802 (Qt's name)
        return False

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str | None:
        """None where it has nothing: Qt asks the next translator only on a null string, not on ""."""
        if context in MOVED_CONTEXTS:
            return self._catalogue.translate(MOVED_CONTEXTS[context], source, disambiguation, n) or None
        if context in MNEMONIC_CONTEXTS:
            mnemonic = _MNEMONIC.search(source)
            if mnemonic:
                plain = source[:mnemonic.start()] + source[mnemonic.start() + 1:]
                translated = self._catalogue.translate(context, plain, disambiguation, n)
                if translated:
                    return with_mnemonic(translated, mnemonic.group(1))
        return None
