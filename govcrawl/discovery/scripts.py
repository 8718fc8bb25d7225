"""What a page's inline scripts say, read without running them.

A list page built by script names its data source in its own ``<script>`` elements: the literal
settings it assigns (``var countPage = 5``, ``{channelId: "8475", prepage: 10}``), the calls that
fetch the items (``$.ajax({url: …, type: "POST", data: {…}})``, ``$.post(url, data)``,
``$.getJSON``, ``fetch``, ``axios``) and the widgets it starts (Hanweb ``$('#id').jpage({…})``).
This module tokenises the scripts (one linear pass), collects those literals, and parses the
arguments of those calls into small values (:class:`Obj`, :class:`Ref`, :class:`Call`,
:class:`Concat`) that :mod:`govcrawl.discovery.scripted` turns into requests.

Pure and bounded: at most ``MAX_SCRIPT_CHARS`` of script per page, ``MAX_TOKENS`` tokens,
``MAX_CALLS`` calls parsed with ``MAX_CALL_TOKENS`` tokens each, nesting ``MAX_DEPTH``; never
raises on any input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import lxml.html

MAX_SCRIPT_CHARS = 512 * 1024  # of all inline scripts of a page together
MAX_TOKENS = 100_000
MAX_CALLS = 64
MAX_CALL_TOKENS = 6_000
MAX_DEPTH = 10

# Script types that hold data, not code: Hanweb's datastore (text/xml), templates, JSON-LD.
_CODE_TYPES = frozenset({"", "text/javascript", "application/javascript", "javascript",
                         "text/ecmascript", "application/ecmascript", "module"})


# --- values ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A variable or property read (``listConfig.channelId``), dotted as written."""

    name: str

    @property
    def last(self) -> str:
        return self.name.rpartition(".")[2]


@dataclass(frozen=True)
class Call:
    """A call (``JSON.stringify(o)``, ``$(this).data("page")``): ``name`` is the dotted name
    called, for a method of a call's result the method's name alone (``data``)."""

    name: str
    args: tuple[Value, ...]


@dataclass(frozen=True)
class Concat:
    """``a + b + …``: a string built by concatenation, or a sum."""

    parts: tuple[Value, ...]


@dataclass(frozen=True)
class Obj:
    """An object literal, its keys as written (order kept)."""

    pairs: tuple[tuple[str, Value], ...]

    def get(self, *keys: str) -> Value:
        """The value of the first of ``keys`` present (compared without case), or UNKNOWN."""
        wanted = [key.lower() for key in keys]
        found = {name.lower(): value for name, value in reversed(self.pairs)}
        for key in wanted:
            if key in found:
                return found[key]
        return UNKNOWN


@dataclass(frozen=True)
class Arr:
    items: tuple[Value, ...]


class _Unknown:
    """A value the reader does not follow (functions, operators, ternaries …)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
Literal = str | int | float | bool | None
Value = Literal | Ref | Call | Concat | Obj | Arr | _Unknown


@dataclass(frozen=True)
class CallSite:
    """A call of interest as written: ``$.ajax``, ``post``, ``jpage`` … and its arguments."""

    name: str  # the dotted name called (``$.ajax``, ``axios.post``, ``jpage``)
    args: tuple[Value, ...]
    selector: str = ""  # ``$('#4851098').jpage(…)``: the string the receiver was built from

    @property
    def method(self) -> str:
        """The last part of the name, lower-cased (``ajax``, ``post``, ``getjson``)."""
        return self.name.rpartition(".")[2].lower()


# --- tokens ----------------------------------------------------------------------------------

# One token per match at a given position. Strings may not span lines (but template literals
# may), so an unclosed quote scans to the end of its line once; the alternatives of each string
# body are disjoint, so no input makes them backtrack more than the length they read.
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<line>//[^\n]*)
      | (?P<block>/\*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_$][\w$]*)
      | (?P<punct>\S)""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}

Token = tuple[str, str]  # (kind, text): kind s(tring, unquoted) n(umber) i(dentifier) p(unct)


def _unescape(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            return chr(int(code, 16))
        char = match.group(3)
        return _SIMPLE_ESCAPES.get(char, "" if char == "\n" else char)

    return _ESCAPE.sub(replace, body) if "\\" in body else body


def tokens(script: str, limit: int = MAX_TOKENS) -> list[Token]:
    """The tokens of ``script`` (comments and spaces dropped), at most ``limit``."""
    found: list[Token] = []
    position, end = 0, len(script)
    while position < end and len(found) < limit:
        match = _TOKEN.match(script, position)
        if match is None:  # cannot happen (\S takes any character), but never loop forever
            break
        kind = match.lastgroup
        position = match.end()
        if kind == "block":  # found by find(): an unclosed /* is one scan, not one per /*
            close = script.find("*/", position)
            position = end if close < 0 else close + 2
        elif kind == "string":
            found.append(("s", _unescape(match.group()[1:-1])))
        elif kind == "number":
            found.append(("n", match.group()))
        elif kind == "name":
            found.append(("i", match.group()))
        elif kind == "punct":
            found.append(("p", match.group()))
    return found


def inline_scripts(tree: lxml.html.HtmlElement | None, limit: int = MAX_SCRIPT_CHARS) -> list[str]:
    """The code of the page's inline ``<script>`` elements (not ``src=`` ones, not data blocks
    such as ``type="text/xml"``), in page order, ``limit`` characters in all."""
    if tree is None:
        return []
    scripts: list[str] = []
    left = limit
    for element in tree.iter("script"):
        if element.get("src") or (element.get("type") or "").strip().lower() not in _CODE_TYPES:
            continue
        text = element.text or ""
        if not text.strip():
            continue
        scripts.append(text[:left])
        left -= len(scripts[-1])
        if left <= 0:
            break
    return scripts


def page_tokens(scripts: Iterable[str], limit: int = MAX_TOKENS) -> list[list[Token]]:
    """Each script's tokens, ``limit`` in all."""
    out: list[list[Token]] = []
    left = limit
    for script in scripts:
        if left <= 0:
            break
        out.append(tokens(script, left))
        left -= len(out[-1])
    return out


# --- literals --------------------------------------------------------------------------------

_LITERAL_WORDS = {"true": True, "false": False, "null": None}
_AFTER_LITERAL = frozenset({",", ";", "}", ")", "]"})


def _literal(token: Token) -> tuple[bool, Literal]:
    kind, text = token
    if kind == "s":
        return True, text
    if kind == "n":
        return True, float(text) if "." in text else int(text)
    if kind == "i" and text in _LITERAL_WORDS:
        return True, _LITERAL_WORDS[text]
    return False, None


def literals(scripts: Iterable[list[Token]]) -> dict[str, Literal]:
    """Every ``name = literal`` / ``name: literal`` / ``"name": literal`` of the scripts, keyed by
    the name lower-cased (the first assignment wins: a page's settings come before the code that
    changes them), ``-5`` read as a number. One pass over the tokens."""
    found: dict[str, Literal] = {}
    for script in scripts:
        count = len(script)
        for index in range(count - 2):
            kind, text = script[index]
            if kind not in "is" or script[index + 1] not in (("p", "="), ("p", ":")):
                continue
            if index and script[index - 1] == ("p", "?"):  # a ? b : c is not an assignment
                continue
            at, sign = index + 2, 1
            if script[at] == ("p", "-") and at + 1 < count:
                at, sign = at + 1, -1
            ok, value = _literal(script[at])
            if not ok or (at + 1 < count and script[at + 1][0] == "p"
                          and script[at + 1][1] not in _AFTER_LITERAL):
                continue  # "a = 1 + b", "a = 'x'.length": not a literal setting
            if sign < 0 and isinstance(value, int | float):
                value = -value
            found.setdefault(text.lower(), value)
    return found


# --- expressions -----------------------------------------------------------------------------

_OPEN = {"(": ")", "[": "]", "{": "}"}
_STOP = frozenset({",", ";", ")", "]", "}", ":", "?"})


class _Reader:
    """A recursive-descent reader of the expressions used as call arguments; at most ``budget``
    tokens are looked at, nesting deeper than ``MAX_DEPTH`` is skipped."""

    def __init__(self, script: list[Token], start: int, budget: int = MAX_CALL_TOKENS) -> None:
        self.script = script
        self.at = start
        self.end = min(len(script), start + budget)

    def peek(self, offset: int = 0) -> Token:
        at = self.at + offset
        return self.script[at] if at < self.end else ("", "")

    def take(self) -> Token:
        token = self.peek()
        self.at = min(self.at + 1, self.end)
        return token

    def skip_balanced(self) -> None:
        """Skip one bracketed group starting at the current ``(``/``[``/``{`` token."""
        depth = 0
        while self.at < self.end:
            kind, text = self.take()
            if kind == "p" and text in _OPEN:
                depth += 1
            elif kind == "p" and text in (")", "]", "}"):
                depth -= 1
                if depth <= 0:
                    return

    def skip_expression(self) -> None:
        """Skip to the next ``,`` ``;`` or closing bracket at this level."""
        while self.at < self.end:
            kind, text = self.peek()
            if kind == "p" and text in _OPEN:
                self.skip_balanced()
            elif kind == "p" and text in (",", ";", ")", "]", "}"):
                return
            else:
                self.take()

    def expression(self, depth: int = 0) -> Value:
        parts = [self.unary(depth)]
        while self.peek() == ("p", "+") and len(parts) < 64:
            self.take()
            parts.append(self.unary(depth))
        kind, text = self.peek()
        if kind == "p" and text not in _STOP:  # other operators: not followed
            self.skip_expression()
            return UNKNOWN
        if kind == "p" and text == "?":
            self.skip_expression()
            return UNKNOWN
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    def unary(self, depth: int) -> Value:
        if self.peek() == ("p", "-") and self.peek(1)[0] == "n":
            self.take()
            value = self.primary(depth)
            return -value if isinstance(value, int | float) else UNKNOWN
        if self.peek()[0] == "p" and self.peek()[1] in ("!", "+", "-", "~"):
            self.take()
            self.primary(depth)
            return UNKNOWN
        return self.primary(depth)

    def primary(self, depth: int) -> Value:
        kind, text = self.peek()
        if depth > MAX_DEPTH:
            self.skip_expression()
            return UNKNOWN
        ok, value = _literal((kind, text))
        if ok:
            self.take()
            return value
        if kind == "p" and text == "{":
            return self.object(depth + 1)
        if kind == "p" and text == "[":
            return self.array(depth + 1)
        if kind == "p" and text == "(":
            self.take()
            inner = self.expression(depth + 1)
            if self.peek() == ("p", ")"):
                self.take()
            if self.peek() == ("p", "="):  # (a) => …: an arrow function
                self.skip_expression()
                return UNKNOWN
            return inner
        if kind == "i" and text == "function":
            self.take()
            while self.at < self.end and self.peek() != ("p", "{"):
                self.take()
            self.skip_balanced()
            return UNKNOWN
        if kind == "i" and text == "new":
            self.take()
            return self.primary(depth + 1)
        if kind == "i":
            return self.chain(depth)
        self.skip_expression()
        return UNKNOWN

    def chain(self, depth: int) -> Value:
        """``a.b.c``, ``a.b(…)``, ``$(x).data("k")``, ``a["k"]``."""
        name = self.take()[1]
        value: Value = Ref(name)
        while self.at < self.end:
            kind, text = self.peek()
            if kind == "p" and text == "." and self.peek(1)[0] == "i":
                self.take()
                member = self.take()[1]
                value = Ref(f"{value.name}.{member}") if isinstance(value, Ref) else Ref(member)
            elif (kind == "p" and text == "[" and self.peek(1)[0] == "s"
                  and self.peek(2) == ("p", "]")):  # a["key"]
                self.take()
                member = self.take()[1]
                self.take()
                value = Ref(f"{value.name}.{member}") if isinstance(value, Ref) else Ref(member)
            elif kind == "p" and text == "(":
                called = value.name if isinstance(value, Ref) else ""
                value = Call(called, self.arguments(depth + 1))
                if self.peek() == ("p", ".") and self.peek(1)[0] == "i":
                    self.take()
                    value = Ref(self.take()[1])  # a method of the result: read by its name alone
            else:
                break
        return value

    def arguments(self, depth: int) -> tuple[Value, ...]:
        """The arguments of the call whose ``(`` is the current token."""
        self.take()
        args: list[Value] = []
        while self.at < self.end and self.peek() != ("p", ")") and len(args) < 16:
            args.append(self.expression(depth))
            if self.peek() == ("p", ","):
                self.take()
            elif self.peek() != ("p", ")"):
                self.skip_expression()
                if self.peek() == ("p", ","):
                    self.take()
                elif self.peek() != ("p", ")"):
                    break
        if self.peek() == ("p", ")"):
            self.take()
        return tuple(args)

    def object(self, depth: int) -> Value:
        self.take()  # {
        pairs: list[tuple[str, Value]] = []
        while self.at < self.end and self.peek() != ("p", "}") and len(pairs) < 200:
            kind, text = self.peek()
            if kind in "isn" and kind and self.peek(1) == ("p", ":"):
                self.take()
                self.take()
                pairs.append((text, self.expression(depth)))
            elif kind == "i" and self.peek(1)[0] == "p" and self.peek(1)[1] in (",", "}"):
                self.take()
                pairs.append((text, Ref(text)))  # {page} is {page: page}
            else:  # methods, spreads, computed keys: skipped
                self.skip_expression()
            if self.peek() == ("p", ","):
                self.take()
            elif self.peek() != ("p", "}"):
                self.skip_expression()
                if self.peek() != ("p", ","):
                    break
                self.take()
        if self.peek() == ("p", "}"):
            self.take()
        return Obj(tuple(pairs))

    def array(self, depth: int) -> Value:
        self.take()  # [
        items: list[Value] = []
        while self.at < self.end and self.peek() != ("p", "]") and len(items) < 200:
            items.append(self.expression(depth))
            if self.peek() == ("p", ","):
                self.take()
            elif self.peek() != ("p", "]"):
                break
        if self.peek() == ("p", "]"):
            self.take()
        return Arr(tuple(items))


def _dotted_name_before(script: list[Token], paren: int) -> str:
    """The dotted name called by the ``(`` at ``paren`` (``$.ajax``, ``axios.post``), a method of
    a call's result by its name alone (``$("#x").jpage`` → ``jpage``); "" when none."""
    parts: list[str] = []
    at = paren - 1
    while at >= 0 and script[at][0] == "i" and len(parts) < 8:
        parts.append(script[at][1])
        if at >= 1 and script[at - 1] == ("p", "."):
            at -= 2
            if at >= 0 and script[at] == ("p", ")"):
                break  # $(…).name: the method's name alone
            continue
        break
    return ".".join(reversed(parts))


def objects(scripts: Iterable[list[Token]]) -> dict[str, Obj]:
    """Every object literal assigned to a variable (``var listConfig = {…}``), keyed by the
    variable's name lower-cased (the first assignment wins); at most ``MAX_CALLS`` per page."""
    found: dict[str, Obj] = {}
    for script in scripts:
        for index in range(len(script) - 2):
            if script[index][0] != "i" or script[index + 1:index + 3] != [("p", "="), ("p", "{")]:
                continue
            if index and script[index - 1] == ("p", "."):
                continue  # a.b = {…}: a property, not a variable
            value = _Reader(script, index + 2).object(0)
            if isinstance(value, Obj):
                found.setdefault(script[index][1].lower(), value)
            if len(found) >= MAX_CALLS:
                return found
    return found


def _selector(script: list[Token], dot: int) -> str:
    """The string of ``$("#id")`` when the token at ``dot`` ends ``$("#id").``, else ""."""
    if dot < 3 or script[dot - 3 : dot + 1][::2] != [("p", "("), ("p", ")")]:
        return ""
    string = script[dot - 2]
    return string[1] if string[0] == "s" and script[dot] == ("p", ".") else ""


def calls(scripts: Iterable[list[Token]], wanted: frozenset[str]) -> Iterator[CallSite]:
    """The calls whose last name (lower-cased) is in ``wanted``, their arguments read; at most
    ``MAX_CALLS`` per page."""
    found = 0
    for script in scripts:
        for index, token in enumerate(script):
            if token != ("p", "(") or index == 0 or script[index - 1][0] != "i":
                continue
            name = _dotted_name_before(script, index)
            if not name or name.rpartition(".")[2].lower() not in wanted:
                continue
            if index >= 2 and script[index - 2] == ("i", "function"):
                continue  # the function's definition, not a call
            reader = _Reader(script, index)
            selector = _selector(script, index - 2 * len(name.split(".")))
            yield CallSite(name, reader.arguments(0), selector)
            found += 1
            if found >= MAX_CALLS:
                return
