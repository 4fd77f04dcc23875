"""Hostile model files: headers llama.cpp would abort on, headers that cost a naive parser seconds
or gigabytes, chat templates that are broken, huge or empty. Each is a ModelFileError or a clear
message -- in `plan`, in `probe` (a real load, in a child process so an abort would show as one),
and in the window -- and the model that was loaded stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from app.engine.config import LoadConfig
from app.engine.errors import ModelFileError
from app.engine.gguf.header import MAX_ARRAY_DEPTH, MAX_HEADER_ENTRIES, SkippedArray, read_gguf_header
from app.engine.gguf.info import read_model_info
from app.engine.planner import plan_load
from tests.hostile_gguf import (
    ARRAY,
    FLOAT32,
    FLOAT64,
    STRING,
    UINT8,
    UINT32,
    UINT64,
    Raw,
    llama_fields,
    llama_tensors,
    nested_array,
    rewrite_fields,
    write_gguf,
)
from tests.ui.conftest import send, until

ROOT = Path(__file__).resolve().parents[2]

WIDE = {"embedding_length": (UINT32, 128)}  # 4 heads of 32: sizes every quantized type divides
# name: (header changes, tensor sizes or None, words the refusal must contain). With tensor sizes
# the file is a complete small llama model, so a real load gets past its tensors to the graph.
HOSTILE_HEADERS = {
    "block_count 600": ({"block_count": (UINT32, 600)}, None, "600 layers"),
    "block_count 100,000": ({"block_count": (UINT32, 100_000)}, None, "100,000 layers"),
    "block_count 2e9": ({"block_count": (UINT32, 2_000_000_000)}, None, "2,000,000,000 layers"),
    "block_count 2**63": ({"block_count": (UINT64, 2**63)}, None, "layers"),
    "block_count 'two'": ({"block_count": (STRING, "two")}, None, "whole number"),
    "block_count NaN": ({"block_count": (FLOAT32, float("nan"))}, None, "whole number"),
    "block_count inf": ({"block_count": (FLOAT64, float("inf"))}, None, "whole number"),
    "more KV heads than heads": ({"attention.head_count_kv": (UINT32, 8)}, dict(n_head_kv=8),
                                 "8 KV heads for 4 attention heads"),
    "heads not a multiple of KV heads": ({**WIDE, "attention.head_count_kv": (UINT32, 3)},
                                         dict(n_embd=128, head_k=32, head_v=32, n_head_kv=3), "whole multiple"),
    "head_count_kv strings": ({"attention.head_count_kv": (ARRAY, (STRING, ["a", "b"]))}, None, "whole number"),
    "K and V heads of different sizes": ({**WIDE, "attention.key_length": (UINT32, 32),
                                          "attention.value_length": (UINT32, 64)},
                                         dict(n_embd=128, head_k=32, head_v=64), "needs them equal"),
    "RoPE over part of the head": ({"general.architecture": (STRING, "qwen2"), **WIDE,
                                    "rope.dimension_count": (UINT32, 16)},
                                   dict(n_embd=128, head_k=32, head_v=32), "rotates 16"),
    "nested arrays 500 deep": ({"general.odd": (ARRAY, nested_array(500))}, None, f"more than {MAX_ARRAY_DEPTH} deep"),
    "nested arrays 5000 deep": ({"general.odd": (ARRAY, nested_array(5000))}, None,
                                f"more than {MAX_ARRAY_DEPTH} deep"),
    "long array of an unknown type": ({"general.odd": (ARRAY, Raw((99).to_bytes(4, "little")
                                                                  + (10**6).to_bytes(8, "little")))},
                                      None, "unknown value type 99"),
    "more experts used than exist": ({"expert_count": (UINT32, 8), "expert_used_count": (UINT32, 9)}, None,
                                     "9 experts per token but has 8"),
    "unknown RoPE scaling": ({"rope.scaling.type": (STRING, "sideways")}, None, "RoPE scaling type 'sideways'"),
}
# Before the checks, llama.cpp stopped the process with SIGABRT on each of these (GGML_ASSERT).
ABORTED_LLAMA_CPP = ["block_count 600", "more KV heads than heads", "heads not a multiple of KV heads",
                     "K and V heads of different sizes", "RoPE over part of the head", "more experts used than exist",
                     "unknown RoPE scaling"]


def hostile_model(folder: Path, name: str) -> Path:
    changes, sizes, _ = HOSTILE_HEADERS[name]
    changes = dict(changes)
    arch = changes.pop("general.architecture", (STRING, "llama"))[1]
    path = folder / (name.replace(" ", "_").replace("'", "").replace("*", "") + ".gguf")
    if sizes is None:  # the header alone is refused; one small tensor stands for the weights
        return write_gguf(path, llama_fields(arch, **changes))
    return write_gguf(path, llama_fields(arch, **changes), tensors=llama_tensors(**sizes))


def words(name: str) -> str:
    return HOSTILE_HEADERS[name][2]


def test_a_complete_small_model_from_the_same_builder_loads(tmp_path):
    """The control: without a hostile value, the files these tests write are models llama.cpp runs."""
    path = write_gguf(tmp_path / "control.gguf", llama_fields(), tensors=llama_tensors())
    result = run_cli("probe", str(path), "--ctx", "256")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "equal to the byte" in result.stdout


@pytest.mark.parametrize("name", list(HOSTILE_HEADERS))
def test_a_hostile_header_is_a_model_file_error_in_plan(tmp_path, name):
    path = hostile_model(tmp_path, name)
    with pytest.raises(ModelFileError, match=words(name).replace("*", r"\*")):
        read_model_info(path)
    plan = plan_load(LoadConfig(str(path)))
    assert not plan.ok and isinstance(plan.error, ModelFileError)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


@pytest.mark.parametrize("name", [*ABORTED_LLAMA_CPP, "block_count 'two'", "nested arrays 5000 deep"])
@pytest.mark.parametrize("command", ["plan", "probe"])
def test_the_command_line_refuses_a_hostile_header_instead_of_aborting(tmp_path, name, command):
    """`probe` really loads the file in a child process: an abort would show as SIGABRT."""
    result = run_cli(command, str(hostile_model(tmp_path, name)), "--ctx", "256")
    assert result.returncode != -signal.SIGABRT
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert words(name) in result.stdout + result.stderr


def test_a_huge_layer_count_is_refused_before_any_per_layer_work(tmp_path):
    path = hostile_model(tmp_path, "block_count 2e9")
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError):
            read_model_info(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # per-layer tuples of 2e9 entries took 16 GB


def test_a_header_with_millions_of_entries_is_refused_at_the_bound(tmp_path):
    count = MAX_HEADER_ENTRIES + 10
    # an array of `count` empty strings: 8 bytes each, cheap to write, but each must be walked
    strings = Raw((STRING).to_bytes(4, "little") + count.to_bytes(8, "little") + bytes(8 * count))
    path = write_gguf(tmp_path / "entries.gguf", llama_fields(**{"general.many": (ARRAY, strings)}))
    with pytest.raises(ModelFileError, match="more than 4,000,000 entries"):
        read_gguf_header(path)


def test_a_4096_by_4096_nested_array_is_walked_not_kept(tmp_path):
    inner = (UINT8, [1] * 4096)
    path = write_gguf(tmp_path / "square.gguf", llama_fields(**{"general.square": (ARRAY, (ARRAY, [inner] * 4096))}))
    tracemalloc.start()
    try:
        header = read_gguf_header(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert header.fields["general.square"] == SkippedArray(ARRAY, 4096)
    assert peak < 4 << 20  # 16M Python ints took 19 s and ~1 GB
    assert read_model_info(path).n_layer == 2  # the rest of the header is read as usual


def test_a_long_text_in_a_header_is_refused_not_read(tmp_path):
    path = write_gguf(tmp_path / "long.gguf", llama_fields(**{"general.name": (STRING, "x" * (5 << 20))}))
    with pytest.raises(ModelFileError, match="a text of 5,242,880 bytes"):
        read_gguf_header(path)


def test_a_hostile_header_in_the_window_is_named_and_the_model_stays(window, loop, qtbot, tmp_path):
    good = window.host.report
    window.conversation_settings.max_tokens.setValue(8)
    window.conversation_settings.flush()
    for name in ("block_count 600", "more KV heads than heads", "block_count 'two'"):
        window.banner.clear_all()
        window.open_model(str(hostile_model(tmp_path, name)))
        loop.run_until_complete(until(lambda: window.banner.isVisible() and not window.kv_panel.busy,
                                      what="the refusal"))
        assert words(name) in window.banner.label.text()
        assert window.host.report.config == good.config
    send(loop, qtbot, window, "Say hi.")
    assert window.chat_view.messages[-1].role == "assistant" and window.chat_view.messages[-1].text.strip()


def test_a_model_with_a_broken_chat_template_loads_and_says_so(window, loop, qtbot, starter_model, tmp_path):
    """Before: the load failed inside Llama(), the previous model was lost, and the next load wedged."""
    broken = rewrite_fields(starter_model, tmp_path / "broken-template.gguf",
                            {"tokenizer.chat_template": (STRING, "{% if %}broken")})
    window.conversation_settings.max_tokens.setValue(8)
    window.conversation_settings.flush()
    window.open_model(str(broken))
    loop.run_until_complete(until(lambda: window.host.report is not None
                                  and window.host.report.model.path == str(broken)
                                  and "chat template" in window.banner.label.text(), what="the model to load"))
    text = window.banner.label.text()
    assert "chat template cannot be read" in text and "continued as plain text" in text
    send(loop, qtbot, window, "Once upon a time")
    assert window.chat_view.messages[-1].role == "assistant" and window.chat_view.messages[-1].text.strip()
    window.open_model(str(starter_model))  # and the engine is free for the next load
    loop.run_until_complete(until(lambda: window.host.report is not None and not window.kv_panel.busy
                                  and window.host.report.model.path == str(starter_model), what="the starter model"))
