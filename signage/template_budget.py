"""A sandbox whose templates cannot exhaust the machine. Pure.

Jinja2's sandbox keeps a template away from Python's objects and files, but not from the processor or the memory:
``{{ 10 ** (4 * 10 ** 6) }}`` takes seconds, ``'a' * 10 ** 9`` a gigabyte, two nested loops over ``range(100000)``
ten billion steps, ``{% set x = x ~ x %}`` written fifty times an exabyte. Templates are written by comms staff
and fed by live data; a mistake, or an account in the wrong hands, must not stall the engine. So every render
runs under a ``Budget``, deterministic (the same template and data always pass or always fail):

- work: each loop step, call, operator, range item and produced item costs units, at most ``MAX_WORK`` a render;
- integers of at most ``MAX_INT_BITS`` bits from ``**`` and ``*``;
- strings and lists of at most ``MAX_SEQUENCE`` characters or items from ``*``, ``+``, ``~``, ``range`` and filters,
  checked before they are made where the size can be known (padding, ``replace``, ``join``);
- output of at most ``MAX_OUTPUT`` characters per rendered field;
- and a deadline, a safety net for what counting misses.

What a template cannot use: ``%`` and ``str.format`` formatting (a width is a size; the ``number`` and ``plural``
filters format numbers), the padding and translation methods of strings, ``lipsum``, ``namespace`` (a value
growing across loop steps), ``random`` (a template renders the same every time).
"""

from __future__ import annotations

import contextlib
import operator
import time
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["MAX_INT_BITS", "MAX_OUTPUT", "MAX_SEQUENCE", "MAX_WORK", "BudgetExceeded", "BudgetedSandbox",
           "render_budget"]

MAX_WORK = 20_000
MAX_INT_BITS = 1024
MAX_SEQUENCE = 10_000
MAX_OUTPUT = 10_000
DEADLINE_S = 0.1
# String methods a template may call: none of them makes a string much larger than the one it is called on.
SAFE_STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal", "isdigit",
    "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "replace", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines",
    "startswith", "strip", "swapcase", "title", "upper"})
REMOVED_FILTERS = ("format", "random", "center", "indent", "pprint", "xmlattr", "urlize")
REMOVED_GLOBALS = ("lipsum", "namespace", "cycler", "joiner")


class BudgetExceeded(SecurityError):
    """A template that asked for more than a render may take; the message says what."""


@dataclass(slots=True)
class Budget:
    work: int
    deadline: float


_budget: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


@contextlib.contextmanager
def render_budget(work: int = MAX_WORK, seconds: float = DEADLINE_S) -> Iterator[None]:
    """Everything rendered inside shares one budget (one message, all its fields and languages)."""
    token = _budget.set(Budget(work, time.perf_counter() + seconds))
    try:
        yield
    finally:
        _budget.reset(token)


def charge(units: int) -> None:
    budget = _budget.get()
    if budget is None:  # rendering outside ``render_budget``: a budget of its own
        budget = Budget(MAX_WORK, time.perf_counter() + DEADLINE_S)
        _budget.set(budget)
    budget.work -= units
    if budget.work < 0:
        raise BudgetExceeded(f"the template does more work than a render may ({MAX_WORK} steps)")
    if time.perf_counter() > budget.deadline:
        raise BudgetExceeded(f"the template takes longer than a render may ({DEADLINE_S:g} s)")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) else 1


def _checked_size(value: Any, what: str) -> Any:
    size = _size(value)
    if size > MAX_SEQUENCE:
        raise BudgetExceeded(f"{what} would make a value of {size} characters or items (at most {MAX_SEQUENCE})")
    charge(size)
    return value


def _int_bits(value: Any) -> int:
    return value.bit_length() if isinstance(value, int) else 0


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        charge(1)
        yield item


def _range(*args: int) -> range:
    span = range(*args)
    if len(span) > MAX_SEQUENCE:
        raise BudgetExceeded(f"range of {len(span)} items (at most {MAX_SEQUENCE})")
    charge(len(span))
    return span


def _bounded_concat(pieces: Iterable[Any]) -> str:
    """Jinja's join of a render's output, stopping as soon as it exceeds ``MAX_OUTPUT``."""
    out: list[str] = []
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > MAX_OUTPUT:
            raise BudgetExceeded(f"the template writes more than {MAX_OUTPUT} characters")
        out.append(piece)
    return "".join(out)


def _join_pieces(pieces: tuple[Any, ...]) -> str:
    """``a ~ b``: the size is known before the string is made."""
    texts = [str(p) for p in pieces]
    size = sum(map(len, texts))
    if size > MAX_SEQUENCE:
        raise BudgetExceeded(f"~ would make a text of {size} characters (at most {MAX_SEQUENCE})")
    charge(size)
    return "".join(texts)


def _replace(value: Any, old: Any, new: Any, count: Any = None) -> str:
    text, before, after = str(value), str(old), str(new)
    times = -1 if count is None else int(count)
    hits = text.count(before) if before else len(text) + 1
    if times >= 0:
        hits = min(hits, times)
    size = len(text) + hits * (len(after) - len(before))
    if size > MAX_SEQUENCE:
        raise BudgetExceeded(f"replace would make a text of {size} characters (at most {MAX_SEQUENCE})")
    charge(size)
    return text.replace(before, after, times)


def _join(items: Iterable[Any], separator: Any = "", attribute: Any = None) -> str:
    values = list(_counted(items))
    if attribute is not None:
        values = [v.get(attribute) if isinstance(v, dict) else getattr(v, str(attribute), None) for v in values]
    texts = [str(v) for v in values]
    if sum(map(len, texts)) + len(str(separator)) * max(0, len(texts) - 1) > MAX_SEQUENCE:
        raise BudgetExceeded(f"join would make more than {MAX_SEQUENCE} characters")
    return str(separator).join(texts)


def _budgeted_filter(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    """A filter whose output is counted: sized results against ``MAX_SEQUENCE``, iterators item by item."""
    @wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        charge(1)
        result = function(*args, **kwargs)
        if isinstance(result, Iterator):
            return _counted(result)
        return _checked_size(result, f"the {name} filter")

    return run


class _BudgetedCodeGenerator(CodeGenerator):
    """Loops step through a counter, and ``~`` checks the size it makes."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):  # before the filters a template uses are gathered
            loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None, lineno=loop.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_pieces((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    code_generator_class = _BudgetedCodeGenerator
    intercepted_binops = frozenset({"**", "*", "+", "%"})
    concat = staticmethod(_bounded_concat)
    join_pieces = staticmethod(_join_pieces)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in REMOVED_GLOBALS:
            self.globals.pop(name, None)
        self.globals["range"] = _range
        for name in REMOVED_FILTERS:
            self.filters.pop(name, None)
        self.filters["replace"] = _replace
        self.filters["join"] = _join
        self.filters = {name: _budgeted_filter(f, name) for name, f in self.filters.items()}
        self.filters["_counted"] = _counted

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as a plain dict rather than Jinja's ``ChainMap`` over the environment's: each render
        copies them, and copying a ``ChainMap`` took longer than the render itself. The engine never changes an
        environment's globals after making it."""
        return {**self.globals, **(d or {})}

    def add_filter(self, name: str, function: Callable[..., Any]) -> None:
        """Add a filter of the engine's own, budgeted like Jinja's."""
        self.filters[name] = _budgeted_filter(function, name)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr not in SAFE_STR_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        return _checked_size(value, "the slice") if isinstance(argument, slice) else value  # a slice is a new value

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # str.format and format_map are refused outright (is_safe_attribute), never wrapped

    def call_binop(self, context: Context, operator_name: str, left: Any, right: Any) -> Any:
        charge(1)
        if operator_name == "%" and isinstance(left, str):
            raise BudgetExceeded("formatting with % is not available in templates: use the number filter and ~")
        if operator_name == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and (
                (_int_bits(left) - 1) * right > MAX_INT_BITS):
            raise BudgetExceeded(f"{left} ** {right} is a number of more than {MAX_INT_BITS} bits")
        if operator_name == "*":
            if isinstance(left, int) and isinstance(right, int) and _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
                raise BudgetExceeded(f"the product is a number of more than {MAX_INT_BITS} bits")
            sequence, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(sequence, str | list | tuple) and isinstance(times, int) and (
                    len(sequence) * max(0, times) > MAX_SEQUENCE):
                raise BudgetExceeded(f"repeating would make more than {MAX_SEQUENCE} characters or items")
        if operator_name == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple) and (
                len(left) + len(right) > MAX_SEQUENCE):
            raise BudgetExceeded(f"adding would make more than {MAX_SEQUENCE} characters or items")
        result = _BINOPS[operator_name](left, right)
        return _checked_size(result, operator_name) if isinstance(result, str | list | tuple) else result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        charge(1)
        if getattr(__obj, "__name__", "") == "replace" and isinstance(getattr(__obj, "__self__", None), str):
            return _replace(__obj.__self__, *args, **kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return _checked_size(result, "the call") if isinstance(result, str | list | tuple) else result


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "**": operator.pow, "*": operator.mul, "+": operator.add, "%": operator.mod}
