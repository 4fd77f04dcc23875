"""What the conversation store's rows hold, and how they are read back: whatever a column holds
(a damaged value, a file written by another program), a value of the right type comes out."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from app.core.record_fields import sampling_or_defaults, stats_or_none
from app.engine.records import ReplyStats, SamplingParams
from app.i18n import QT_TRANSLATE_NOOP, translate

# Stored as is, in English, so that an untitled conversation is recognised in any language;
# Conversation.display_title shows it in the user's.
DEFAULT_TITLE = QT_TRANSLATE_NOOP("ConversationStore", "New conversation")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredMessage:
    """A message as stored; for a reply written more than once, the version shown (`version` of `versions`)."""

    id: int
    role: str
    content: str
    stats: ReplyStats | None = None
    finish_reason: str | None = None
    version: int = 0
    versions: int = 1


@dataclass(frozen=True)
class ReplyVersion:
    """One version of a reply: what it said, how it was written, how it ended."""

    content: str
    stats: ReplyStats | None = None
    finish_reason: str | None = None


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    system_prompt: str = ""
    sampling: SamplingParams = field(default_factory=SamplingParams)
    updated: float = 0.0

    @property
    def display_title(self) -> str:
        """The title as the list shows it: an untitled conversation's in the user's language."""
        return translate("ConversationStore", DEFAULT_TITLE) if self.title == DEFAULT_TITLE else self.title


# -- reading rows back ------------------------------------------------------------------------

def _loads(text, what: str):
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        _log.warning("unreadable %s in the conversation database (%s); defaults are used", what, exc)
        return None


def _sampling_from_json(text) -> SamplingParams:
    return sampling_or_defaults(_loads(text, "sampling settings"))


def _stats_from_json(text) -> ReplyStats | None:
    return stats_or_none(_loads(text, "reply statistics"))


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def conversation_from_row(row) -> Conversation:
    updated = row[4] if isinstance(row[4], (int, float)) else 0.0
    return Conversation(row[0], _text(row[1]), _text(row[2]), _sampling_from_json(row[3]), updated)


def message_from_row(row) -> StoredMessage:
    finish = row[4] if isinstance(row[4], str) else None
    versions = row[6] if isinstance(row[6], int) and row[6] > 1 else 1
    version = row[5] if isinstance(row[5], int) and 0 <= row[5] < versions else 0
    return StoredMessage(row[0], _text(row[1]), _text(row[2]), _stats_from_json(row[3]), finish, version, versions)


def version_from_row(row) -> ReplyVersion:
    return ReplyVersion(_text(row[0]), _stats_from_json(row[1]), row[2] if isinstance(row[2], str) else None)


MESSAGE_COLUMNS = ("m.id, m.role, m.content, m.stats, m.finish_reason, m.version, "
                    "(SELECT COUNT(*) FROM message_versions v WHERE v.message_id = m.id)")


def stats_json(stats: ReplyStats | None) -> str | None:
    return json.dumps(vars(stats)) if stats else None  # vars: asdict's deep copy is 10x slower on imports
