"""The conversations' KV caches kept across switches and restarts (llama.cpp's per-sequence state)."""
