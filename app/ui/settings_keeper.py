"""The one owner of the app's settings while the window is open: every widget that changes a setting
changes it here, and every save goes through here (a failed save is reported, never raised)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core.settings import Settings, load_settings, save_settings


class SettingsKeeper(QObject):
    sig_save_failed = Signal(object)
    """The settings file could not be written (an OSError that says where and why)."""

    def __init__(self, path: Path, values: Settings | None = None, parent=None):
        """`values`: what the caller already read from `path` (read here when None)."""
        super().__init__(parent)
        self.path = path
        self.values: Settings = values if values is not None else load_settings(path)

    def change(self, **values) -> None:
        """Set these settings and save them."""
        for name, value in values.items():
            if not hasattr(self.values, name):
                raise AttributeError(f"no setting named {name!r}")
            setattr(self.values, name, value)
        self.save()

    def save(self) -> None:
        try:
            save_settings(self.values, self.path)
        except OSError as exc:
            self.sig_save_failed.emit(OSError(self.tr("Settings could not be saved to {path}: {reason}").format(
                path=self.path, reason=exc.strerror)))
