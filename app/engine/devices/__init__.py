"""Devices and placement: ggml's device registry, llama.cpp's layer placement, per-device estimates and measurements."""
