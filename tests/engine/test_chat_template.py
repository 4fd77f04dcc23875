"""The bounded chat-template renderer: the same prompt as llama-cpp-python's formatter for real
templates, and a refusal -- not gigabytes or hours -- for hostile ones."""

from __future__ import annotations

import tracemalloc

import jinja2
import pytest
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from app.engine.chat_template import ChatTemplate, TemplateLimitError
from app.engine.gguf.info import read_model_info

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi there"},
    {"role": "assistant", "content": "Hello! {{ not a template }}"},
    {"role": "user", "content": "What is 2 + 2?"},
]
# Shapes real templates use: loop controls, the generation tag, tojson, namespaces, raise_exception.
FEATURES = """{%- set ns = namespace(first=true) -%}
{%- for message in messages -%}
  {%- if message['role'] == 'system' -%}{{ bos_token }}[SYS] {{ message['content'] | tojson }}{%- continue -%}{%- endif -%}
  {%- if ns.first and message['role'] != 'user' -%}{{ raise_exception('must start with user') }}{%- endif -%}
  {%- set ns.first = false -%}
  {%- if message['role'] == 'assistant' -%}{% generation %}{{ message['content'] + eos_token }}{% endgeneration %}
  {%- else -%}<{{ message['role'] | upper }}>{{ '%-4s|' % message['content'][:3] }}{{ message['content'] | trim }}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}<ASSISTANT>{%- endif -%}"""


def llama_cpp_python_prompt(template: str) -> str:
    formatter = Jinja2ChatFormatter(template=template, eos_token="</s>", bos_token="<s>")
    return formatter(messages=MESSAGES).prompt


@pytest.mark.parametrize("which", ["starter", "features"])
def test_the_prompt_is_exactly_what_llama_cpp_python_renders(which, starter_model):
    template = read_model_info(starter_model).chat_template if which == "starter" else FEATURES
    ours = ChatTemplate(template, bos_token="<s>", eos_token="</s>").render(MESSAGES)
    assert ours == llama_cpp_python_prompt(template)
    assert "{{ not a template }}" in ours  # message text is data, never template code


def test_a_template_that_raises_says_why():
    template = ChatTemplate(FEATURES, "<s>", "</s>")
    with pytest.raises(ValueError, match="must start with user"):
        template.render(MESSAGES[2:])


def test_a_broken_template_fails_to_compile():
    with pytest.raises(jinja2.TemplateSyntaxError):
        ChatTemplate("{% if %}broken", "", "")


HOSTILE = {
    "repeat folded at compile time": "{{ 'x' * 4000000000 }}",
    "repeat at render time": "{% set n = 4000000000 %}{{ 'x' * n }}",
    "list repeat": "{{ ([1] * 4000000000)|length }}",
    "doubling by concatenation": "{% set ns = namespace(x='ab') %}{% for i in range(60) %}"
                                 "{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x }}",
    "doubling by addition": "{% set ns = namespace(x='ab') %}{% for i in range(60) %}"
                            "{% set ns.x = ns.x + ns.x %}{% endfor %}{{ ns.x }}",
    "a huge power": "{{ 2 ** 100000000 }}",
    "a wide centre filter": "{{ 'x'|center(4000000000) }}",
    "a wide centre method": "{{ 'x'.center(4000000000) }}",
    "a wide %-format": "{{ '%0999999999d' % 1 }}",
    "a wide str.format": "{{ '{:>999999999}'.format(1) }}",
    "a huge join": "{{ (['x' * 60000000] * 60)|join('') }}",
    "a huge replace": "{{ 'ab'|replace('', 'x' * 60000000) }}",
    "output written in a loop": "{% for i in range(100000) %}{{ 'x' * 60000000 }}{% endfor %}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_template_is_stopped_within_its_bounds(name):
    tracemalloc.start()
    try:
        with pytest.raises(TemplateLimitError):
            ChatTemplate(HOSTILE[name], "", "").render(MESSAGES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 700 << 20  # each of these asked for 4 GB or more (the bounds allow 64 Mi-item values)
