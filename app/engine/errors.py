"""Typed errors the engine raises. Each message says what went wrong and what to do about it."""

from __future__ import annotations

from app.i18n import translate


class EngineError(Exception):
    """Base of every error the engine reports to a user."""


class ModelFileError(EngineError):
    """The file is missing, unreadable, or not a usable GGUF model."""


class KvConfigError(EngineError):
    """A setting llama.cpp cannot honour (or would crash on); refused before it is tried."""


class InsufficientMemoryError(KvConfigError):
    """The chosen context and cache types need more memory than is available."""

    def __init__(self, message: str, estimate=None):
        super().__init__(message)
        self.estimate = estimate


class ModelLoadError(EngineError):
    """llama.cpp refused to load the model or create its context; carries llama.cpp's own words."""

    def __init__(self, message: str, llama_log: tuple[str, ...] = ()):
        if llama_log:
            message = translate("EngineError", "{message}\nllama.cpp said:\n{log}").format(
                message=message, log="\n".join(llama_log))
        super().__init__(message)
        self.llama_log = llama_log


class NoModelLoadedError(EngineError):
    """A request that needs a model arrived while none is loaded."""


class NoChatTemplateError(EngineError):
    """The model carries no chat template, so a chat prompt cannot be formatted faithfully."""


class ContextOverflowError(EngineError):
    """The prompt does not fit in the loaded context."""


class GenerationError(EngineError):
    """llama.cpp failed while evaluating or sampling."""


class EngineClosedError(EngineError):
    """The engine thread has shut down."""
