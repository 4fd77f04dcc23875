"""Bad input in the running app: each gets a message a user can act on, and the app keeps running."""

from __future__ import annotations

import json
import shutil

import pytest

from app.engine.config import LoadConfig, resolve
from app.engine.errors import KvConfigError
from app.engine.gguf.info import read_model_info
from app.engine.kvtypes import CACHE_TYPES
from app.engine.llm import ChatEngine
from app.engine.memory import MIB
from tests import model_files
from tests.ui.conftest import send, until

BAD_FILES = {
    "missing": (lambda m, d: d / "gone.gguf", "does not exist"),
    "directory": (lambda m, d: (d / "folder.gguf").mkdir() or d / "folder.gguf", "folder, not a model"),
    "empty": (lambda m, d: model_files.empty(d / "empty.gguf"), "empty"),
    "random-bytes": (lambda m, d: model_files.random_bytes(d / "noise.gguf"), "not a GGUF model"),
    "wrong-magic": (lambda m, d: model_files.wrong_magic_copy(m, d / "magic.gguf"), "not a GGUF model"),
    "truncated": (lambda m, d: model_files.truncated_copy(m, d / "half.gguf"), "truncated"),
    "cut-in-header": (lambda m, d: model_files.header_cut_copy(m, d / "cut.gguf"), "truncated"),
    "vocab-only": (lambda m, d: model_files.vocab_only(d / "vocab.gguf"), "only a vocabulary"),
    "unknown-architecture": (lambda m, d: model_files.unknown_architecture(d / "alien.gguf"),
                             "unknown model architecture"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_model_file(window, loop, qtbot, starter_model, tmp_path, kind):
    make, says = BAD_FILES[kind]
    good = window.host.report
    window.conversation_settings.max_tokens.setValue(8)
    window.conversation_settings.flush()
    window.open_model(str(make(starter_model, tmp_path)))
    loop.run_until_complete(until(lambda: window.banner.isVisible() and not window.kv_panel.busy, what="the error"))
    assert says in window.banner.label.text()
    assert window.host.report.config == good.config  # the model that was loaded stays usable
    send(loop, qtbot, window, "Say hi.")
    assert window.chat_view.messages[-1].role == "assistant" and window.chat_view.messages[-1].text.strip()


def test_a_model_in_a_folder_with_spaces_and_chinese_characters(window, loop, starter_model, tmp_path):
    folder = tmp_path / "我的 模型 (2025)"
    folder.mkdir()
    path = folder / "小 模型.gguf"
    shutil.copyfile(starter_model, path)
    window.open_model(str(path))
    loop.run_until_complete(until(lambda: window.host.report is not None and not window.kv_panel.busy
                                  and window.host.report.model.path == str(path), what="the model to load"))
    assert window.host.report.kv_exact


def test_a_hand_edited_settings_file_falls_back_to_defaults_and_says_so(windows):
    windows.settings_path.parent.mkdir(parents=True, exist_ok=True)
    windows.settings_path.write_text('{"last_model": 42, "models": {"x": {"n_ctx": "lots"}}')
    window = windows.new()
    assert "defaults are used" in window.banner.label.text()
    kept = [p for p in windows.settings_path.parent.iterdir() if p.name.startswith("settings.broken-")]
    assert len(kept) == 1
    assert window.host.report is not None
    assert json.loads(windows.settings_path.read_text())["last_model"] == window.host.report.model.path


def test_the_context_field_cannot_hold_zero_or_less(window):
    window.kv_panel.ctx_length.spin.setValue(0)
    assert window.kv_panel.ctx_length.spin.value() >= 1
    window.kv_panel.ctx_length.spin.setValue(-4096)
    assert window.kv_panel.ctx_length.spin.value() >= 1


@pytest.fixture(scope="module")
def engine(starter_model):
    engine = ChatEngine()
    yield engine
    engine.unload()


@pytest.mark.parametrize("flash_attn", ["auto", "on", "off"])
def test_every_pair_with_every_flash_attention_setting(engine, starter_model, flash_attn):
    """All 243 combinations: refused with the reason, or loaded with the exact bytes. None crashes."""
    info = read_model_info(starter_model)
    loaded = refused = 0
    for k in CACHE_TYPES:
        for v in CACHE_TYPES:
            config = LoadConfig(str(starter_model), n_ctx=256, type_k=k.name, type_v=v.name, flash_attn=flash_attn)
            try:
                resolved = resolve(config, info, 16 * 1024 * MIB)
            except KvConfigError as exc:
                assert flash_attn == "off" and v.quantized and "needs flash attention" in str(exc)
                refused += 1
                continue
            report = engine.load(resolved)
            assert report.kv == resolved.estimate.kv and report.flash_attn == resolved.flash_attn
            loaded += 1
    assert (loaded, refused) == ((27, 54) if flash_attn == "off" else (81, 0))

