"""What a server's answer to a chat or completion request says, read defensively.

An OpenAI-compatible server answers with server-sent events (`data: {json}` lines, `data: [DONE]`
at the end) or, when it ignores "stream": true, with one JSON object. Either way each object is
read here into a ReplyPart: its text, finish reason, prompt token count or error. Every part of an
object that has the wrong type is ignored; an object this module cannot read at all is marked
`understood=False`, so a reply made only of those can be reported instead of ending empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.engine.remote.http import cut, error_message_of


@dataclass(frozen=True)
class ReplyPart:
    text: str = ""
    finish: str | None = None  # "stop" or "length"
    prompt_tokens: int | None = None
    error: str | None = None  # the server's own words
    understood: bool = True
    done: bool = False  # the stream's end marker


NOTHING = ReplyPart()  # a comment, an empty line, a field this app does not use
DONE = ReplyPart(done=True)
NOT_UNDERSTOOD = ReplyPart(understood=False)


def parse_event_line(line: bytes) -> ReplyPart:
    """One line of a server-sent event stream."""
    text = line.decode("utf-8", "replace").strip()
    if not text or text.startswith(":"):
        return NOTHING  # the blank line between events, or a keep-alive comment
    field, _, value = text.partition(":")
    value = value.strip()
    if field == "data":
        if value == "[DONE]":
            return DONE
        return parse_reply_object(_json_or_none(value), streamed=True)
    if field == "error":  # llama-server's older way of reporting an error mid-stream
        data = _json_or_none(value)
        return ReplyPart(error=error_message_of({"error": data}) or value or "error", understood=True)
    if field in ("event", "id", "retry"):
        return NOTHING
    return NOT_UNDERSTOOD


def parse_json_answer(body: bytes) -> ReplyPart:
    """The one JSON object of a server that did not stream its reply."""
    return parse_reply_object(_json_or_none(body.decode("utf-8", "replace")), streamed=False)


def parse_reply_object(data, streamed: bool) -> ReplyPart:
    """A chat chunk ({"choices": [{"delta": {"content": ...}}]}), a whole chat reply
    ({"choices": [{"message": {"content": ...}}]}), a completion ({"choices": [{"text": ...}]}),
    a usage-only chunk ({"choices": [], "usage": {...}}) or an error ({"error": ...})."""
    if not isinstance(data, dict):
        return NOT_UNDERSTOOD
    if data.get("error") is not None:
        return ReplyPart(error=error_message_of(data) or cut(json.dumps(data["error"])))
    usage = data.get("usage")
    prompt_tokens = _count(usage.get("prompt_tokens")) if isinstance(usage, dict) else None
    choices = data.get("choices")
    if not isinstance(choices, list):
        return ReplyPart(prompt_tokens=prompt_tokens, understood=prompt_tokens is not None)
    if not choices:  # the last chunk of many servers carries only the usage
        return ReplyPart(prompt_tokens=prompt_tokens)
    choice = choices[0]
    if not isinstance(choice, dict):
        return ReplyPart(prompt_tokens=prompt_tokens, understood=False)
    text = _text_of(choice, streamed)
    finish = choice.get("finish_reason")
    finish = ("length" if finish == "length" else "stop") if isinstance(finish, str) and finish else None
    understood = text is not None or finish is not None or isinstance(choice.get("delta"), dict)
    return ReplyPart(text or "", finish, prompt_tokens, understood=understood)


def _text_of(choice: dict, streamed: bool) -> str | None:
    """The choice's text if it has one of the right type: delta.content (a streamed chat),
    message.content (a whole chat reply), text (a completion)."""
    places = ("delta", "message") if streamed else ("message", "delta")
    for place in places:
        holder = choice.get(place)
        if isinstance(holder, dict) and isinstance(holder.get("content"), str):
            return holder["content"]
    text = choice.get("text")
    return text if isinstance(text, str) else None


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _json_or_none(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        return None
