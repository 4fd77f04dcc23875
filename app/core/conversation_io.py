"""Conversations to and from files: JSON (everything, for import) and Markdown (to read and share).

A reply written more than once (Regenerate) goes to Markdown as the version shown; JSON carries every
version too, beside the shown one's "content", so a file without them, or a reader that ignores them,
still has the conversation as it was shown.

A file is checked as a whole before anything is written: its size, every field's type and range,
text SQLite can store. A bad file is refused with a ConversationFileError that says which message
and which field; nothing a file holds reaches the caller as a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.core.record_fields import (
    RecordFieldError,
    check_text,
    object_problem,
    read_sampling,
    read_stats,
    short_repr,
    text_problem,
)
from app.core.store import ConversationGoneError, ReplyVersion
from app.engine.records import ReplyStats, SamplingParams
from app.i18n import translate

FORMAT = "kvchat-conversation"
VERSION = 1
MAX_FILE_BYTES = 128 * 1024 * 1024  # far beyond any real conversation; a bigger file is not one
MAX_TEXT_CHARS = 16 * 1024 * 1024  # one message or system prompt: more than any model's context holds
MAX_TITLE_CHARS = 10_000
MAX_FINISH_REASON_CHARS = 64
ROLES = ("user", "assistant", "system")
_HEADINGS = {"You": "user", "Assistant": "assistant", "System": "system"}
_HEADING = re.compile(r"^## (You|Assistant|System)\s*$")
# A body line that reads like a heading is written with one more backslash in front, and read back
# with one less: "## You" in a message becomes "\## You" (which Markdown shows as "## You").
_HEADING_LIKE = re.compile(r"^\\*## (You|Assistant|System)\s*$")
_ESCAPED_HEADING = re.compile(r"^\\+## (You|Assistant|System)\s*$")

_log = logging.getLogger(__name__)


class ConversationFileError(ValueError):
    """The file is not a conversation this app can read; the message says why."""


@dataclass(frozen=True)
class PortableMessage:
    role: str
    content: str
    stats: ReplyStats | None = None
    finish_reason: str | None = None
    version: int = 0  # which of `versions` is shown (its text is `content`)
    versions: tuple[ReplyVersion, ...] = ()  # every version of a reply written more than once, else none


@dataclass(frozen=True)
class PortableConversation:
    title: str
    system_prompt: str = ""
    sampling: SamplingParams = field(default_factory=SamplingParams)
    messages: tuple[PortableMessage, ...] = ()


def _default_title() -> str:
    return translate("ConversationFile", "Imported conversation")


# -- writing ----------------------------------------------------------------------------------

def to_json(conversation: PortableConversation) -> str:
    return json.dumps({
        "format": FORMAT,
        "version": VERSION,
        "title": conversation.title,
        "system_prompt": conversation.system_prompt,
        "sampling": asdict(conversation.sampling),
        "messages": [_message_json(m) for m in conversation.messages],
    }, ensure_ascii=False, indent=2)


def _message_json(m: PortableMessage) -> dict:
    data = {"role": m.role, "content": m.content, "finish_reason": m.finish_reason,
            "stats": asdict(m.stats) if m.stats else None}
    if len(m.versions) > 1:
        data["version"] = m.version
        data["versions"] = [{"content": v.content, "finish_reason": v.finish_reason,
                             "stats": asdict(v.stats) if v.stats else None} for v in m.versions]
    return data


def _escaped_body(text: str) -> list[str]:
    """The text's lines without the blank ones around it, heading-like lines escaped."""
    lines = text.split("\n")
    while lines and not lines[0].strip():
        del lines[0]
    while lines and not lines[-1].strip():
        lines.pop()
    return ["\\" + line if _HEADING_LIKE.match(line) else line for line in lines]


def to_markdown(conversation: PortableConversation) -> str:
    parts = ["# " + " ".join(conversation.title.split()), ""]
    if conversation.system_prompt.strip():
        parts += ["## System", "", *_escaped_body(conversation.system_prompt), ""]
    names = {role: heading for heading, role in _HEADINGS.items()}
    for m in conversation.messages:
        parts += [f"## {names.get(m.role, m.role)}", "", *_escaped_body(m.content), ""]
    return "\n".join(parts)


def write_conversation(conversation: PortableConversation, path: Path) -> None:
    text = to_markdown(conversation) if _is_markdown(path) else to_json(conversation)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# -- reading ----------------------------------------------------------------------------------

def _is_markdown(path: Path) -> bool:
    return Path(path).suffix.lower() in (".md", ".markdown")


def from_json(text: str) -> PortableConversation:
    try:
        data = json.loads(text)
    except RecursionError:
        raise ConversationFileError(translate("ConversationFile", "it nests too deeply to be a conversation")) from None
    except ValueError as exc:
        raise ConversationFileError(translate("ConversationFile", "it is not valid JSON ({error})").format(
            error=exc)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConversationFileError(translate(
            "ConversationFile", "it is not a KV Chat conversation (no \"format\": \"kvchat-conversation\")"))
    version = data.get("version", VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ConversationFileError(translate(
            "ConversationFile", "its format version must be a whole number, not {value}").format(
            value=short_repr(version)))
    if version > VERSION:
        raise ConversationFileError(translate(
            "ConversationFile", "it was written by a newer KV Chat (format version {version})").format(
            version=version))
    try:
        title = data.get("title")
        title = check_text("title", title, MAX_TITLE_CHARS) if title not in (None, "") else _default_title()
        system_prompt = data.get("system_prompt")
        system_prompt = "" if system_prompt is None else check_text("system_prompt", system_prompt, MAX_TEXT_CHARS)
    except RecordFieldError as exc:
        raise ConversationFileError(str(exc)) from None
    sampling = data.get("sampling")
    try:
        sampling = SamplingParams() if sampling is None else read_sampling(sampling)
    except RecordFieldError as exc:
        raise ConversationFileError(translate("ConversationFile", "sampling: {problem}").format(
            problem=exc)) from None
    messages = data.get("messages")
    messages = [] if messages is None else messages
    if not isinstance(messages, list):
        raise ConversationFileError(translate("ConversationFile", "messages must be a list, not {value}").format(
            value=short_repr(messages)))
    return PortableConversation(title, system_prompt, sampling,
                                tuple(_message_from_json(number, m) for number, m in enumerate(messages, 1)))


def _message_from_json(number: int, data) -> PortableMessage:
    def refuse(problem) -> ConversationFileError:
        return ConversationFileError(translate("ConversationFile", "message {number}: {problem}").format(
            number=number, problem=problem))

    if not isinstance(data, dict):
        raise refuse(object_problem(data))
    for name in ("role", "content"):
        if name not in data:
            raise refuse(translate("ConversationFile", "{name} is missing").format(name=name))
    if data["role"] not in ROLES:
        raise refuse(translate("ConversationFile", "role must be user, assistant or system, not {value}").format(
            value=short_repr(data["role"])))
    content, finish, stats = _reply_fields(data, refuse, lambda problem: translate(
        "ConversationFile", "message {number}, stats: {problem}").format(number=number, problem=problem))
    version, versions = _versions_from_json(data, refuse)
    if versions and versions[version].content != content:
        raise refuse(translate("ConversationFile", "version {version}, the one shown, is not its content").format(
            version=version))
    return PortableMessage(data["role"], content, stats, finish, version, versions)


def _reply_fields(data: dict, refuse, stats_refusal) -> tuple[str, str | None, ReplyStats | None]:
    """The content, finish reason and statistics of a message or of one version of it, checked."""
    problem = text_problem("content", data["content"], MAX_TEXT_CHARS)
    finish = data.get("finish_reason")
    if problem is None and finish is not None:
        problem = text_problem("finish_reason", finish, MAX_FINISH_REASON_CHARS)
    if problem is not None:
        raise refuse(problem)
    stats = data.get("stats")
    try:
        stats = None if stats is None or stats == {} else read_stats(stats)
    except RecordFieldError as exc:
        raise ConversationFileError(stats_refusal(exc)) from None
    return data["content"], finish, stats


def _versions_from_json(data: dict, refuse) -> tuple[int, tuple[ReplyVersion, ...]]:
    """A reply's versions and which one is shown; (0, ()) when the message has none (an older file)."""
    versions = data.get("versions")
    if versions is None:
        return 0, ()
    if not isinstance(versions, list):
        raise refuse(translate("ConversationFile", "versions must be a list, not {value}").format(
            value=short_repr(versions)))
    if data["role"] != "assistant" and versions:
        raise refuse(translate("ConversationFile", "only a reply of the assistant has versions"))
    read = [_version_from_json(position, version, refuse) for position, version in enumerate(versions)]
    if len(read) < 2:  # one version is the message itself
        return 0, ()
    shown = data.get("version", 0)
    if isinstance(shown, bool) or not isinstance(shown, int) or not 0 <= shown < len(read):
        raise refuse(translate("ConversationFile", "version must be a whole number from 0 to {high}, not {value}"
                               ).format(high=len(read) - 1, value=short_repr(shown)))
    return shown, tuple(read)


def _version_from_json(position: int, data, refuse) -> ReplyVersion:
    def refuse_version(problem) -> ConversationFileError:
        return refuse(translate("ConversationFile", "version {position}: {problem}").format(
            position=position, problem=problem))

    if not isinstance(data, dict):
        raise refuse_version(object_problem(data))
    if "content" not in data:
        raise refuse_version(translate("ConversationFile", "{name} is missing").format(name="content"))
    content, finish, stats = _reply_fields(data, refuse_version, lambda problem: str(refuse_version(
        translate("ConversationFile", "stats: {problem}").format(problem=problem))))
    return ReplyVersion(content, stats, finish)


def from_markdown(text: str) -> PortableConversation:
    """Read what to_markdown writes: a `# title`, then `## You` / `## Assistant` / `## System` sections."""
    title, system, messages = _default_title(), "", []
    role, lines = None, []

    def close_section():
        nonlocal system
        while lines and not lines[-1].strip():
            lines.pop()
        content = "\n".join(lines)
        if role == "system":
            problem = text_problem("system_prompt", content, MAX_TEXT_CHARS)
            if problem is not None:
                raise ConversationFileError(problem)
            system = content
        elif role is not None and content:
            problem = text_problem("content", content, MAX_TEXT_CHARS)
            if problem is not None:
                raise ConversationFileError(translate("ConversationFile", "message {number}: {problem}").format(
                    number=len(messages) + 1, problem=problem))
            messages.append(PortableMessage(role, content))

    for line in text.split("\n"):
        line = line[:-1] if line.endswith("\r") else line  # a file saved with Windows line ends
        heading = _HEADING.match(line)
        if heading:
            close_section()
            role, lines = _HEADINGS[heading.group(1)], []
        elif role is None and line.startswith("# "):
            title = line[2:].strip() or title
        elif role is not None:
            if not lines and not line.strip():
                continue  # the blank lines between a heading and its text
            lines.append(line[1:] if _ESCAPED_HEADING.match(line) else line)
    close_section()
    if not messages:
        raise ConversationFileError(translate(
            "ConversationFile", "it holds no \"## You\" or \"## Assistant\" sections"))
    problem = text_problem("title", title, MAX_TITLE_CHARS)
    if problem is not None:
        raise ConversationFileError(problem)
    return PortableConversation(title, system, SamplingParams(), tuple(messages))


def _read_text(path: Path) -> str:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a folder, a FIFO that would block, a device
            raise ConversationFileError(translate("ConversationFile", "it is not a regular file"))
        if info.st_size > MAX_FILE_BYTES:
            raise _too_big(info.st_size)
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConversationFileError(translate("ConversationFile", "it cannot be read ({error})").format(
            error=exc.strerror or exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(len(data))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConversationFileError(translate(
            "ConversationFile", "it is not UTF-8 text (byte {offset:,} cannot be decoded)").format(
            offset=exc.start + 1)) from None


def _too_big(size: int) -> ConversationFileError:
    return ConversationFileError(translate(
        "ConversationFile", "it is {size:,} bytes, more than the {limit:,} bytes a conversation file may have").format(
        size=size, limit=MAX_FILE_BYTES))


def read_conversation(path: Path) -> PortableConversation:
    """The conversation in the file, checked as a whole; ConversationFileError says what is wrong."""
    path = Path(path)
    try:
        text = _read_text(path)
        return from_markdown(text) if _is_markdown(path) else from_json(text)
    except ConversationFileError:
        raise
    except Exception as exc:  # a hostile file reaches paths nobody foresaw: the user still gets a reason
        _log.exception("reading the conversation file %s failed unexpectedly", path)
        raise ConversationFileError(translate(
            "ConversationFile", "it could not be read as a conversation ({error})").format(
            error=f"{type(exc).__name__}: {exc}")) from exc


# -- the store ----------------------------------------------------------------------------------

def from_store(store, conversation_id: int) -> PortableConversation:
    conversation = store.conversation(conversation_id)
    if conversation is None:
        raise ConversationGoneError()
    messages = tuple(PortableMessage(m.role, m.content, m.stats, m.finish_reason, m.version,
                                     tuple(store.versions(m.id)) if m.versions > 1 else ())
                     for m in store.messages(conversation_id))
    return PortableConversation(conversation.title, conversation.system_prompt, conversation.sampling, messages)


def into_store(store, conversation: PortableConversation,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Add the conversation as a new one, in one transaction (nothing existing is replaced; a failure
    leaves nothing behind); returns its id. `progress(written, total)` is called after each batch."""
    rows = [(m.role, m.content, m.stats, m.finish_reason, m.version, m.versions) for m in conversation.messages]
    return store.import_conversation(conversation.title, conversation.system_prompt, conversation.sampling,
                                     rows, progress)
