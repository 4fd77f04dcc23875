"""Export and import of conversations, through a real SQLite store and real files."""

import json

import pytest

from app.core.conversation_io import (
    ConversationFileError,
    PortableConversation,
    PortableMessage,
    from_store,
    into_store,
    read_conversation,
    write_conversation,
)
from app.core.store import ConversationStore
from app.engine.records import ReplyStats, SamplingParams


@pytest.fixture
def store(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    yield store
    store.close()


def seeded(store):
    c = store.create_conversation("Lighthouses 灯塔", "Answer briefly.", SamplingParams(temperature=0.6, seed=9))
    store.add_message(c.id, "user", "What does a lighthouse do?")
    store.add_message(c.id, "assistant", "It warns ships.\n\n```python\nprint('beam')\n```",
                      ReplyStats(prompt_tokens=12, generated_tokens=9, type_k="q8_0", type_v="q4_0"), "stop")
    store.add_message(c.id, "user", "## You is a heading\nand 中文 too")
    return c.id


def test_json_round_trip_keeps_everything(store, tmp_path):
    original = from_store(store, seeded(store))
    path = tmp_path / "chat.json"
    write_conversation(original, path)
    assert "灯塔" in path.read_text(encoding="utf-8")  # written as UTF-8, not escaped
    back = read_conversation(path)
    assert back == original
    new_id = into_store(store, back)
    assert from_store(store, new_id) == original
    assert len(store.conversations()) == 2  # imported beside, nothing replaced


def test_markdown_export_reads_well_and_comes_back(store, tmp_path):
    original = from_store(store, seeded(store))
    path = tmp_path / "chat.md"
    write_conversation(original, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Lighthouses 灯塔") and "## System\n\nAnswer briefly." in text
    assert "```python\nprint('beam')\n```" in text
    back = read_conversation(path)
    assert back.title == original.title and back.system_prompt == "Answer briefly."
    assert [(m.role, m.content) for m in back.messages] == [(m.role, m.content) for m in original.messages]


HEADING_LIKE_BODIES = [
    "## You",
    "## Assistant  ",
    "\\## You",
    "\\\\\\## System",
    "# A title-like line\n## You\n\n## Assistant",
    "```markdown\n## You\n```",
    "  indented first line\n## you (not a heading: lower case)",
    "ends with spaces   ",
]


@pytest.mark.parametrize("body", HEADING_LIKE_BODIES)
def test_any_message_body_survives_markdown(tmp_path, body):
    original = PortableConversation("Bodies", body, SamplingParams(), (
        PortableMessage("user", body), PortableMessage("assistant", "before\n" + body + "\nafter"),
        PortableMessage("user", body)))
    path = tmp_path / "bodies.md"
    write_conversation(original, path)
    back = read_conversation(path)
    assert back.system_prompt == body
    assert [(m.role, m.content) for m in back.messages] == [(m.role, m.content) for m in original.messages]


def test_markdown_written_with_windows_line_ends_and_a_bom_reads_the_same(tmp_path):
    path = tmp_path / "windows.md"
    text = "\ufeff# Notes\r\n\r\n## You\r\n\r\nline one\r\nline two\r\n\r\n## Assistant\r\n\r\nok\r\n"
    path.write_bytes(text.encode())
    back = read_conversation(path)
    assert back.title == "Notes"
    assert [(m.role, m.content) for m in back.messages] == [("user", "line one\nline two"), ("assistant", "ok")]


@pytest.mark.parametrize("name, content, says", [
    ("x.json", "{not json", "not valid JSON"),
    ("x.json", '{"title": "no format"}', "not a KV Chat conversation"),
    ("x.json", '{"format": "kvchat-conversation", "version": 99}', "newer KV Chat"),
    ("x.json", '{"format": "kvchat-conversation", "messages": [{"role": "robot", "content": "x"}]}', "role"),
    ("x.json", '{"format": "kvchat-conversation", "messages": [{"role": "user"}]}', "message 1: content is missing"),
    ("x.json", '{"format": "kvchat-conversation", "messages": [{"role": "user", "content": 5}]}',
     "content must be text"),
    ("x.json", '{"format": "kvchat-conversation", "sampling": {"top_k": 1.5}}', "sampling: top_k must be a whole"),
    ("x.json", '{"format": "kvchat-conversation", "messages": [{"role": "user", "content": "x", "stats": '
               '{"prompt_tokens": -1}}]}', "message 1, stats: prompt_tokens must be a whole number from 0"),
    ("x.json", b'{"format": "kvchat-conversation", "title": "\xff"}', "not UTF-8 text"),
    ("x.md", "just some notes", "no \"## You\""),
])
def test_files_that_are_not_conversations(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConversationFileError, match=says):
        read_conversation(path)


def with_versions(store):
    """A conversation whose reply was written three times, the second version shown."""
    c = store.create_conversation("Colours")
    store.add_message(c.id, "user", "Name a colour.")
    answer = store.add_message(c.id, "assistant", "Red.", ReplyStats(generated_tokens=2), "stop")
    store.add_version(answer.id, "Blue.", ReplyStats(generated_tokens=3), "stop")
    store.add_version(answer.id, "Gre", None, "cancelled")
    store.show_version(answer.id, 1)
    return c.id


def test_json_carries_every_version_and_the_one_shown(store, tmp_path):
    original = from_store(store, with_versions(store))
    reply = original.messages[1]
    assert (reply.content, reply.version) == ("Blue.", 1)
    assert [(v.content, v.finish_reason) for v in reply.versions] == [
        ("Red.", "stop"), ("Blue.", "stop"), ("Gre", "cancelled")]
    path = tmp_path / "colours.json"
    write_conversation(original, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1  # the format stays the one older KV Chats read: they take the shown "content"
    assert data["messages"][1]["content"] == "Blue." and "versions" not in data["messages"][0]
    back = read_conversation(path)
    assert back == original
    new_id = into_store(store, back)
    assert from_store(store, new_id) == original
    shown = store.messages(new_id)[1]
    assert (shown.content, shown.version, shown.versions) == ("Blue.", 1, 3)


def test_markdown_keeps_the_version_shown(store, tmp_path):
    path = tmp_path / "colours.md"
    write_conversation(from_store(store, with_versions(store)), path)
    text = path.read_text(encoding="utf-8")
    assert "Blue." in text and "Red." not in text and "Gre\n" not in text


def test_a_file_of_the_format_before_versions_still_reads(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": "kvchat-conversation", "version": 1, "title": "Old", "messages": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "finish_reason": "stop"}]}))
    back = read_conversation(path)
    assert [(m.content, m.version, m.versions) for m in back.messages] == [("Hi", 0, ()), ("Hello", 0, ())]


@pytest.mark.parametrize("message, says", [
    ({"role": "assistant", "content": "B", "versions": "A, B"}, "message 1: versions must be a list"),
    ({"role": "user", "content": "B", "versions": [{"content": "A"}, {"content": "B"}]}, "only a reply"),
    ({"role": "assistant", "content": "B", "versions": [{"content": "A"}, 7]}, "message 1: version 1: it must be"),
    ({"role": "assistant", "content": "B", "versions": [{"content": "A"}, {}]}, "version 1: content is missing"),
    ({"role": "assistant", "content": "B", "versions": [{"content": "A"}, {"content": "B", "stats": {
        "generated_tokens": -1}}]}, "version 1: stats: generated_tokens must be"),
    ({"role": "assistant", "content": "B", "version": 2, "versions": [{"content": "A"}, {"content": "B"}]},
     "version must be a whole number from 0 to 1, not 2"),
    ({"role": "assistant", "content": "B", "version": 0, "versions": [{"content": "A"}, {"content": "B"}]},
     "version 0, the one shown, is not its content"),
])
def test_versions_that_do_not_fit_their_message_are_refused(tmp_path, message, says):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"format": "kvchat-conversation", "messages": [message]}))
    with pytest.raises(ConversationFileError, match=says):
        read_conversation(path)
