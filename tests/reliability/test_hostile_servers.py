"""Hostile servers: every reply ends (with the text, or a message saying what the server did), Esc
stops a reply at once even while a read is blocked, memory stays bounded, and the API key goes
only to the address the user typed. A loopback server (tests/hostile_server.py) misbehaves one way
per path; moments are controlled with its events, bounds are asserted as byte and piece counts."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest
from PySide6.QtCore import Qt

from app.engine.records import ChatMessage, SamplingParams
from app.engine.remote import host as remote
from app.engine.remote import http as remote_http
from app.engine.remote.host import RemoteError, RemoteHost
from tests import hostile_server
from tests.hostile_server import ODD_EVENTS, ODD_LISTINGS, HostileServer
from tests.ui.conftest import send, until

HANG_GUARD = 60  # seconds: only so that a hang fails the test instead of blocking the suite
KEY = "sk-hostile-test-key"
UNREADABLE = ["list", "null", "number", "choices_string", "delta_string"]  # the others are readable, only empty


@pytest.fixture
def server():
    server = HostileServer()
    yield server
    server.close()


@pytest.fixture
def target():
    """A second server, another origin: it records whatever reaches it."""
    server = HostileServer()
    yield server
    server.close()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, HANG_GUARD))


async def connected(url: str, key: str | None = None) -> RemoteHost:
    host = RemoteHost(url, key)
    await host.connect()
    return host


async def reply(host: RemoteHost, max_tokens: int = 64, on_chunk=None):
    """Every chunk of one reply, and the error it ended with (None if it ended normally)."""
    chunks, error = [], None
    try:
        async with aclosing(host.chat([ChatMessage("user", "Hi")], SamplingParams(max_tokens=max_tokens))) as stream:
            async for chunk in stream:
                chunks.append(chunk)
                if on_chunk is not None:
                    await on_chunk(chunk)
    except RemoteError as exc:
        error = exc
    return chunks, error


def text_of(chunks) -> str:
    return "".join(c.text for c in chunks)


async def event_set(event) -> None:
    assert await asyncio.to_thread(event.wait, HANG_GUARD), "the server's event never came"


# -- events of every shape -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", list(ODD_EVENTS))
def test_an_event_of_a_wrong_shape_is_ignored(server, shape):
    async def body():
        return await reply(await connected(server.url_for(f"odd_{shape}")))

    chunks, error = run(body())
    assert error is None and text_of(chunks) == "ok" and chunks[-1].finish_reason == "stop"


@pytest.mark.parametrize("shape", UNREADABLE)
def test_a_reply_made_only_of_unreadable_events_says_so(server, shape):
    async def body():
        return await reply(await connected(server.url_for(f"only_odd_{shape}")))

    chunks, error = run(body())
    assert error is not None and "cannot read" in str(error) and not text_of(chunks)


def test_an_error_event_is_shown_as_the_servers_error(server):
    async def body():
        return await reply(await connected(server.url_for("error_event")))

    chunks, error = run(body())
    assert text_of(chunks) == "Partial "  # what arrived before the error
    assert error is not None and "reported an error: the model crashed" in str(error)


# -- stalled and endless streams -----------------------------------------------------------------


@pytest.mark.parametrize("case", ["slowloris", "noline", "silent"])
def test_cancel_ends_a_reply_at_once_while_a_read_is_blocked(server, case):
    """Cancel (Esc) while the worker is inside a read that the server never completes."""
    async def body():
        host = await connected(server.url_for(case))
        got_text = asyncio.Event()

        async def on_chunk(chunk):
            if chunk.text:
                got_text.set()

        async def cancel_once_sending():
            await event_set(server.first_bytes_sent)
            if case == "slowloris":
                await got_text.wait()  # its first event is whole; the next never ends
            host.cancel()

        canceller = asyncio.ensure_future(cancel_once_sending())
        chunks, error = await reply(host, on_chunk=on_chunk)
        await canceller
        if case != "silent":  # a silent server writes nothing, so it cannot notice
            await event_set(server.client_gone)
        return host, chunks, error

    host, chunks, error = run(body())
    assert error is None and chunks[-1].phase == "done" and chunks[-1].finish_reason == "cancelled"
    assert text_of(chunks) == ("Partial reply. " if case == "slowloris" else "")
    assert not host.busy  # and the worker thread ended (the autouse fixture checks it)


def test_a_silent_server_is_said_to_have_stopped_sending(server, monkeypatch):
    monkeypatch.setattr(remote, "READ_TIMEOUT_SECONDS", 0.5)

    async def body():
        return await reply(await connected(server.url_for("silent")))

    chunks, error = run(body())
    assert error is not None and "stopped sending: nothing arrived for 0.5 seconds" in str(error)


def test_a_line_that_never_ends_is_cut_at_the_read_timeout(server, monkeypatch):
    monkeypatch.setattr(remote, "READ_TIMEOUT_SECONDS", 2)  # bytes keep coming (every 50 ms), the line never ends

    async def body():
        return await reply(await connected(server.url_for("noline")))

    chunks, error = run(body())
    assert error is not None and "sending too slowly" in str(error)


@pytest.mark.parametrize("case, says", [
    ("models_silent", "stopped sending: nothing arrived for 0.5 seconds"),
    ("headers_trickle", "did not answer /v1/models within 0.5 seconds"),
])
def test_connecting_to_a_stalled_server_ends_in_a_message(server, monkeypatch, case, says):
    monkeypatch.setattr(remote, "TIMEOUT_SECONDS", 0.5)

    async def body():
        with pytest.raises(RemoteError) as raised:
            await connected(server.url_for(case))
        return str(raised.value)

    assert says in run(body())


def test_an_endless_stream_is_stopped_at_max_tokens_and_closed(server):
    async def body():
        host = await connected(server.url_for("endless"))
        chunks, error = await reply(host, max_tokens=50)
        await event_set(server.client_gone)  # the client closed the connection
        return host, chunks, error

    host, chunks, error = run(body())
    assert error is None and chunks[-1].finish_reason == "length"
    assert [c.text for c in chunks if c.phase == "generating"] == ["word "] * 50
    assert chunks[-1].stats.generated_tokens == 50
    assert host.bytes_received < 1 << 20  # 50 events and one read's worth, not the endless rest


def test_a_one_gigabyte_line_is_refused_and_memory_stays_bounded(server):
    async def body():
        host = await connected(server.url_for("bigline"))
        chunks, error = await reply(host)
        await event_set(server.client_gone)
        return host, chunks, error

    host, chunks, error = run(body())
    assert error is not None and "a line longer than 1 MiB" in str(error)
    # What the client read: one line's bound plus the model list, not the gigabyte.
    assert host.bytes_received <= remote_http.MAX_LINE_BYTES + 4096
    # What the server managed to write before the client closed: the bound plus the kernel's buffers.
    assert server.bytes_sent < hostile_server.BIG_LINE_BYTES // 4


# -- redirects: the key stays with the typed origin ----------------------------------------------


@pytest.mark.parametrize("target_host", ["127.0.0.1", "localhost"])
def test_a_redirect_to_another_origin_is_refused_and_the_key_not_sent(server, target, target_host):
    server.redirect_target = f"http://{target_host}:{target.port}/plain"

    async def body():
        with pytest.raises(RemoteError) as raised:
            await connected(server.url_for("redirect"), KEY)
        return raised.value

    error = run(body())
    assert f"to http://{target_host}:{target.port}/plain/v1/models, another server" in str(error)
    assert target.requests == []  # nothing reached the other origin, so no key either
    assert all(r.headers.get("Authorization") == f"Bearer {KEY}" for r in server.requests)


def test_a_chat_redirected_to_another_origin_is_refused(server, target):
    server.redirect_target = f"{target.url}/plain"

    async def body():
        host = await connected(server.url_for("redirect_chat"), KEY)
        return await reply(host)

    chunks, error = run(body())
    assert error is not None and f"{target.url}/plain/v1/chat/completions, another server" in str(error)
    assert not text_of(chunks)
    assert [r for r in target.requests if "Authorization" in r.headers] == [] and target.requests == []


def test_a_post_is_never_turned_into_a_get(server):
    async def body():
        host = await connected(server.url_for("redirect_chat_here"), KEY)
        return await reply(host)

    chunks, error = run(body())
    assert error is not None and "would turn it into a GET" in str(error)
    assert [r.method for r in server.requests if r.path.startswith("/plain/")] == []


# -- answers of the wrong form -------------------------------------------------------------------


def test_a_server_that_ignores_stream_true_still_replies(server):
    async def body():
        return await reply(await connected(server.url_for("not_streamed")))

    chunks, error = run(body())
    assert error is None and text_of(chunks) == "Hello in one piece"
    assert chunks[-1].finish_reason == "stop" and chunks[-1].stats.prompt_tokens == 9


@pytest.mark.parametrize("case", ["not_streamed_int_content", "not_streamed_list"])
def test_a_whole_answer_of_the_wrong_type_says_so(server, case):
    async def body():
        return await reply(await connected(server.url_for(case)))

    chunks, error = run(body())
    assert error is not None and "cannot read" in str(error)


@pytest.mark.parametrize("case", list(ODD_LISTINGS))
def test_an_odd_model_list_is_a_clear_error(server, case):
    async def body():
        with pytest.raises(RemoteError) as raised:
            await connected(server.url_for(case))
        return raised.value

    error = run(body())
    assert "/v1/models" in str(error) and type(error) is RemoteError


@pytest.mark.parametrize("case, kind, facts", [
    ("props_odd", "llama.cpp server", {}),
    ("props_n_ctx_string", "llama.cpp server", {}),
    ("ollama_odd", "Ollama", {}),
    ("lmstudio_odd", "LM Studio", {}),
])
def test_odd_server_details_are_left_out(server, case, kind, facts):
    report = run(connected(server.url_for(case))).report
    assert report.model == hostile_server.MODEL and report.server == kind and report.facts == facts


def test_an_html_error_page_is_shown_as_a_short_reason(server):
    async def body():
        with pytest.raises(RemoteError) as raised:
            await connected(server.url_for("error_page"))
        return str(raised.value)

    message = run(body())
    assert "answered 500 Internal Server Error to /v1/models" in message
    assert "unable to complete your request" in message
    assert "<" not in message and "console.log" not in message and "font-family" not in message
    assert len(message) < 500


# -- in the window -------------------------------------------------------------------------------


def connect_window(loop, window, url: str):
    dialog = window.remote_mode.open_dialog()
    dialog.url.setText(url)
    host = loop.run_until_complete(dialog.try_connect())
    assert host is not None, dialog.status.text()
    loop.run_until_complete(until(lambda: window.session.host is host, what="the switch to the server"))
    return host


def test_esc_saves_the_partial_reply_of_a_stalled_server(loop, qtbot, window, server):
    connect_window(loop, window, server.url_for("slowloris"))
    send(loop, qtbot, window, "Tell me something.", wait=False)
    loop.run_until_complete(until(lambda: "Partial reply." in window.chat_view.reply_text, timeout=HANG_GUARD,
                                  what="the first event"))
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    loop.run_until_complete(until(lambda: not window.session.replying, timeout=HANG_GUARD, what="the stop"))
    messages = window.store.messages(window.session.conversation.id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content == "Partial reply. " and messages[1].finish_reason == "cancelled"
    assert loop.run_until_complete(asyncio.to_thread(server.client_gone.wait, HANG_GUARD))


def test_a_malformed_stream_in_the_window(loop, qtbot, window, server):
    connect_window(loop, window, server.url_for("odd_list"))
    send(loop, qtbot, window, "Hi", wait=False)
    loop.run_until_complete(until(lambda: not window.session.replying, timeout=HANG_GUARD, what="the reply"))
    messages = window.store.messages(window.session.conversation.id)
    assert messages[-1].role == "assistant" and messages[-1].content == "ok" and messages[-1].finish_reason == "stop"
    assert not window.banner.isVisible()


def test_an_error_event_in_the_window_keeps_the_partial_reply(loop, qtbot, window, server):
    connect_window(loop, window, server.url_for("error_event"))
    send(loop, qtbot, window, "Hi", wait=False)
    loop.run_until_complete(until(lambda: not window.session.replying, timeout=HANG_GUARD, what="the reply"))
    assert "reported an error: the model crashed" in window.banner.label.text()
    messages = window.store.messages(window.session.conversation.id)
    assert messages[-1].role == "assistant" and messages[-1].content == "Partial "
    window.remote_mode.panel.disconnect_button.click()  # and the app carries on with the local model
    loop.run_until_complete(until(lambda: window.host.report is not None, what="the local model"))


def test_the_connect_dialog_says_what_is_wrong_with_an_odd_model_list(loop, window, server):
    dialog = window.remote_mode.open_dialog()
    dialog.url.setText(server.url_for("models_list_of_numbers"))
    host = loop.run_until_complete(asyncio.wait_for(dialog.try_connect(), HANG_GUARD))
    assert host is None and dialog.isVisible() and dialog.connect_button.isEnabled()
    assert dialog.status.text().endswith("lists no models at /v1/models.")  # not stuck at "Connecting…"
    assert not window.remote_mode.active and window.host.report is not None
    dialog.reject()
