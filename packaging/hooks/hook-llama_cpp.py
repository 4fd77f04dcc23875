# llama_cpp loads libllama and the ggml libraries with ctypes from llama_cpp/lib/, so
# PyInstaller's import analysis never sees them: collect them to that same place.
#
# Every library there is collected, whatever the build: the CPU backend (libggml-cpu), and the
# GPU backend the wheel was built with (libggml-vulkan, libggml-cuda, libggml-metal, ggml-*.dll
# on Windows). libggml links against each of them (GGML_BACKEND_DL is off), and PyInstaller's
# dependency analysis brings in what they link to in turn (the CUDA runtime and cuBLAS for CUDA),
# except the drivers' own libraries: libcuda, and the Vulkan loader, which packaging/kvchat.spec
# drops.
# A Metal build embeds its shaders in the library; a loose ggml-metal.metal or default.metallib
# beside it is collected as data into llama_cpp/lib as well.
import os

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, logger

binaries = collect_dynamic_libs("llama_cpp")
# The chat-format templates and package metadata the wrapper reads at run time.
datas = collect_data_files("llama_cpp", excludes=["**/*.so*", "**/*.dylib", "**/*.dll", "server/**"])
hiddenimports = ["llama_cpp.llama_chat_format", "llama_cpp.llama_tokenizer"]
excludedimports = ["llama_cpp.server", "llama_cpp.llava_cpp", "llama_cpp.mtmd_cpp"]


def _backend(path: str) -> str | None:
    """'vulkan' for libggml-vulkan.so / ggml-vulkan.dll / libggml-vulkan.dylib; None for the rest."""
    name = os.path.basename(path).split(".")[0]
    name = name[3:] if name.startswith("lib") else name
    if name.startswith("ggml-") and name != "ggml-base":
        return name[len("ggml-"):]
    return None


logger.info("llama_cpp: bundling the ggml backends %s",
            ", ".join(sorted({b for b in map(_backend, (src for src, _ in binaries)) if b})) or "(none found)")
