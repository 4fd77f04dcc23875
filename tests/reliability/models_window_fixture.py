"""The real models window alone, offscreen, on the test's qasync loop (import the fixture to use it)."""

from __future__ import annotations

import pytest


@pytest.fixture
def models_window(qtbot, loop):
    from app.ui.models.models_window import ModelsWindow

    window = ModelsWindow()
    qtbot.addWidget(window)
    window.show()
    yield window
    window.shutdown()  # its worker threads, which the leak guard counts
