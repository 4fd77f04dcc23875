"""`kvchat`'s arguments and `kvchat plan`, run in this process: what each option becomes, what is
refused and why, and the plan's figures (read from the GGUF header, no model loaded)."""

import json

import pytest

from app.cli.lab import parse_pairs
from app.cli.parser import build_parser, load_config
from app.engine.config import DEFAULT_N_CTX
from app.engine.memory import MIB
from app.main import main


def refused(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(list(argv))
    assert caught.value.code == 2
    return capsys.readouterr().err


def test_the_load_options_become_the_load_settings(starter_model):
    args = build_parser().parse_args(["plan", str(starter_model), "--ctx", "8192", "--type-k", "q8_0", "--type-v",
                                      "q4_0", "--gpu-layers", "12", "--kv-in-ram", "--split-mode", "none",
                                      "--main-gpu", "1", "--compact-window"])
    config = load_config(args)
    assert config.model_path == str(starter_model)
    assert (config.n_ctx, config.type_k, config.type_v) == (8192, "q8_0", "q4_0")
    assert (config.gpu_layers, config.kv_offload, config.split_mode, config.main_gpu) == (12, False, "none", 1)
    assert config.compact_window and config.flash_attn == "auto"


def test_without_a_model_the_starter_model_is_planned(starter_model):
    config = load_config(build_parser().parse_args(["plan"]))
    assert config.model_path == str(starter_model) and config.n_ctx == DEFAULT_N_CTX
    assert (config.type_k, config.type_v, config.gpu_layers, config.kv_offload) == ("f16", "f16", "auto", True)


@pytest.mark.parametrize("value", ["auto", "all", "none"])
def test_gpu_layers_by_name(value):
    assert build_parser().parse_args(["plan", "--gpu-layers", value]).gpu_layers == value


@pytest.mark.parametrize("argv,says", [
    (["plan", "--gpu-layers", "most"], "expected auto, all, none or a number, not 'most'"),
    (["plan", "--type-k", "q3_k"], "invalid choice: 'q3_k'"),
    (["probe", "--type-v", "F16"], "invalid choice: 'F16'"),
    (["plan", "--ctx", "lots"], "invalid int value: 'lots'"),
    (["plan", "--flash-attn", "maybe"], "invalid choice: 'maybe'"),
    (["plan", "--split-mode", "row"], "invalid choice: 'row'"),
    (["lab", "--tokens", "many"], "invalid int value: 'many'"),
    (["screenshot"], "the following arguments are required: out"),
    (["screenshot", "x.png", "--tab", "chat"], "invalid choice: 'chat'"),
    (["chat"], "invalid choice: 'chat'"),
])
def test_a_bad_argument_is_refused_with_exit_code_2_and_the_reason(capsys, argv, says):
    assert says in refused(capsys, *argv)


def test_lab_pairs_by_name_and_a_bad_one_refused():
    assert parse_pairs(None) == parse_pairs("presets")
    assert len(parse_pairs("all")) == 80  # every pair but the f16/f16 reference each is measured against
    assert [p.label for p in parse_pairs("q8_0/q8_0, q8_0/q4_0,")] == ["q8_0/q8_0", "q8_0/q4_0"]
    with pytest.raises(ValueError):
        parse_pairs("q8_0")


def test_plan_prints_the_exact_bytes_of_a_quantized_cache(starter_model, capsys):
    assert main(["plan", str(starter_model), "--ctx", "8192", "--type-k", "q8_0", "--type-v", "q4_0"]) == 0
    out = capsys.readouterr().out
    assert "76,677,120 B  (73.12 MiB)" in out  # K q8_0 + V q4_0 at 8192 tokens
    assert "188,743,680 B  (180.00 MiB)" in out  # what f16/f16 would take


def test_plan_marks_a_reach_past_the_trained_context(starter_model, capsys):
    assert main(["plan", str(starter_model), "--ctx", "2048"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("  q4_0 ")]
    assert rows and rows[0].endswith(" *")  # millions of tokens fit in RAM; the model knows 8,192
    assert "* past the 8,192 tokens the model was trained on" in out


def test_plan_json_for_the_starter_model_by_default(capsys):
    assert main(["plan", "--ctx", "2048", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["model"]["architecture"] == "llama"
    assert data["estimate"]["kv"]["total_bytes"] == 45 * MIB


def test_plan_refuses_a_quantized_v_without_flash_attention(starter_model, capsys):
    assert main(["plan", str(starter_model), "--type-v", "q4_0", "--flash-attn", "off", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert not data["ok"] and "needs flash attention" in data["error"]


def test_plan_of_a_file_that_is_not_a_model(tmp_path, capsys):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model at all")
    assert main(["plan", str(bad)]) == 2
    assert "not a GGUF model" in capsys.readouterr().out


def test_screenshot_messages_can_be_given_several_times():
    args = build_parser().parse_args(["screenshot", "out.png", "--message", "one", "--message", "two"])
    assert args.message == ["one", "two"]
    assert build_parser().parse_args(["screenshot", "out.png"]).message is None
