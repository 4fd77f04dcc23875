"""Help → About KV Chat: the versions a bug report needs (the app, llama-cpp-python, the llama.cpp build's
CPU features and backends, Qt), where the app keeps its data and settings, and the README when it is here."""

from __future__ import annotations

from html import escape
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from app import __version__
from app.core.paths import config_dir, data_dir

README = Path(__file__).resolve().parents[2] / "README.md"  # in a source checkout (a frozen build has none)


def llama_cpp_version() -> str:
    try:
        return metadata.version("llama_cpp_python")
    except metadata.PackageNotFoundError:  # a frozen build may carry the module without its metadata
        import llama_cpp

        return llama_cpp.__version__


def llama_cpp_build() -> str:
    """llama.cpp's own account of what it was built with, "CPU : SSE3 = 1 | AVX2 = 1 | ... | " read as
    "CPU: SSE3, AVX2, ..." (features at 0 left out; a GPU backend gets its own "Vulkan: ..." part)."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info()
    return readable_system_info(info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info))


def readable_system_info(text: str) -> str:
    groups: list[tuple[str, list[str]]] = []
    for part in (p.strip() for p in text.split("|")):
        if " : " in part:  # a backend's first feature: "CPU : SSE3 = 1"
            backend, part = (p.strip() for p in part.split(" : ", 1))
            groups.append((backend, []))
        if not part:
            continue
        if not groups:
            groups.append(("", []))
        name, _, value = (p.strip() for p in part.partition("="))
        if value != "0":
            groups[-1][1].append(name if value in ("", "1") else f"{name} {value}")
    return "; ".join(f"{backend}: {', '.join(names)}" if backend else ", ".join(names) for backend, names in groups)


def folder_link(path: Path) -> str:
    return f'<a href="{escape(QUrl.fromLocalFile(str(path)).toString())}">{escape(str(path))}</a>'


class AboutDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("About KV Chat"))
        heading = QLabel(f"<b>KV Chat {escape(__version__)}</b>")
        heading.setStyleSheet("font-size: 16px;")
        summary = QLabel(self.tr("A desktop chat app for local GGUF models that makes the KV cache's precision "
                                 "a visible, exact choice."))
        summary.setWordWrap(True)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        rows = [
            ("llama-cpp-python", "llama-cpp-python", escape(llama_cpp_version())),
            ("llama.cpp", self.tr("llama.cpp build"), escape(llama_cpp_build())),
            ("qt", "Qt (PySide6)", escape(pyside_version)),
            ("data", self.tr("Data folder"), folder_link(data_dir())),
            ("settings", self.tr("Settings folder"), folder_link(config_dir())),
        ]
        if README.is_file():
            rows.append(("docs", self.tr("Documentation"), folder_link(README)))
        for key, name, value in rows:
            label = QLabel(value)
            label.setWordWrap(True)
            label.setOpenExternalLinks(True)  # a folder opens in the file manager, the README in its viewer
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)  # links, and selectable
            self.fields[key] = label
            form.addRow(name, label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(summary)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addStretch(1)  # a taller dialog grows above the buttons, not between the lines
        layout.addWidget(buttons)
        self.resize(560, layout.heightForWidth(560))  # as tall as its wrapped lines, no taller

    def text(self, key: str) -> str:
        """A field's text as shown (without its markup)."""
        return QTextDocumentFragment.fromHtml(self.fields[key].text()).toPlainText()
