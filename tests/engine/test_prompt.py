"""Turning a conversation into the tokens a model reads: its own chat template, or a clear refusal.

The model's metadata is read from the real test models' GGUF headers; the tokenizer is a stand-in
that records what it is asked to tokenize, so no model is loaded."""

import dataclasses

import pytest

from app.engine.errors import NoChatTemplateError
from app.engine.gguf.info import read_model_info
from app.engine.prompt import PromptBuilder
from app.engine.records import ChatMessage

BOS, EOS = 1, 2


class RecordingTokenizer:
    """Stands in for llama_cpp.Llama: one token per byte, and the text of its BOS and EOS tokens."""

    def __init__(self, bos: int = BOS, eos: int = EOS, bos_text: str = "<s>", eos_text: str = "</s>"):
        self.bos, self.eos = bos, eos
        self.special = {bos: bos_text.encode(), eos: eos_text.encode()}
        self.tokenized: list[tuple[str, bool, bool]] = []

    def token_bos(self) -> int:
        return self.bos

    def token_eos(self) -> int:
        return self.eos

    def detokenize(self, tokens, special=False) -> bytes:
        assert special, "special tokens are read as text"
        return b"".join(self.special[t] for t in tokens)

    def tokenize(self, text: bytes, add_bos=True, special=False) -> list[int]:
        self.tokenized.append((text.decode("utf-8"), add_bos, special))
        return ([self.bos] if add_bos else []) + list(text)


@pytest.fixture(scope="module")
def smollm2(starter_model):
    return read_model_info(starter_model)


@pytest.fixture(scope="module")
def gemma3(gemma_model):
    return read_model_info(gemma_model)


def with_template(model, template):
    return dataclasses.replace(model, chat_template=template)


def test_a_conversation_is_formatted_by_the_models_own_template(smollm2):
    tokenizer = RecordingTokenizer()
    builder = PromptBuilder(tokenizer, smollm2)
    assert builder.has_chat_template and builder.template_problem == ""
    tokens = builder.chat_tokens([ChatMessage("system", "Be brief."), ChatMessage("user", "Hi")])
    text = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    # The template writes any BOS itself, and its special tokens are read as such.
    assert tokenizer.tokenized == [(text, False, True)]
    assert tokens == list(text.encode())


def test_the_templates_own_default_system_prompt_is_kept(smollm2):
    tokenizer = RecordingTokenizer()
    PromptBuilder(tokenizer, smollm2).chat_tokens([ChatMessage("user", "Hi")])
    (text, _, _), = tokenizer.tokenized
    assert text.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert text.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")


def test_bos_and_eos_reach_the_template_as_the_models_own_text(smollm2):
    model = with_template(smollm2, "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{{ eos_token }}{% endfor %}")
    tokenizer = RecordingTokenizer(bos_text="<|begin|>", eos_text="<|end|>")
    PromptBuilder(tokenizer, model).chat_tokens([ChatMessage("user", "a"), ChatMessage("assistant", "b")])
    assert tokenizer.tokenized[0][0] == "<|begin|>a<|end|>b<|end|>"


def test_a_model_without_bos_gives_the_template_an_empty_one(smollm2):
    model = with_template(smollm2, "[{{ bos_token }}]{{ messages[0]['content'] }}")
    tokenizer = RecordingTokenizer(bos=-1)
    PromptBuilder(tokenizer, model).chat_tokens([ChatMessage("user", "x")])
    assert tokenizer.tokenized[0][0] == "[]x"


def test_a_base_model_without_a_template_is_refused_with_what_to_do(gemma3):
    builder = PromptBuilder(RecordingTokenizer(), gemma3)
    assert not builder.has_chat_template and builder.template_problem == ""
    with pytest.raises(NoChatTemplateError) as caught:
        builder.chat_tokens([ChatMessage("user", "Hi")])
    message = str(caught.value)
    assert message.startswith("gemma-3-270m-q4_k_m carries no chat template")
    assert "Use plain completion" in message


def test_plain_completion_adds_bos_and_reads_no_special_tokens(gemma3):
    tokenizer = RecordingTokenizer()
    tokens = PromptBuilder(tokenizer, gemma3).completion_tokens("Once upon a time <|im_end|>")
    assert tokenizer.tokenized == [("Once upon a time <|im_end|>", True, False)]
    assert tokens == [BOS, *b"Once upon a time <|im_end|>"]


def test_a_template_that_cannot_be_read_is_named_at_load_and_refused_at_use(smollm2):
    builder = PromptBuilder(RecordingTokenizer(), with_template(smollm2, "{% for m in messages %}{{ m }"))
    assert not builder.has_chat_template
    assert builder.template_problem.startswith("its chat template cannot be read (")
    with pytest.raises(NoChatTemplateError) as caught:
        builder.chat_tokens([ChatMessage("user", "Hi")])
    assert str(caught.value).startswith("SmolLM2-135M-Instruct.Q4_1 cannot format a conversation: its chat template")


def test_a_template_that_rejects_the_conversation_says_so(smollm2):
    template = "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation must start with user') }}" \
               "{% endif %}{{ messages[0]['content'] }}"
    builder = PromptBuilder(RecordingTokenizer(), with_template(smollm2, template))
    assert builder.chat_tokens([ChatMessage("user", "ok")]) == list(b"ok")
    with pytest.raises(NoChatTemplateError, match="rejected this conversation: .*Conversation must start with user"):
        builder.chat_tokens([ChatMessage("system", "s"), ChatMessage("user", "ok")])


def test_a_template_that_renders_nothing_is_refused(smollm2):
    builder = PromptBuilder(RecordingTokenizer(), with_template(smollm2, "{% for m in messages %}  {% endfor %}"))
    with pytest.raises(NoChatTemplateError, match="empty prompt"):
        builder.chat_tokens([ChatMessage("user", "Hi")])


def test_a_long_template_error_is_shortened(smollm2):
    template = "{{ raise_exception('" + "x" * 1000 + "') }}"
    builder = PromptBuilder(RecordingTokenizer(), with_template(smollm2, template))
    with pytest.raises(NoChatTemplateError) as caught:
        builder.chat_tokens([ChatMessage("user", "Hi")])
    error = str(caught.value).split("rejected this conversation: ", 1)[1]
    assert len(error) == 300 and error.endswith("...")
