"""KV Chat: a desktop chat app for local GGUF models with a visible, exact KV-cache choice."""

__version__ = "0.1.0"
