"""A model's chat template, compiled and rendered with bounded memory and work.

The template is Jinja2 code from the model file, written by whoever made the file. Rendering it
in Jinja2's sandbox keeps it from the file system and Python internals, but not from asking for
gigabytes (`{{ 'x' * 4000000000 }}` is folded at *compile* time by Jinja2's optimizer) or from
looping for hours. Here the optimizer is off, the operators and calls that can build large
values are checked before they run, and a render may take only so many steps: a template over
any bound raises TemplateLimitError instead of taking the process's memory or the engine thread.

The render matches llama-cpp-python's Jinja2ChatFormatter (the same variables, extensions and
`tojson`), so a prompt reads exactly as it would through llama-cpp-python.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import re
import sys
from collections.abc import Sequence
from datetime import datetime

import jinja2
import jinja2.ext
import llama_cpp.llama_chat_format as llama_chat_format
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from app.i18n import translate

MAX_VALUE_CHARS = 64 << 20  # the longest text or list one operation may build
MAX_PROMPT_CHARS = 256 << 20  # the longest prompt a render may write (far past any context)
MAX_INT_ARGUMENT = 1 << 20  # a width, count or repeat larger than this is not formatting
MAX_POWER_BITS = 1 << 16
RENDER_STEPS_BASE = 1_000_000  # Python lines a render may run, plus ...
RENDER_STEPS_PER_MESSAGE = 500  # ... this many for each message it formats


class TemplateLimitError(Exception):
    """The template asked for more memory or work than any chat format needs."""


def _too_large(size: int) -> TemplateLimitError:
    return TemplateLimitError(translate(
        "ChatTemplate", "it tried to build a value of {size:,} items (at most {limit:,} are allowed)").format(
        size=size, limit=MAX_VALUE_CHARS))


def _size(value) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


_WIDE_FIELD = re.compile(r"\d{8,}")  # a field width of 10**7 or more, as in '%0999999999d' or '{:>99999999}'


def _check_format_string(text: str) -> None:
    match = _WIDE_FIELD.search(text)
    if match:
        raise TemplateLimitError(translate(
            "ChatTemplate", "it formats a field {width} characters wide").format(width=match.group()))


def _check_join(separator: str, parts) -> None:
    if isinstance(parts, (list, tuple)):
        total = sum(len(p) for p in parts if isinstance(p, str)) + len(separator) * max(len(parts) - 1, 0)
        if total > MAX_VALUE_CHARS:
            raise _too_large(total)


def _check_arguments(args, kwargs) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT_ARGUMENT:
            raise TemplateLimitError(translate(
                "ChatTemplate", "it passed {value:,} to a function (at most {limit:,} is allowed)").format(
                value=value, limit=MAX_INT_ARGUMENT))


def _bounded_filter(name: str, function):
    """`function` with its arguments checked first (widths, counts, joins, format strings)."""
    leading = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0  # a context comes first

    @functools.wraps(function)  # keeps jinja_pass_arg, which tells Jinja2 what to pass
    def bounded(*args, **kwargs):
        value, rest = (args[leading], args[leading + 1:]) if len(args) > leading else (None, ())
        _check_arguments(rest, kwargs)
        if name == "format" and isinstance(value, str):
            _check_format_string(value)
        elif name == "join":
            _check_join(str(rest[0]) if rest else str(kwargs.get("d", "")), value)
        elif name == "replace" and isinstance(value, str) and len(rest) >= 2 and isinstance(rest[1], str):
            if len(value) * (len(rest[1]) + 1) > MAX_VALUE_CHARS:
                raise _too_large(len(value) * (len(rest[1]) + 1))
        return function(*args, **kwargs)

    return bounded


class _BoundedCodeGenerator(CodeGenerator):
    """Evaluates nothing while compiling, and compiles `a ~ b` to a checked join, so
    concatenation cannot double its way to gigabytes."""

    def _output_child_to_const(self, node, frame, finalize):
        # Jinja2 folds constant output (`{{ 'x'|center(4000000000) }}`) at compile time, calling
        # filters directly, past every check below, optimizer or not.
        raise nodes.Impossible()

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self):
        super().__init__(
            loader=jinja2.BaseLoader(),
            trim_blocks=True,
            lstrip_blocks=True,
            optimized=False,  # the optimizer evaluates constant expressions while compiling, unchecked
            extensions=[Jinja2ChatFormatter.IgnoreGenerationTags, jinja2.ext.loopcontrols],
        )
        self.filters["tojson"] = Jinja2ChatFormatter.tojson
        # Compiled templates call filters directly, never through call_filter: each is wrapped.
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context, op: str, left, right):
        if op == "%":
            if isinstance(left, str):
                _check_format_string(left)
                _check_arguments(right if isinstance(right, tuple) else (right,), {})
            return operator.mod(left, right)
        if op == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
                if right * abs(left).bit_length() > MAX_POWER_BITS:
                    raise _too_large(right * abs(left).bit_length())
            return operator.pow(left, right)
        if op == "*":
            for seq, count in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(count, int) and size * count > MAX_VALUE_CHARS:
                    raise _too_large(size * count)
            if isinstance(left, int) and isinstance(right, int):
                if abs(left).bit_length() + abs(right).bit_length() > MAX_POWER_BITS:
                    raise _too_large(abs(left).bit_length() + abs(right).bit_length())
            return operator.mul(left, right)
        size_left, size_right = _size(left), _size(right)
        if size_left is not None and size_right is not None and size_left + size_right > MAX_VALUE_CHARS:
            raise _too_large(size_left + size_right)
        return operator.add(left, right)

    def bounded_join(self, parts) -> str:
        parts = [str(p) for p in parts]
        total = sum(map(len, parts))
        if total > MAX_VALUE_CHARS:
            raise _too_large(total)
        return "".join(parts)

    def call(self, context, obj, *args, **kwargs):
        # `'x'.center(10**9)`, `'x'.ljust(...)`, `range(...)`: every call's numbers are checked
        _check_arguments(args, kwargs)
        owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
        if isinstance(owner, str) and name == "join" and args:
            _check_join(owner, args[0])
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value):
        # `'{:>999999999}'.format(1)`: the sandbox hands out its own str.format, checked here first
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            _check_format_string(owner)
        return super().wrap_str_format(value)


class _StepBudget:
    """Counts the Python lines a render runs on this thread and stops it past the budget."""

    def __init__(self, steps: int):
        self.left = steps

    def _global(self, frame, event, arg):
        return self._line

    def _line(self, frame, event, arg):
        if event == "line":
            self.left -= 1
            if self.left < 0:
                raise TemplateLimitError(translate(
                    "ChatTemplate", "it runs too long to be a chat format (more steps than any conversation needs)"))
        return self._line

    def __enter__(self):
        self._previous = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._previous)
        return False


def _raise_exception(message: str):
    raise ValueError(message)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


class ChatTemplate:
    """Compile once (raising jinja2.TemplateError for a broken template), render many times."""

    def __init__(self, source: str, bos_token: str, eos_token: str):
        self._template = BoundedEnvironment().from_string(source)
        self._bos_token = bos_token
        self._eos_token = eos_token

    def render(self, messages: Sequence[dict]) -> str:
        """The prompt for these messages, ready for the model to answer. Raises TemplateLimitError,
        and whatever the template itself raises (raise_exception, undefined names, ...)."""
        steps = RENDER_STEPS_BASE + RENDER_STEPS_PER_MESSAGE * len(messages)
        parts, written = [], 0
        with _StepBudget(steps):
            for part in self._template.generate(
                messages=list(messages),
                eos_token=self._eos_token,
                bos_token=self._bos_token,
                raise_exception=_raise_exception,
                add_generation_prompt=True,
                functions=None,
                function_call=None,
                tools=None,
                tool_choice=None,
                strftime_now=_strftime_now,
            ):
                written += len(part)
                if written > MAX_PROMPT_CHARS:
                    raise TemplateLimitError(translate(
                        "ChatTemplate", "it wrote more than {limit:,} characters").format(limit=MAX_PROMPT_CHARS))
                parts.append(part)
        return "".join(parts)


class _UncompiledTemplate:
    """Stands in for llama-cpp-python's Jinja2ChatFormatter while a Llama is created (see
    templates_left_uncompiled).

    Llama() compiles every chat template in the file with Jinja2's constant folding: a broken
    template raises after the model is built, and `{{ 'x' * 4000000000 }}` asks for gigabytes.
    The engine never uses the wrapper's chat handlers (PromptBuilder compiles the template itself,
    with bounds), so during construction they are left uncompiled.
    """

    def __init__(self, template: str, **_ignored):
        self.template = template

    def to_chat_handler(self):
        def handler(*_args, **_kwargs):
            raise RuntimeError("chat completion through llama-cpp-python is not used by this app")

        return handler


@contextlib.contextmanager
def templates_left_uncompiled():
    """Create a Llama inside this block: it then compiles none of the file's chat templates.

    Not thread-safe by itself: only the engine thread creates a Llama."""
    compiled = llama_chat_format.Jinja2ChatFormatter
    llama_chat_format.Jinja2ChatFormatter = _UncompiledTemplate
    try:
        yield
    finally:
        llama_chat_format.Jinja2ChatFormatter = compiled
