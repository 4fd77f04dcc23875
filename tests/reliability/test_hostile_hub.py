"""A hostile or broken hub: names that are paths, a redirect to another host, more bytes than
declared, a resume answered with the wrong part, a file that is not a model, a repository name
that is not one. Real loopback servers (tests/fake_hub.py), real files on disk.

What must hold: nothing is written outside the models folder, the token reaches only the hub's
own address, what is kept is exactly the file the hub declared, and every refusal is a
DownloadError that says what happened."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.core.model_download import DownloadCancelled, DownloadError, download_gguf, list_gguf_files
from app.core.model_library import own_models_dir
from tests import model_files
from tests.fake_hub import FROM_ZERO, NO_CONTENT_RANGE, FakeHub
from tests.hostile_gguf import llama_fields, write_gguf
from tests.reliability.models_window_fixture import models_window  # noqa: F401

REPO = "kvchat-tests/hostile-hub"
NAME = "small.F32.gguf"
TOKEN = "hf_secret_token_for_the_hub_only"


@pytest.fixture(autouse=True)
def offline_hub_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture
def model_file(tmp_path) -> Path:
    """A small, readable GGUF of 1 MiB and a bit: 17 chunks of 64 KiB on the wire."""
    (tmp_path / "source").mkdir(exist_ok=True)
    return write_gguf(tmp_path / "source" / NAME, llama_fields(), tensors=(("token_embd.weight", (64, 4096)),))


@pytest.fixture
def models(tmp_path) -> Path:
    """The models folder, deep enough that a name climbing three or four levels stays inside tmp_path."""
    return tmp_path / "a" / "b" / "c" / "models"


def download(hub: FakeHub, name: str, models: Path, on_progress=lambda done, total: None, cancel=None, **kw):
    return download_gguf(REPO, name, models, on_progress, cancel or threading.Event(), endpoint=hub.endpoint, **kw)


def written_files(root: Path, *keep: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p not in keep and "source" not in p.parts
                  and "hf-home" not in p.parts)


# -- names from a hub are never paths ---------------------------------------------------------------------

HOSTILE_NAMES = ["../../../escaped.gguf", "sub/../../../../escaped.gguf", "ABSOLUTE/abs/escaped.gguf",
                 "..\\..\\..\\escaped.gguf", "C:escaped.gguf", "sub//escaped.gguf", "./escaped.gguf"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_file_name_that_is_a_path_is_refused_and_nothing_is_written(name, model_file, models, tmp_path):
    name = name.replace("ABSOLUTE", str(tmp_path))
    with FakeHub(REPO, {name: model_file}) as hub:
        hub.fallback = model_file  # a hostile hub answers any path with the file
        with pytest.raises(DownloadError, match="not a plain file name"):
            download(hub, name, models)
        asked = [path for _method, path, _headers in hub.requests]
    assert written_files(tmp_path) == []
    assert asked == []  # refused before anything was asked for


def test_the_listing_leaves_out_names_that_are_paths(model_file, models, tmp_path):
    names = [NAME, "Q8_0/in-a-folder.gguf", *(n.replace("ABSOLUTE", str(tmp_path)) for n in HOSTILE_NAMES)]
    with FakeHub(REPO, {n: model_file for n in names}) as hub:
        listing = list_gguf_files(REPO, endpoint=hub.endpoint)
        assert [f.name for f in listing.files] == [NAME, "Q8_0/in-a-folder.gguf"]
        assert sorted(listing.refused) == sorted(names[2:])
        path = download(hub, "Q8_0/in-a-folder.gguf", models)  # a folder inside the repository is fine
    assert path == models / REPO.replace("/", "__") / "Q8_0" / "in-a-folder.gguf"
    assert path.read_bytes() == model_file.read_bytes()


def test_a_link_inside_the_models_folder_that_leads_out_is_not_followed(model_file, models, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    models.mkdir(parents=True)
    (models / REPO.replace("/", "__")).symlink_to(outside, target_is_directory=True)
    with FakeHub(REPO, {NAME: model_file}) as hub:
        with pytest.raises(DownloadError, match="outside the models folder"):
            download(hub, NAME, models)
    assert list(outside.iterdir()) == []


# -- the token goes only to the hub's own address ----------------------------------------------------------

def test_the_token_is_not_sent_to_the_host_the_hub_redirects_to(model_file, models):
    with FakeHub(REPO, {NAME: model_file}) as cdn, FakeHub(REPO, {NAME: model_file}) as hub:
        hub.redirect_to = cdn.endpoint  # as huggingface.co sends LFS files to its CDN
        path = download(hub, NAME, models, token=TOKEN)
        assert hub.authorizations() and set(hub.authorizations()) == {f"Bearer {TOKEN}"}
        assert cdn.requests and cdn.authorizations() == []
    assert path.read_bytes() == model_file.read_bytes()


def test_a_token_saved_for_huggingface_co_is_not_sent_to_another_hub(model_file, models, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)  # as `hf auth login` leaves it, for huggingface.co
    with FakeHub(REPO, {NAME: model_file}) as hub:
        list_gguf_files(REPO, endpoint=hub.endpoint)
        download(hub, NAME, models)
        assert hub.requests and hub.authorizations() == []


# -- what is kept is exactly the file declared -------------------------------------------------------------

@pytest.mark.parametrize("publish_sha256", [False, True])
def test_more_bytes_than_declared_stop_the_download_and_are_not_kept(publish_sha256, model_file, models, tmp_path):
    declared = model_file.stat().st_size
    progress = []
    with FakeHub(REPO, {NAME: model_file}) as hub:
        hub.publish_sha256 = publish_sha256
        hub.extra_bytes = 50 << 20  # 50 MiB after a file of 1 MiB
        with pytest.raises(DownloadError, match="more than the"):
            download(hub, NAME, models, on_progress=lambda done, total: progress.append((done, total)))
    assert progress and max(done for done, _ in progress) <= declared
    assert {total for _, total in progress} == {declared}
    assert written_files(tmp_path) == []  # the partial file is gone too


def test_a_transfer_that_stops_early_is_kept_to_resume_and_not_taken_as_the_model(model_file, models):
    with FakeHub(REPO, {NAME: model_file}) as hub:
        hub.publish_sha256 = False
        hub.short_by = 100_000
        with pytest.raises(DownloadError, match="stopped sending"):
            download(hub, NAME, models)
        assert not (models / REPO.replace("/", "__") / NAME).exists()
        hub.short_by = 0
        path = download(hub, NAME, models)
        assert hub.range_requests  # it asked only for the rest
    assert path.read_bytes() == model_file.read_bytes()


def cancel_after_a_third(model_file: Path, hub: FakeHub, models: Path) -> Path:
    cancel = threading.Event()

    def on_progress(done, total):
        if done > total // 3:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        download(hub, NAME, models, on_progress=on_progress, cancel=cancel)
    (part,) = models.rglob("*.part")
    assert 0 < part.stat().st_size < model_file.stat().st_size
    return part


@pytest.mark.parametrize("range_mode", [FROM_ZERO, NO_CONTENT_RANGE])
def test_a_resume_answered_from_byte_zero_gives_the_file_not_a_longer_one(range_mode, model_file, models):
    with FakeHub(REPO, {NAME: model_file}) as hub:
        hub.publish_sha256 = False  # nothing but the size and the header can catch it
        cancel_after_a_third(model_file, hub, models)
        hub.range_mode = range_mode  # 206, but the body is the whole file again
        path = download(hub, NAME, models)
        assert hub.range_requests
    assert path.read_bytes() == model_file.read_bytes()
    assert not list(models.rglob("*.part"))


def test_a_file_that_is_not_a_gguf_is_deleted_when_the_hub_gives_no_checksum(models, tmp_path):
    (tmp_path / "source").mkdir()
    noise = model_files.random_bytes(tmp_path / "source" / "noise.gguf")
    with FakeHub(REPO, {NAME: noise}) as hub:
        hub.publish_sha256 = False
        with pytest.raises(DownloadError, match="arrived damaged"):
            download(hub, NAME, models)
    assert written_files(tmp_path, noise) == []


# -- names that are not repositories ---------------------------------------------------------------------

@pytest.mark.parametrize("repo", ["..", "owner/..", "../owner", "a/b/c", "owner/re po", ""])
def test_a_repository_name_that_is_not_one_is_a_download_error(repo, model_file, models, tmp_path):
    with FakeHub(REPO, {NAME: model_file}) as hub:
        hub.fallback = model_file
        with pytest.raises(DownloadError, match="not a repository name"):
            download_gguf(repo, NAME, models, lambda done, total: None, threading.Event(), endpoint=hub.endpoint)
        with pytest.raises(DownloadError, match="not a repository name"):
            list_gguf_files(repo, endpoint=hub.endpoint)
    assert written_files(tmp_path) == []


ODD_LISTINGS = {
    "a-list": [1, 2],
    "a-string": "models",
    "no-id": {"siblings": None},
    "siblings-a-string": {"id": REPO, "siblings": "x"},
    "sibling-a-number": {"id": REPO, "siblings": [5]},
    "lfs-a-string": {"id": REPO, "siblings": [{"rfilename": NAME, "size": 1, "lfs": "x"}]},
}


@pytest.mark.parametrize("kind", list(ODD_LISTINGS))
def test_a_listing_that_describes_no_repository_is_a_download_error(kind, model_file):
    with FakeHub(REPO, {NAME: model_file}) as hub:
        hub.api_answer = ODD_LISTINGS[kind]
        with pytest.raises(DownloadError, match="not a repository's description"):
            list_gguf_files(REPO, endpoint=hub.endpoint)


def test_odd_values_in_a_listing_are_not_taken_for_names_sizes_or_checksums(model_file):
    with FakeHub(REPO, {NAME: model_file}) as hub:
        hub.api_answer = {"id": REPO, "siblings": [
            {"rfilename": 5}, {"rfilename": None}, {"rfilename": "odd.gguf", "size": "big"},
            {"rfilename": NAME, "size": -4, "lfs": {"sha256": "not hex", "size": 7, "pointerSize": 1}}]}
        listing = list_gguf_files(REPO, endpoint=hub.endpoint)
    assert [(f.name, f.size, f.sha256) for f in listing.files] == [("odd.gguf", 0, None), (NAME, 7, None)]


# -- the same, in the models window ------------------------------------------------------------------------

def test_the_models_window_offers_only_plain_names_and_says_what_it_left_out(models_window, loop, model_file,
                                                                             tmp_path):
    names = [NAME, "../../../escaped.gguf", f"{tmp_path}/abs/escaped.gguf"]
    with FakeHub(REPO, {n: model_file for n in names}) as hub:
        models_window.endpoint_field.setText(hub.endpoint)
        models_window.repo_field.setText(REPO)
        files = loop.run_until_complete(models_window.list_files())
        assert [f.name for f in files] == [NAME]
        combo = models_window.file_combo
        assert [combo.itemData(i) for i in range(combo.count())] == [NAME]
        status = models_window.download_status.text()
        assert "Left out" in status and "../../../escaped.gguf" in status
        path = loop.run_until_complete(models_window.download(REPO, NAME))
    assert path == own_models_dir() / REPO.replace("/", "__") / NAME
    assert written_files(tmp_path, path, model_file) == []


def test_the_models_window_says_why_a_download_was_refused_and_the_next_one_works(models_window, loop, model_file,
                                                                                 tmp_path):
    with FakeHub(REPO, {NAME: model_file}) as hub:
        models_window.endpoint_field.setText(hub.endpoint)
        models_window.repo_field.setText(REPO)
        loop.run_until_complete(models_window.list_files())
        hub.extra_bytes = 50 << 20
        assert loop.run_until_complete(models_window.download(REPO, NAME)) is None
        assert "more than the" in models_window.download_status.text()
        assert models_window.download_button.text() == "Download" and models_window.repo_field.isEnabled()
        hub.extra_bytes = 0
        path = loop.run_until_complete(models_window.download(REPO, NAME))
    assert path is not None and path.read_bytes() == model_file.read_bytes()
    assert "Downloaded and checked" in models_window.download_status.text()
