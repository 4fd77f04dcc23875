"""Turns a conversation into the exact tokens the model was trained to read.

The model's own chat template (from its GGUF) is the only format used. Without one,
llama-cpp-python silently falls back to a Llama-2 format that other models do not
understand; here a missing template is an error, and plain completion is offered instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from app.engine.errors import NoChatTemplateError
from app.engine.gguf_info import ModelInfo
from app.engine.i18n import translate
from app.engine.records import ChatMessage


class PromptBuilder:
    def __init__(self, llm: Llama, model: ModelInfo):
        self._llm = llm
        self._model = model
        self._formatter = None
        if model.chat_template:
            self._formatter = Jinja2ChatFormatter(
                template=model.chat_template,
                eos_token=self._token_text(llm.token_eos()),
                bos_token=self._token_text(llm.token_bos()),
            )

    @property
    def has_chat_template(self) -> bool:
        return self._formatter is not None

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def chat_tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        if self._formatter is None:
            raise NoChatTemplateError(translate(
                "PromptBuilder",
                "{model} carries no chat template, so there is no faithful way to "
                "format a conversation for it (it is probably a base model). Use plain completion, "
                "or load an instruction-tuned (-it / -instruct) version of the model.",
            ).format(model=self._model.display_name))
        try:
            rendered = self._formatter(messages=[m.as_dict() for m in messages])
        except Exception as exc:  # a template may raise on messages it does not accept
            raise NoChatTemplateError(translate(
                "PromptBuilder", "The model's chat template rejected this conversation: {error}").format(
                error=exc)) from exc
        # The template writes any BOS token itself, so none is added here.
        return self._llm.tokenize(rendered.prompt.encode("utf-8"), add_bos=False, special=True)

    def completion_tokens(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
