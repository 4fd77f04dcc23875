"""Conversations to and from files: JSON (everything, for import) and Markdown (to read and share)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.engine.i18n import translate
from app.engine.records import ReplyStats, SamplingParams

FORMAT = "kvchat-conversation"
VERSION = 1
_HEADINGS = {"You": "user", "Assistant": "assistant", "System": "system"}
_HEADING = re.compile(r"^## (You|Assistant|System)\s*$")


class ConversationFileError(ValueError):
    """The file is not a conversation this app can read; the message says why."""


@dataclass(frozen=True)
class PortableMessage:
    role: str
    content: str
    stats: ReplyStats | None = None
    finish_reason: str | None = None


@dataclass(frozen=True)
class PortableConversation:
    title: str
    system_prompt: str = ""
    sampling: SamplingParams = field(default_factory=SamplingParams)
    messages: tuple[PortableMessage, ...] = ()


def to_json(conversation: PortableConversation) -> str:
    return json.dumps({
        "format": FORMAT,
        "version": VERSION,
        "title": conversation.title,
        "system_prompt": conversation.system_prompt,
        "sampling": asdict(conversation.sampling),
        "messages": [
            {"role": m.role, "content": m.content, "finish_reason": m.finish_reason,
             "stats": asdict(m.stats) if m.stats else None}
            for m in conversation.messages
        ],
    }, ensure_ascii=False, indent=2)


def to_markdown(conversation: PortableConversation) -> str:
    parts = [f"# {conversation.title}", ""]
    if conversation.system_prompt.strip():
        parts += ["## System", "", conversation.system_prompt.strip(), ""]
    names = {role: heading for heading, role in _HEADINGS.items()}
    for m in conversation.messages:
        parts += [f"## {names.get(m.role, m.role)}", "", m.content.strip(), ""]
    return "\n".join(parts)


def _known(cls, data: dict):
    return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def from_json(text: str) -> PortableConversation:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConversationFileError(translate("ConversationFile", "it is not valid JSON ({error})").format(
            error=exc)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConversationFileError(translate(
            "ConversationFile", "it is not a KV Chat conversation (no \"format\": \"kvchat-conversation\")"))
    if data.get("version", 0) > VERSION:
        raise ConversationFileError(translate(
            "ConversationFile", "it was written by a newer KV Chat (format version {version})").format(
            version=data["version"]))
    try:
        messages = tuple(
            PortableMessage(str(m["role"]), str(m["content"]),
                            _known(ReplyStats, m["stats"]) if m.get("stats") else None, m.get("finish_reason"))
            for m in data.get("messages", [])
        )
        if any(m.role not in ("user", "assistant", "system") for m in messages):
            raise ConversationFileError(translate(
                "ConversationFile", "a message has a role other than user, assistant or system"))
        return PortableConversation(str(data.get("title") or translate("ConversationFile", "Imported conversation")),
                                    str(data.get("system_prompt", "")),
                                    _known(SamplingParams, data.get("sampling") or {}), messages)
    except (KeyError, TypeError) as exc:
        raise ConversationFileError(translate("ConversationFile", "a message is incomplete ({error})").format(
            error=exc)) from None


def from_markdown(text: str) -> PortableConversation:
    """Read what to_markdown writes: a `# title`, then `## You` / `## Assistant` / `## System` sections."""
    title, system, messages = translate("ConversationFile", "Imported conversation"), "", []
    role, lines = None, []

    def close_section():
        nonlocal system
        content = "\n".join(lines).strip()
        if role == "system":
            system = content
        elif role is not None and content:
            messages.append(PortableMessage(role, content))

    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            close_section()
            role, lines = _HEADINGS[heading.group(1)], []
        elif role is None and line.startswith("# "):
            title = line[2:].strip() or title
        elif role is not None:
            lines.append(line)
    close_section()
    if not messages:
        raise ConversationFileError(translate(
            "ConversationFile", "it holds no \"## You\" or \"## Assistant\" sections"))
    return PortableConversation(title, system, SamplingParams(), tuple(messages))


def read_conversation(path: Path) -> PortableConversation:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConversationFileError(translate("ConversationFile", "it cannot be read ({error})").format(
            error=exc)) from None
    return from_markdown(text) if Path(path).suffix.lower() in (".md", ".markdown") else from_json(text)


def write_conversation(conversation: PortableConversation, path: Path) -> None:
    text = to_markdown(conversation) if Path(path).suffix.lower() in (".md", ".markdown") else to_json(conversation)
    Path(path).write_text(text, encoding="utf-8")


def from_store(store, conversation_id: int) -> PortableConversation:
    conversation = store.conversation(conversation_id)
    messages = tuple(PortableMessage(m.role, m.content, m.stats, m.finish_reason)
                     for m in store.messages(conversation_id))
    return PortableConversation(conversation.title, conversation.system_prompt, conversation.sampling, messages)


def into_store(store, conversation: PortableConversation) -> int:
    """Add the conversation as a new one (nothing existing is replaced); returns its id."""
    created = store.create_conversation(conversation.title, conversation.system_prompt, conversation.sampling)
    for m in conversation.messages:
        store.add_message(created.id, m.role, m.content, m.stats, m.finish_reason)
    return created.id
