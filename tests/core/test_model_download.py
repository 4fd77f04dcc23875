"""Downloading from a hub: against a loopback server that serves the starter model as the hub does
(the real hub is unreachable from these machines)."""

from __future__ import annotations

import threading

import pytest

from app.core.model_download import DownloadCancelled, DownloadError, download_gguf, list_gguf_files, sha256_of
from app.engine.gguf.info import read_model_info
from tests.fake_hub import FakeHub

REPO = "kvchat-tests/SmolLM2-GGUF"
NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(autouse=True)
def offline_hub_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def test_list_and_download_with_progress_and_checksum(starter_model, tmp_path):
    with FakeHub(REPO, {NAME: starter_model, "README.md": starter_model}) as hub:
        files = list_gguf_files(REPO, endpoint=hub.endpoint).files
        assert [(f.name, f.size) for f in files] == [(NAME, starter_model.stat().st_size)]
        assert files[0].sha256 == hub.sha256[NAME]
        progress = []
        path = download_gguf(REPO, NAME, tmp_path / "models", lambda done, total: progress.append((done, total)),
                             threading.Event(), endpoint=hub.endpoint)
        written = path.stat().st_mtime_ns
        again = []  # a file already here (and intact) is not fetched again
        assert download_gguf(REPO, NAME, tmp_path / "models", lambda done, total: again.append((done, total)),
                             threading.Event(), endpoint=hub.endpoint) == path
    assert sha256_of(path) == hub.sha256[NAME]
    assert read_model_info(path).n_layer == 30  # a real, usable model
    assert progress and progress[-1] == (starter_model.stat().st_size,) * 2
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert again == [(starter_model.stat().st_size,) * 2] and path.stat().st_mtime_ns == written


def test_cancel_then_resume_where_it_stopped(starter_model, tmp_path):
    cancel = threading.Event()

    def on_progress(done, total):
        if done > total // 3:
            cancel.set()

    with FakeHub(REPO, {NAME: starter_model}, chunk_delay=0.001) as hub:
        with pytest.raises(DownloadCancelled):
            download_gguf(REPO, NAME, tmp_path / "models", on_progress, cancel, endpoint=hub.endpoint)
        partial = list((tmp_path / "models").rglob("*.part"))
        assert partial and partial[0].stat().st_size > 0
        hub.chunk_delay = 0
        resumed = []
        path = download_gguf(REPO, NAME, tmp_path / "models", lambda d, t: resumed.append(d), threading.Event(),
                             endpoint=hub.endpoint)
        assert hub.range_requests and int(hub.range_requests[-1][6:].split("-")[0]) > 0  # it asked for the rest
    assert sha256_of(path) == hub.sha256[NAME]


def test_a_damaged_download_is_caught_and_removed(starter_model, tmp_path):
    with FakeHub(REPO, {NAME: starter_model}) as hub:
        hub.corrupt = True
        with pytest.raises(DownloadError, match="arrived damaged"):
            download_gguf(REPO, NAME, tmp_path / "models", lambda d, t: None, threading.Event(),
                          endpoint=hub.endpoint)
    assert not list((tmp_path / "models").rglob(NAME))


def test_missing_repository_and_file_are_explained(starter_model, tmp_path):
    with FakeHub(REPO, {NAME: starter_model}) as hub:
        with pytest.raises(DownloadError, match="no repository"):
            list_gguf_files("someone/else", endpoint=hub.endpoint)
        with pytest.raises(DownloadError, match="not in"):
            download_gguf(REPO, "other.gguf", tmp_path, lambda d, t: None, threading.Event(), endpoint=hub.endpoint)
    with pytest.raises(DownloadError, match="could not be reached"):
        list_gguf_files(REPO, endpoint="http://127.0.0.1:9")
