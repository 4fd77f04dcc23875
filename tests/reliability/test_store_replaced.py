"""The database file changes under a running store: deleted, replaced by a folder or another file,
its write-ahead log removed (then the process killed). Nothing written before or after is lost,
and the store says where everything is."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.store import ConversationStore

ROOT = Path(__file__).resolve().parents[2]


def seeded_store(path: Path, n: int = 4):
    store = ConversationStore(path)
    notices = []
    store.on_notice = notices.append
    conversation = store.create_conversation("Kept")
    for i in range(n):
        store.add_message(conversation.id, "user", f"question {i}")
    return store, conversation.id, notices


def contents(path: Path, conversation_id: int) -> list[str]:
    """What a fresh connection (the next start of the app) finds in the file."""
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute(
            "SELECT content FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))]
    finally:
        db.close()


def side_files(path: Path) -> list[Path]:
    return [Path(str(path) + suffix) for suffix in ("-wal", "-shm")]


@pytest.mark.parametrize("with_side_files", [False, True], ids=["the file", "the file, its log and index"])
def test_the_database_deleted_while_running_is_saved_again_at_its_place(tmp_path, with_side_files):
    path = tmp_path / "conversations.sqlite3"
    store, cid, notices = seeded_store(path)
    os.remove(path)
    if with_side_files:
        for side in side_files(path):
            os.remove(side)
    store.add_message(cid, "user", "typed after the file was deleted")
    assert notices and "was deleted" in notices[0] and str(path) in notices[0]
    assert store.notice == notices[0]
    store.add_message(cid, "user", "and one more")
    store.close()
    assert contents(path, cid) == [f"question {i}" for i in range(4)] + [
        "typed after the file was deleted", "and one more"]


def test_the_database_deleted_and_the_app_closed_keeps_everything(tmp_path):
    """No write after the deletion: closing is the last moment to save, and it is used."""
    path = tmp_path / "conversations.sqlite3"
    store, cid, _ = seeded_store(path)
    os.remove(path)
    store.close()
    assert contents(path, cid) == [f"question {i}" for i in range(4)]


def test_the_database_replaced_by_a_folder_is_saved_next_to_it(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    store, cid, notices = seeded_store(path)
    os.remove(path)
    path.mkdir()
    store.add_message(cid, "user", "typed after the file became a folder")
    (saved,) = [p for p in tmp_path.iterdir() if p.name.startswith("conversations.recovered-")
                and p.suffix == ".sqlite3"]
    assert str(saved) in notices[0] and "replaced" in notices[0] and path.is_dir()
    assert store.path == saved  # later writes go there too
    store.add_message(cid, "user", "and one more")
    store.close()
    assert contents(saved, cid)[-2:] == ["typed after the file became a folder", "and one more"]
    assert len(contents(saved, cid)) == 6
    # The old file's log is not left where it would be replayed into the file renamed there later.
    assert not any(side.exists() for side in side_files(path))


def test_the_database_replaced_by_another_file_leaves_that_file_alone(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    store, cid, notices = seeded_store(path)
    other = tmp_path / "restored-backup.sqlite3"
    backup = ConversationStore(other)
    backup.create_conversation("From the backup")
    backup.close()
    os.replace(other, path)  # e.g. the user restores a backup while the app runs
    store.add_message(cid, "user", "typed after the swap")
    assert [c.title for c in ConversationStore(path).conversations()] == ["From the backup"]
    (saved,) = [p for p in tmp_path.iterdir() if p.name.startswith("conversations.recovered-")
                and p.suffix == ".sqlite3"]
    assert str(saved) in notices[0]
    store.close()
    assert contents(saved, cid)[-1] == "typed after the swap" and len(contents(saved, cid)) == 5


def test_the_log_deleted_while_running_is_written_back(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    store, cid, notices = seeded_store(path)
    os.remove(side_files(path)[0])
    store.add_message(cid, "user", "typed after the log was deleted")
    assert "log file" in notices[0] and "nothing was lost" in notices[0]
    assert store.path == path
    assert contents(path, cid)[-1] == "typed after the log was deleted"
    store.close()
    assert len(contents(path, cid)) == 5


def start_child(path: Path, count: int) -> tuple[subprocess.Popen, int]:
    child = subprocess.Popen([sys.executable, "-m", "tests.reliability.store_driver", str(path), str(count)],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    line = child.stdout.readline()
    assert line.startswith("READY "), line
    return child, int(line.split()[1])


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def test_log_deleted_then_kill_9_loses_nothing(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    child, cid = start_child(path, 50)
    try:
        os.remove(side_files(path)[0])
    finally:
        kill(child)
    assert len(contents(path, cid)) == 50  # the schema and all 50 messages


def test_log_deleted_a_write_then_kill_9_loses_nothing(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    child, cid = start_child(path, 50)
    try:
        os.remove(side_files(path)[0])
        child.stdin.write("write typed after the log was deleted\n")
        child.stdin.flush()
        reply = child.stdout.readline()
    finally:
        kill(child)
    assert reply.startswith("WROTE ") and "log file" in reply
    saved = contents(path, cid)
    assert len(saved) == 51 and saved[-1] == "typed after the log was deleted"


def test_nowhere_to_save_keeps_the_session_and_says_so(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "conversations.sqlite3"
    store, cid, notices = seeded_store(path)
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    folder.write_text("a file where the data folder was")  # neither the path nor its folder can be written
    store.add_message(cid, "user", "typed with nowhere to save")
    assert "cannot be saved" in notices[0] and "keeps them until it closes" in notices[0]
    assert [m.content for m in store.messages(cid)][-1] == "typed with nowhere to save"
    store.add_message(cid, "user", "and the session goes on")
    assert len(notices) == 1  # said once
    store.close()


def test_an_import_after_the_database_was_deleted_goes_into_the_new_file(tmp_path, qtbot):
    from PySide6.QtWidgets import QWidget

    from app.core.conversation_io import PortableConversation, PortableMessage, write_conversation
    from app.ui.chat.conversation_files import ConversationFiles

    path = tmp_path / "conversations.sqlite3"
    store, cid, notices = seeded_store(path)
    parent = QWidget()
    qtbot.addWidget(parent)
    files = ConversationFiles(store, parent)
    imported = []
    files.sig_imported.connect(imported.append)
    source = tmp_path / "chat.md"
    write_conversation(PortableConversation("From a file", messages=(PortableMessage("user", "imported"),)), source)
    os.remove(path)
    files.import_from(str(source))
    qtbot.waitUntil(lambda: bool(imported), timeout=60_000)
    assert "was deleted" in notices[0]
    store.close()
    assert contents(path, cid) == [f"question {i}" for i in range(4)]
    assert contents(path, imported[0]) == ["imported"]
