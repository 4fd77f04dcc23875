"""Turns a conversation into the exact tokens the model was trained to read.

The model's own chat template (from its GGUF) is the only format used. Without one,
llama-cpp-python silently falls back to a Llama-2 format that other models do not
understand; here a missing template is an error, and plain completion is offered instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import jinja2
from llama_cpp import Llama

from app.engine.chat_template import ChatTemplate, TemplateLimitError
from app.engine.errors import NoChatTemplateError
from app.engine.gguf.info import ModelInfo
from app.engine.records import ChatMessage
from app.i18n import translate


class PromptBuilder:
    def __init__(self, llm: Llama, model: ModelInfo):
        self._llm = llm
        self._model = model
        self._template: ChatTemplate | None = None
        self.template_problem = ""  # why the model's template cannot be used ("" when it can, or it has none)
        if model.chat_template:
            try:
                self._template = ChatTemplate(model.chat_template, bos_token=self._token_text(llm.token_bos()),
                                              eos_token=self._token_text(llm.token_eos()))
            except (jinja2.TemplateError, TemplateLimitError, RecursionError, MemoryError) as exc:
                self.template_problem = translate(
                    "PromptBuilder", "its chat template cannot be read ({error})").format(error=_short(exc))

    @property
    def has_chat_template(self) -> bool:
        return self._template is not None

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    def chat_tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        if self.template_problem:
            raise NoChatTemplateError(translate(
                "PromptBuilder", "{model} cannot format a conversation: {problem}. Use plain completion, or a "
                "copy of the model with a working template.").format(
                model=self._model.display_name, problem=self.template_problem))
        if self._template is None:
            raise NoChatTemplateError(translate(
                "PromptBuilder",
                "{model} carries no chat template, so there is no faithful way to "
                "format a conversation for it (it is probably a base model). Use plain completion, "
                "or load an instruction-tuned (-it / -instruct) version of the model.",
            ).format(model=self._model.display_name))
        try:
            rendered = self._template.render([m.as_dict() for m in messages])
        except Exception as exc:  # a template may raise on messages it does not accept, or exceed a bound
            raise NoChatTemplateError(translate(
                "PromptBuilder", "The model's chat template rejected this conversation: {error}").format(
                error=_short(exc))) from None
        if not rendered.strip():
            raise NoChatTemplateError(translate(
                "PromptBuilder", "The model's chat template turned this conversation into an empty prompt, so there "
                "is nothing for the model to answer. Use plain completion, or a copy of the model with a working "
                "template."))
        # The template writes any BOS token itself, so none is added here.
        return self._llm.tokenize(rendered.encode("utf-8", errors="replace"), add_bos=False, special=True)

    def completion_tokens(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
