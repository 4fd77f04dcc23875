# The real window's fixtures, shared with the UI tests.
from tests.ui.conftest import loop, window, windows  # noqa: F401
