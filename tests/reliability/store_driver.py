"""A conversation store in a child process, for faults that need a real kill -9:

    python -m tests.reliability.store_driver DB_PATH MESSAGES

Creates a conversation with MESSAGES messages and prints "READY <conversation id>". Then, for each
line on stdin: "write <text>" adds a message and prints "WROTE <notice or ->". The test kills the
process whenever it likes (it reads the process's lines to know what has happened).
"""

from __future__ import annotations

import sys

from app.core.store import ConversationStore


def main(path: str, count: int) -> None:
    store = ConversationStore(path)
    conversation = store.create_conversation("Kept through a kill")
    for i in range(count):
        store.add_message(conversation.id, "user" if i % 2 == 0 else "assistant", f"message {i}")
    print(f"READY {conversation.id}", flush=True)
    for line in sys.stdin:
        command, _, text = line.rstrip("\n").partition(" ")
        if command == "write":
            store.add_message(conversation.id, "user", text)
            print(f"WROTE {store.notice or '-'}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
