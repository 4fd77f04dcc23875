"""The CPU thread counts are the computer's settings, kept for every model: saved with a load,
read back, given to each model's load config, refused as a whole when a hand-edited file is wrong."""

from __future__ import annotations

import json

import pytest

from app.core.settings import Settings, load_settings, save_settings
from app.engine.config import LoadConfig


def test_the_thread_counts_of_a_load_are_remembered_for_every_model(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.remember_load(LoadConfig("/models/a.gguf", n_ctx=2048, n_threads=3, n_threads_batch=2))
    save_settings(settings, path)
    loaded = load_settings(path)
    assert (loaded.n_threads, loaded.n_threads_batch) == (3, 2) and loaded.recovered_from is None
    a, b = loaded.load_config("/models/a.gguf"), loaded.load_config("/models/b.gguf")
    assert (a.n_ctx, a.n_threads, a.n_threads_batch) == (2048, 3, 2)
    assert (b.n_threads, b.n_threads_batch) == (3, 2)  # a model never loaded gets them too


def test_auto_is_stored_as_zero_and_comes_back_as_none(tmp_path):
    settings = Settings()
    settings.remember_load(LoadConfig("/models/a.gguf"))
    assert (settings.n_threads, settings.n_threads_batch) == (0, 0)
    config = settings.load_config("/models/a.gguf")
    assert (config.n_threads, config.n_threads_batch) == (None, None)


@pytest.mark.parametrize("content", [{"n_threads": -1}, {"n_threads": "4"}, {"n_threads_batch": True},
                                     {"n_threads_batch": 100_000}])
def test_an_impossible_thread_count_is_refused_and_the_file_kept_aside(tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(content))
    loaded = load_settings(path)
    assert loaded.recovered_from is not None and "threads" in loaded.recovered_from
    assert (loaded.n_threads, loaded.n_threads_batch) == (0, 0)
