"""Which architectures' graph builders abort on K/V head-size and RoPE-size mismatches.

llama.cpp builds each architecture's graph when a context is created, and most builders begin
with `GGML_ASSERT(n_embd_head == hparams.n_embd_head_k())` (K and V heads the same size) and
`GGML_ASSERT(n_embd_head == n_rot)` (RoPE over the whole head). A header that breaks either
aborts the process. app/engine/gguf/limits.py refuses such headers for the architectures
listed there; this script lists them from a llama.cpp source tree (the one vendored by the
pinned llama-cpp-python: `pip download llama-cpp-python==<version> --no-binary :all:`).

    python scripts/llama_header_asserts.py path/to/llama.cpp
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ASSERTS = {
    "SAME_KV_HEAD_SIZE": "GGML_ASSERT(n_embd_head == hparams.n_embd_head_k());",
    "ROPE_OVER_WHOLE_HEAD": "GGML_ASSERT(n_embd_head == n_rot);",
}


def main(root: Path) -> None:
    src = root / "src"
    arch_names = dict(re.findall(r"\{\s*(LLM_ARCH_\w+),\s*\"([^\"]+)\"\s*\}", (src / "llama-arch.cpp").read_text()))
    # case LLM_ARCH_X: [case LLM_ARCH_Y: ...] return new llama_model_<file>(params);
    factory = (src / "llama-model.cpp").read_text()
    archs_of_class: dict[str, list[str]] = {}
    for cases, cls in re.findall(r"((?:case\s+LLM_ARCH_\w+:\s*)+)return new (llama_model_\w+)\(", factory):
        archs_of_class.setdefault(cls, []).extend(re.findall(r"LLM_ARCH_\w+", cases))
    for name, needle in ASSERTS.items():
        archs = set()
        for path in sorted((src / "models").glob("*.cpp")):
            text = path.read_text()
            if needle not in text:
                continue
            # the architecture classes whose graph this file builds (other classes are only referred to)
            for cls in set(re.findall(r"(llama_model_\w+)::build_arch_graph\(", text)):
                archs.update(arch_names[a] for a in archs_of_class.get(cls, ()) if a in arch_names)
        print(f"{name} = frozenset({{")
        names = sorted(archs)
        for i in range(0, len(names), 6):
            print("    " + " ".join(f'"{n}",' for n in names[i:i + 6]))
        print("})")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
