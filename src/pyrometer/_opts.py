"""Command-line options declared once, for argparse and for a quick parser.

``pyrometer run`` starts inside the profiled process, so its start-up is the
profiler's overhead on a short program. ``argparse`` costs 5-7 ms to import
(``re``, ``enum``, ``gettext``, ``locale``, ``shutil``). ``quick_parse``
reads the common case (exact option names with well-formed values) without
it; anything else (``--help``, an abbreviation, a bad value, an unknown
option) returns ``None`` and argparse parses the same table, with its usual
messages.

Every command declares its options from these tables, each option once. Both
parsers leave an option that was not given as ``None``; ``settle`` then
records which were given (a mode may refuse some) and fills in the defaults,
and checks numeric ranges (whose bounds the core owns where it has them).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any


class Opt:
    """One option: its flags, where it is stored and how its value is read.

    ``kind`` is ``"str"``, ``"int"``, ``"float"``, ``"true"`` (a flag that
    stores True), ``"false"`` (a flag that stores False) or ``"append"`` (a
    string option that may be repeated: a list of every value, default []). A name without
    a dash is a positional argument (``optional``: it may be left out).
    ``low``/``high`` bound a number (``low`` excluded when ``low_open``);
    ``unit`` ends the message of a value out of range."""

    __slots__ = (
        "choices",
        "default",
        "dest",
        "flags",
        "help",
        "high",
        "kind",
        "low",
        "low_open",
        "metavar",
        "optional",
        "unit",
    )

    def __init__(
        self,
        flags: tuple[str, ...],
        kind: str = "str",
        default: Any = None,
        choices: tuple[str, ...] | None = None,
        metavar: str | None = None,
        help: str | None = None,
        dest: str | None = None,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        unit: str = "",
        optional: bool = False,
    ) -> None:
        self.flags = flags
        self.dest = dest or flags[-1].lstrip("-").replace("-", "_")
        self.kind = kind
        self.default = (kind == "false") if kind in ("true", "false") else default
        self.choices = choices
        self.metavar = metavar
        self.help = help
        self.low, self.high, self.low_open, self.unit = low, high, low_open, unit
        self.optional = optional

    @property
    def takes_value(self) -> bool:
        return self.kind not in ("true", "false")

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")

    @property
    def name(self) -> str:
        """How messages name the option: its long flag."""
        return self.flags[-1]

    def out_of_range(self, value: Any) -> str | None:
        """The one-line complaint about `value`, or None if it is in range."""
        if value is None or (self.low is None and self.high is None):
            return None
        unit = f" {self.unit}" if self.unit else ""
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or value <= self.high
        if low_ok and high_ok:
            return None
        if self.high is None:
            return f"{self.name} must be {'more than' if self.low_open else 'at least'} {self.low:g}{unit}"
        return f"{self.name} must be between {self.low:g} and {self.high:g}{unit}"


def add_to(parser: argparse._ActionsContainer, opts: Sequence[Opt]) -> None:
    """Declare `opts` on an argparse parser or argument group."""
    for o in opts:
        kw: dict[str, Any] = {"help": o.help, "default": None}
        if o.positional:
            if o.optional:
                kw["nargs"] = "?"
        else:
            kw["dest"] = o.dest
        if o.kind == "append":
            kw.update(action="append", metavar=o.metavar)
        elif o.takes_value:
            kw.update(choices=o.choices, metavar=o.metavar)
            if o.kind != "str":
                kw["type"] = int if o.kind == "int" else float
        else:
            kw["action"] = "store_const"
            kw["const"] = o.kind == "true"
        parser.add_argument(*o.flags, **kw)


def settle(opts: Sequence[Opt], values: Any) -> tuple[set[str], str | None]:
    """Fill in the defaults of the options that were not given (both parsers
    leave them None). Returns the dests that were given, and the first value
    out of its range as one line (None if all are in range)."""
    given = set()
    problem = None
    for o in opts:
        value = getattr(values, o.dest, None)
        if value is None:
            setattr(values, o.dest, [] if o.kind == "append" else o.default)
            continue
        given.add(o.dest)
        problem = problem or o.out_of_range(value)
    return given, problem


class Values:
    """Parsed options, by ``dest`` (what argparse's Namespace would hold)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only for the type checker: every dest is set
        raise AttributeError(name)


def quick_parse(opts: Sequence[Opt], argv: Sequence[str]) -> Values | None:
    """`argv` read against `opts` exactly as argparse would, or None when
    argparse is needed (help, abbreviations, bad values, unknown options)."""
    by_flag = {f: o for o in opts if not o.positional for f in o.flags}
    values: dict[str, Any] = {o.dest: None for o in opts}
    i = 0
    while i < len(argv):
        flag, eq, inline = argv[i].partition("=")
        o = by_flag.get(flag) if flag.startswith("--") or not eq else None
        if o is None or (eq and not o.takes_value):
            return None
        if not o.takes_value:
            values[o.dest] = o.kind == "true"
            i += 1
            continue
        if eq:
            text, i = inline, i + 1
        elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            text, i = argv[i + 1], i + 2
        else:
            return None
        try:
            value: Any = int(text) if o.kind == "int" else float(text) if o.kind == "float" else text
        except ValueError:
            return None
        if o.choices is not None and value not in o.choices:
            return None
        values[o.dest] = [*(values[o.dest] or []), value] if o.kind == "append" else value
    return Values(**values)
