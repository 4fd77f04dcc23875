"""A window opens at its comfortable size where the screen has room for it, and within the screen where not."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from app.ui.window_size import resize_within_screen


def test_a_window_never_opens_larger_than_the_screen(qapp):
    room = QGuiApplication.primaryScreen().availableGeometry()
    window = QWidget()
    resize_within_screen(window, room.width() + 540, room.height() + 60)
    assert (window.width(), window.height()) == (room.width(), room.height())
    resize_within_screen(window, room.width() - 100, room.height() - 100)
    assert (window.width(), window.height()) == (room.width() - 100, room.height() - 100)


def test_the_lab_and_the_models_window_fit_a_small_screen(qapp):
    from app.ui.lab.lab_window import LabWindow
    from app.ui.models.models_window import ModelsWindow

    room = QGuiApplication.primaryScreen().availableGeometry()  # 800 x 800 offscreen: smaller than either asks
    lab = LabWindow(None, lambda: ())
    models = ModelsWindow()
    try:
        for window in (lab, models):
            assert window.width() <= room.width() and window.height() <= room.height(), type(window).__name__
    finally:
        models.shutdown()
        for window in (lab, models):
            window.close()
