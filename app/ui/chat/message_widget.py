"""One message in the conversation: who said it, the Markdown body, actions and reply stats.

A reply written more than once shows "‹ 2/3 ›" among its actions to flip between its versions. The
actions wrap onto more lines, and the stats line wraps, so a message is never wider than the column.

A message longer than DISPLAY_LIMIT characters is shown as the start of its plain text with a note
of its full size: laying out megabytes of rich text freezes the window for minutes and takes
gigabytes. Copy still copies the whole message.
"""

from __future__ import annotations

import html
from functools import lru_cache

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QGuiApplication, QPalette, QTextOption
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QTextBrowser, QToolButton, QVBoxLayout, QWidget

from app.core.prompt_progress import PromptProgress
from app.engine.records import ReplyStats
from app.ui import style
from app.ui.chat.flow_layout import RightFlowLayout
from app.ui.chat.markdown_render import COPY_CODE_SCHEME, DARK, LIGHT, MarkdownRenderer

DISPLAY_LIMIT = 50_000
"""Characters of one message put into its view; a longer one shows its start, as plain text."""

ROLE_NAMES = {  # English here; translated where shown
    "user": QT_TRANSLATE_NOOP("MessageWidget", "You"),
    "assistant": QT_TRANSLATE_NOOP("MessageWidget", "Assistant"),
    "system": QT_TRANSLATE_NOOP("MessageWidget", "System"),
}


def role_name(role: str) -> str:
    """How a role ("user", "assistant", "system" as stored) is shown."""
    name = ROLE_NAMES.get(role)
    return QCoreApplication.translate("MessageWidget", name) if name else role


@lru_cache(maxsize=2)
def renderer_for(dark: bool) -> MarkdownRenderer:
    """One renderer per palette, shared by every message: making one takes milliseconds, a page
    of a conversation has a hundred messages."""
    return MarkdownRenderer(DARK if dark else LIGHT)


def is_dark(widget: QWidget) -> bool:
    # The application's palette: the widget's own carries its bubble's background, which kept a dark bubble dark.
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


STATS_SEPARATOR = "  ·  "


def format_stats(stats: ReplyStats | None, finish_reason: str | None) -> str:
    return STATS_SEPARATOR.join(stats_parts(stats, finish_reason))


def stats_parts(stats: ReplyStats | None, finish_reason: str | None) -> list[str]:
    """What a reply's stats line says, part by part ("122 tokens", "first token 0.71 s", ...)."""
    if stats is None:
        return []
    translate = QCoreApplication.translate
    parts = [translate("MessageWidget", "{tokens} tokens").format(tokens=stats.generated_tokens)]
    if stats.time_to_first_token is not None:
        parts.append(translate("MessageWidget", "first token {seconds:.2f} s").format(
            seconds=stats.time_to_first_token))
    if stats.tokens_per_second:
        parts.append(f"{stats.tokens_per_second:.1f} tok/s")
    if stats.prompt_tokens:
        if stats.cached_tokens:
            parts.append(translate("MessageWidget", "prompt {prompt_tokens}, {cached_tokens} cached").format(
                prompt_tokens=stats.prompt_tokens, cached_tokens=stats.cached_tokens))
        else:
            parts.append(translate("MessageWidget", "prompt {prompt_tokens}").format(
                prompt_tokens=stats.prompt_tokens))
    if stats.type_k:
        parts.append(translate("MessageWidget", "K {type_k} / V {type_v}").format(
            type_k=stats.type_k, type_v=stats.type_v))
    if stats.dropped_messages:
        parts.append(translate("MessageWidget", "{count} oldest messages left out").format(
            count=stats.dropped_messages))
    kept = kept_cache_words(stats.cache_source, stats.restore_seconds, stats.read_again)
    if kept:
        parts.append(kept)
    if finish_reason == "cancelled":
        parts.append(translate("MessageWidget", "stopped"))
    elif finish_reason == "error":  # what arrived before the error is kept
        parts.append(translate("MessageWidget", "ended by an error"))
    elif finish_reason == "length":
        parts.append(translate("MessageWidget", "max tokens reached"))
    elif finish_reason == "context_full":
        parts.append(translate("MessageWidget", "context full"))
    return parts


def kept_cache_words(source: str, seconds: float | None, read_again: str) -> str:
    """What became of the conversation's kept cache for this reply, in a few words ("" when nothing)."""
    translate = QCoreApplication.translate
    ms = round((seconds or 0.0) * 1000)
    if source == "ram":
        return translate("MessageWidget", "cache restored from RAM in {ms} ms").format(ms=ms)
    if source == "disk":
        return translate("MessageWidget", "cache restored from disk in {ms} ms").format(ms=ms)
    if read_again:
        return translate("MessageWidget", "read again: {reason}").format(reason=read_again)
    return ""


def reading_status(progress: PromptProgress) -> str:
    """The reply's status while its prompt is read: how far, about how long left, and from what cache."""
    translate = QCoreApplication.translate
    left = progress.seconds_left
    if left is None or progress.read >= progress.total:
        line = translate("MessageWidget", "Reading the prompt: {percent} % of {total:,} tokens…")
    elif left < 90:
        line = translate("MessageWidget", "Reading the prompt: {percent} % of {total:,} tokens, about {seconds} s "
                         "left…")
    else:
        line = translate("MessageWidget", "Reading the prompt: {percent} % of {total:,} tokens, about {minutes} min "
                         "left…")
    seconds = max(1, round(left)) if left is not None else 0
    line = line.format(percent=progress.percent, total=progress.total, seconds=seconds, minutes=round(seconds / 60))
    kept = kept_cache_words(progress.cache_source, progress.restore_seconds, progress.read_again)
    return f"{line}  ({kept})" if kept else line


class MarkdownView(QTextBrowser):
    """A read-only rich-text view as tall as its content, so the outer scroll area scrolls."""

    sig_copy_code = Signal(int)
    """The "Copy code" link of code block N was clicked."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(120)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.anchorClicked.connect(self._on_anchor_clicked)
        self.document().contentsChanged.connect(self._fit_height)

    @Slot(QUrl)
    def _on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() == COPY_CODE_SCHEME:
            self.sig_copy_code.emit(int(url.path()))

    def _fit_height(self) -> None:
        self.document().setTextWidth(self.viewport().width())
        height = int(self.document().size().height()) + 4
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_height()

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self.height())


class MessageWidget(QFrame):
    sig_edit = Signal(int)
    """Edit this user message (by its store id) and resend from there."""
    sig_regenerate = Signal()
    """Replace this reply with a new one."""
    sig_show_version = Signal(int, int)
    """Show version N (the second int, 0 is the first written) of this reply (by its store id)."""

    def __init__(self, role: str, text: str = "", message_id: int | None = None, parent=None):
        super().__init__(parent)
        self.role = role
        self.message_id = message_id
        self._text = text
        self._code_blocks: tuple[str, ...] = ()
        self._dark: bool | None = None
        self.setObjectName(f"message_{role}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._apply_colors()

        self.role_label = QLabel(f"<b>{role_name(role)}</b>")
        self.copy_button = self._tool(self.tr("Copy"), self.tr("Copy this message as Markdown"),
                                      self._on_copy_clicked)
        self.edit_button = self._tool(self.tr("Edit"), self.tr("Edit this message and resend from here"),
                                      lambda: self.sig_edit.emit(self.message_id or -1))
        self.regenerate_button = self._tool(self.tr("Regenerate"), self.tr(
            "Write this reply again (this one is kept: ‹ › flip between the versions)"), self.sig_regenerate.emit)
        self.version, self.versions = 0, 1
        self._replying = False
        self.versions_box = QWidget(self)  # ‹ 2/3 ›: one item of the actions, never split over two lines
        self.previous_version_button = self._tool("‹", self.tr("Show the previous version of this reply"),
                                                  lambda: self._on_flip(-1))
        self.version_label = QLabel()
        self.next_version_button = self._tool("›", self.tr("Show the next version of this reply"),
                                              lambda: self._on_flip(1))
        versions_row = QHBoxLayout(self.versions_box)
        versions_row.setContentsMargins(0, 0, 6, 0)
        versions_row.setSpacing(0)
        for w in (self.previous_version_button, self.version_label, self.next_version_button):
            versions_row.addWidget(w)
        self.actions_row = QWidget(self)
        actions = RightFlowLayout(self.actions_row)
        for w in (self.versions_box, self.edit_button, self.regenerate_button, self.copy_button):
            actions.addWidget(w)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.role_label, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.actions_row, 1)

        self.body = MarkdownView()
        self.body.sig_copy_code.connect(self._on_copy_code)
        self.status_label = QLabel()  # "Reading prompt..." while waiting
        self.status_label.setWordWrap(True)
        self.status_label.setVisible(False)
        self.stats_label = QLabel()
        self.stats_label.setWordWrap(True)  # a narrow column wraps the line rather than widening the message
        self.stats_label.setTextFormat(Qt.TextFormat.RichText)
        self.stats_label.setObjectName("stats")
        self.stats_label.setStyleSheet(f"color: {style.FAINT_COLOR}; font-size: 11px;")
        self.stats_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stats_label.setVisible(False)
        self.cut_label = QLabel()  # "Showing the first ... characters" for a message too long to draw
        self.cut_label.setObjectName("cut")
        self.cut_label.setWordWrap(True)
        self.cut_label.setStyleSheet(f"color: {style.FAINT_COLOR}; font-style: italic;")
        self.cut_label.setVisible(False)
        self._shown_start: str | None = None  # the start drawn as plain text, while the message is cut

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.status_label)
        layout.addWidget(self.body)
        layout.addWidget(self.cut_label)
        layout.addWidget(self.stats_label)
        # Only now, with every child in a layout: showing a parentless child would open it as a window.
        self.edit_button.setVisible(role == "user")
        self.regenerate_button.setVisible(False)
        self.versions_box.setVisible(False)
        self.set_text(text)

    def _apply_colors(self) -> None:
        """Colours for the current palette; called again when the theme changes."""
        dark = is_dark(self)
        if dark == self._dark:
            return
        self._dark = dark
        self._renderer = renderer_for(dark)
        background = style.MESSAGE_BACKGROUND[dark].get(self.role, "transparent")
        self.setStyleSheet(f"QFrame#message_{self.role} {{ background: {background}; "
                           f"border: 1px solid {style.MESSAGE_BORDER[dark]}; border-radius: 8px; }}")

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._dark is not None and is_dark(self) != self._dark:
            self._apply_colors()
            self.set_text(self._text)

    def _tool(self, text: str, tip: str, handler) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(handler)
        return button

    @property
    def text(self) -> str:
        return self._text

    @property
    def is_cut(self) -> bool:
        """Only the start of the message is shown."""
        return self._shown_start is not None

    def set_text(self, text: str) -> None:
        self._text = text
        if len(text) <= DISPLAY_LIMIT:
            rendered = self._renderer.render(text)
            self._code_blocks = rendered.code_blocks
            self._shown_start = None
            self.body.setHtml(rendered.html)
            self.cut_label.setVisible(False)
            return
        start = text[:DISPLAY_LIMIT]
        if start != self._shown_start:  # a streaming reply past the limit only updates the note
            self._code_blocks = ()
            self._shown_start = start
            self.body.setPlainText(start)
        self.cut_label.setText(self.tr(
            "This message is {total:,} characters long; the first {shown:,} are shown, as plain text. "
            "Copy copies the whole message.").format(total=len(text), shown=DISPLAY_LIMIT))
        self.cut_label.setVisible(True)

    def set_status(self, status: str) -> None:
        self.status_label.setText(f"<i>{status}</i>")
        self.status_label.setVisible(bool(status))

    def set_stats(self, stats: ReplyStats | None, finish_reason: str | None) -> None:
        # A narrow column wraps the line between its parts, never inside one ("K f16 / V f16" stays whole).
        parts = stats_parts(stats, finish_reason)
        self.stats_label.setText("&nbsp;&nbsp;·&nbsp; ".join(
            f'<span style="white-space: nowrap">{html.escape(part)}</span>' for part in parts))
        self.stats_label.setVisible(bool(parts))

    def set_regenerate_visible(self, visible: bool) -> None:
        self.regenerate_button.setVisible(visible and self.role == "assistant")

    def set_versions(self, version: int, versions: int) -> None:
        """This reply shows version `version` (0 is the first written) of `versions`; one version shows no arrows."""
        self.version, self.versions = version, versions
        self.version_label.setText(f"{version + 1}/{versions}")
        self.version_label.setToolTip(self.tr("Version {shown} of {total} of this reply").format(
            shown=version + 1, total=versions))
        self.versions_box.setVisible(versions > 1)
        self._enable_flips()

    def set_replying(self, replying: bool) -> None:
        """While a reply is written nothing earlier changes: no edit, no other version."""
        self._replying = replying
        self.edit_button.setEnabled(not replying)
        self._enable_flips()

    def _enable_flips(self) -> None:
        self.previous_version_button.setEnabled(not self._replying and self.version > 0)
        self.next_version_button.setEnabled(not self._replying and self.version < self.versions - 1)

    def _on_flip(self, step: int) -> None:
        wanted = self.version + step
        if self.message_id is not None and 0 <= wanted < self.versions:
            self.sig_show_version.emit(self.message_id, wanted)

    def code_block(self, n: int) -> str:
        return self._code_blocks[n]

    @Slot()
    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._text)

    @Slot(int)
    def _on_copy_code(self, n: int) -> None:
        if 0 <= n < len(self._code_blocks):
            QGuiApplication.clipboard().setText(self._code_blocks[n])
