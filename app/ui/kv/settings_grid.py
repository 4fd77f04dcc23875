"""The layout of a settings box: a label and its field per row, and explanations under a field
across the box's whole width, as tall as their wrapped text.

A QFormLayout squeezed the explanations into its field column and, after a change of text, kept
heights it had computed for another width: they were cut top and bottom. A grid lays a
word-wrapped label out by its height for the width it gets."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QLayout, QSizePolicy, QWidget


class Explanation(QLabel):
    """A word-wrapped label whose height follows its text at the width it is given; with no text it
    takes no room (an empty label still took a row's spacing)."""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.setVisible(bool(text))


def explanation(style: str = "") -> QLabel:
    label = Explanation()
    label.setVisible(False)  # until it has something to say
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if style:
        label.setStyleSheet(style)
    return label


class SettingsGrid(QGridLayout):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setColumnStretch(1, 1)
        self._rows: dict[int, list[QWidget | QLayout]] = {}  # row -> what it holds, for show_row

    def add_field(self, label: str | QWidget, field: QWidget | QLayout) -> int:
        row = self.rowCount()
        caption = QLabel(label) if isinstance(label, str) else label
        self.addWidget(caption, row, 0)
        if isinstance(field, QLayout):
            self.addLayout(field, row, 1)
        else:
            self.addWidget(field, row, 1)
        self._rows[row] = [caption, field]
        return row

    def add_wide(self, widget: QWidget | QLayout) -> int:
        """A row across both columns: an explanation, a check box, a row of buttons."""
        row = self.rowCount()
        if isinstance(widget, QLayout):
            self.addLayout(widget, row, 0, 1, 2)
        else:
            self.addWidget(widget, row, 0, 1, 2)
        self._rows[row] = [widget]
        return row

    def show_row(self, row: int, visible: bool) -> None:
        for item in self._rows[row]:
            for widget in _widgets(item):
                widget.setVisible(visible)


def _widgets(item: QWidget | QLayout) -> list[QWidget]:
    if isinstance(item, QWidget):
        return [item]
    found = []
    for i in range(item.count()):
        child = item.itemAt(i)
        if child.widget() is not None:
            found.append(child.widget())
        elif child.layout() is not None:
            found.extend(_widgets(child.layout()))
    return found
