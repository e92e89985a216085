"""Command-line options declared once, for argparse and for a quick parser.

``pyrometer run`` starts inside the profiled process, so its start-up is the
profiler's overhead on a short program. ``argparse`` costs 5-7 ms to import
(``re``, ``enum``, ``gettext``, ``locale``, ``shutil``). ``quick_parse``
reads the common case (exact option names with well-formed values) without
it; anything else (``--help``, an abbreviation, a bad value, an unknown
option) returns ``None`` and argparse parses the same table, with its usual
messages.
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
    stores True) or ``"false"`` (a flag that stores False)."""

    __slots__ = ("choices", "default", "dest", "flags", "help", "kind", "metavar")

    def __init__(
        self,
        flags: tuple[str, ...],
        kind: str = "str",
        default: Any = None,
        choices: tuple[str, ...] | None = None,
        metavar: str | None = None,
        help: str | None = None,
        dest: str | None = None,
    ) -> None:
        self.flags = flags
        self.dest = dest or flags[-1].lstrip("-").replace("-", "_")
        self.kind = kind
        self.default = (kind == "false") if kind in ("true", "false") else default
        self.choices = choices
        self.metavar = metavar
        self.help = help

    @property
    def takes_value(self) -> bool:
        return self.kind not in ("true", "false")


def add_to(parser: argparse._ActionsContainer, opts: Sequence[Opt]) -> None:
    """Declare `opts` on an argparse parser or argument group."""
    for o in opts:
        kw: dict[str, Any] = {"dest": o.dest, "help": o.help}
        if o.takes_value:
            kw.update(default=o.default, choices=o.choices, metavar=o.metavar)
            if o.kind != "str":
                kw["type"] = int if o.kind == "int" else float
        else:
            kw["action"] = "store_true" if o.kind == "true" else "store_false"
        parser.add_argument(*o.flags, **kw)


class Values:
    """Parsed options, by ``dest`` (what argparse's Namespace would hold)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only for the type checker: every dest is set
        raise AttributeError(name)


def quick_parse(opts: Sequence[Opt], argv: Sequence[str]) -> Values | None:
    """`argv` read against `opts` exactly as argparse would, or None when
    argparse is needed (help, abbreviations, bad values, unknown options)."""
    by_flag = {f: o for o in opts for f in o.flags}
    values: dict[str, Any] = {o.dest: o.default for o in opts}
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
        values[o.dest] = value
    return Values(**values)
