# llama_cpp loads libllama and the ggml libraries with ctypes from llama_cpp/lib/, so
# PyInstaller's import analysis never sees them: collect them to that same place.
from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs

binaries = collect_dynamic_libs("llama_cpp")
# The chat-format templates and package metadata the wrapper reads at run time.
datas = collect_data_files("llama_cpp", excludes=["**/*.so*", "**/*.dylib", "**/*.dll", "server/**"])
hiddenimports = ["llama_cpp.llama_chat_format", "llama_cpp.llama_tokenizer"]
excludedimports = ["llama_cpp.server", "llama_cpp.llava_cpp", "llama_cpp.mtmd_cpp"]
