"""Markdown to the HTML subset Qt's rich text understands, with highlighted code blocks.

Raw HTML in a message is shown as text, never interpreted. Each fenced code block gets a
"Copy code" link (`copy-code:N`) whose code the caller looks up in `RenderedMarkdown.code_blocks`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name, guess_lexer
from pygments.util import ClassNotFound
from PySide6.QtCore import QCoreApplication

from app.ui import style

COPY_CODE_SCHEME = "copy-code"


@dataclass(frozen=True)
class Palette:
    code_background: str
    code_border: str
    link: str
    pygments_style: str


LIGHT = Palette(style.CODE_BACKGROUND[False], style.CODE_BORDER[False], style.LINK_COLOR[False], "friendly")
DARK = Palette(style.CODE_BACKGROUND[True], style.CODE_BORDER[True], style.LINK_COLOR[True], "monokai")


def _lexer(language: str, code: str):
    if language:
        try:
            return get_lexer_by_name(language)
        except ClassNotFound:
            pass
    try:
        return guess_lexer(code) if len(code) > 40 else TextLexer()
    except ClassNotFound:
        return TextLexer()


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    code_blocks: tuple[str, ...]


class MarkdownRenderer:
    def __init__(self, palette: Palette = LIGHT):
        self.palette = palette
        self._md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
        self._formatter = HtmlFormatter(noclasses=True, nowrap=True, style=palette.pygments_style)
        self._blocks: list[str] = []

        def render_fence(_renderer, tokens, idx, _options, _env):
            return self._render_fence(tokens[idx])

        self._md.add_render_rule("fence", render_fence)
        self._md.add_render_rule("code_block", render_fence)

    def _render_fence(self, token) -> str:
        code = token.content
        language = (token.info or "").strip().split(" ")[0]
        n = len(self._blocks)
        self._blocks.append(code)
        body = highlight(code, _lexer(language, code), self._formatter)
        p = self.palette
        label = html.escape(language or QCoreApplication.translate("MarkdownRenderer", "code"))
        copy_code = html.escape(QCoreApplication.translate("MarkdownRenderer", "Copy code"))
        return (
            f'<table width="100%" cellspacing="0" cellpadding="6" '
            f'style="background-color:{p.code_background}; border: 1px solid {p.code_border}; margin: 4px 0;">'
            f'<tr><td><span style="color:{style.FAINT_COLOR}; font-size:small;">{label}</span>&nbsp;&nbsp;'
            f'<a href="{COPY_CODE_SCHEME}:{n}" style="color:{p.link}; font-size:small;">{copy_code}</a>'
            f'<pre style="margin:2px 0 0 0; white-space: pre-wrap;">{body}</pre></td></tr></table>'
        )

    def render(self, text: str) -> RenderedMarkdown:
        self._blocks = []
        body = self._md.render(text)
        blocks, self._blocks = tuple(self._blocks), []
        return RenderedMarkdown(body, blocks)
