"""Recursive-descent parser: tokens to a small AST (lists, and-or, pipelines, compounds).

Grammar (a bash subset): ``list := and_or ((';'|'&'|NL) and_or)*``,
``and_or := pipeline (('&&'|'||') pipeline)*``, ``pipeline := ['!'] command ('|' command)*``,
``command := simple | for | while | until | if | case | '{' list '}' | '(' list ')'``.
Pure; raises :class:`ShellSyntaxError` with the token bash would name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from phantomnet.deception.shell.lexer import ShellSyntaxError, Token, tokenize

RESERVED = {
    "if",
    "then",
    "elif",
    "else",
    "fi",
    "for",
    "in",
    "do",
    "done",
    "while",
    "until",
    "case",
    "esac",
    "{",
    "}",
    "!",
    "function",
}
REDIR_OPS = (">", ">>", "<", "&>", ">&", "<&", "<<<", "<<")


@dataclass
class Redirect:
    op: str
    target: str
    fd: int | None = None


@dataclass
class Simple:
    words: list[str] = field(default_factory=list)
    assigns: list[tuple[str, str]] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Node]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


@dataclass
class CommandList:
    items: list[AndOr] = field(default_factory=list)


@dataclass
class For:
    var: str
    words: list[str] | None
    body: CommandList
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Loop:
    cond: CommandList
    body: CommandList
    until: bool = False
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class If:
    branches: list[tuple[CommandList, CommandList]]
    otherwise: CommandList | None = None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Case:
    word: str
    arms: list[tuple[list[str], CommandList]]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Group:
    body: CommandList
    subshell: bool = False
    redirects: list[Redirect] = field(default_factory=list)


Node = Simple | For | Loop | If | Case | Group


def _is_assign(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.isidentifier()


class Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ShellSyntaxError("newline")
        self.i += 1
        return tok

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text in words

    def expect_word(self, word: str) -> None:
        tok = self.peek()
        if tok is None:
            raise ShellSyntaxError("newline")
        if not (tok.kind == "word" and tok.text == word):
            raise ShellSyntaxError(tok.text if tok.text != "\n" else "newline")
        self.i += 1

    def skip_newlines(self) -> None:
        while (tok := self.peek()) is not None and tok.is_op("\n", ";"):
            self.i += 1

    def parse_list(self, stop: tuple[str, ...] = ()) -> CommandList:
        out = CommandList()
        while True:
            while (tok := self.peek()) is not None and tok.is_op("\n", ";", "&"):
                if not out.items and tok.text != "\n":
                    raise ShellSyntaxError(tok.text)
                self.i += 1
            tok = self.peek()
            if tok is None or (tok.kind == "word" and tok.text in stop) or tok.is_op(")", ";;"):
                return out
            out.items.append(self.parse_and_or())
            tok = self.peek()
            ends = tok is None or tok.is_op("\n", ";", "&", ")", ";;")
            if not ends and tok is not None and not (tok.kind == "word" and tok.text in stop):
                raise ShellSyntaxError(tok.text)

    def parse_and_or(self) -> AndOr:
        node = AndOr(self.parse_pipeline())
        while (tok := self.peek()) is not None and tok.is_op("&&", "||"):
            self.i += 1
            self.skip_nl_only()
            node.rest.append((tok.text, self.parse_pipeline()))
        return node

    def skip_nl_only(self) -> None:
        while (tok := self.peek()) is not None and tok.is_op("\n"):
            self.i += 1

    def parse_pipeline(self) -> Pipeline:
        negate = False
        if self.at_word("!"):
            self.i += 1
            negate = True
        cmds = [self.parse_command()]
        while (tok := self.peek()) is not None and tok.is_op("|"):
            self.i += 1
            self.skip_nl_only()
            cmds.append(self.parse_command())
        return Pipeline(cmds, negate)

    def parse_command(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ShellSyntaxError("newline")
        if tok.kind == "op" and tok.text == "(":
            self.i += 1
            body = self.parse_list()
            if not (t := self.peek()) or not t.is_op(")"):
                raise ShellSyntaxError(t.text if t else "newline")
            self.i += 1
            return self._with_redirects(Group(body, subshell=True))
        if tok.kind == "word" and tok.text in _COMPOUND:
            self.i += 1
            return self._with_redirects(_COMPOUND[tok.text](self))
        if tok.kind == "op" and tok.text not in REDIR_OPS:
            raise ShellSyntaxError(tok.text if tok.text != "\n" else "newline")
        return self.parse_simple()

    def _with_redirects(self, node: Node) -> Node:
        while (r := self._redirect()) is not None:
            node.redirects.append(r)
        return node

    def _redirect(self) -> Redirect | None:
        tok = self.peek()
        if tok is None:
            return None
        fd = None
        if tok.kind == "io":
            fd = int(tok.text)
            self.i += 1
            tok = self.peek()
        if tok is None or not (tok.kind == "op" and tok.text in REDIR_OPS):
            if fd is not None:
                self.i -= 1
            return None
        self.i += 1
        target = self.next()
        if target.kind != "word":
            raise ShellSyntaxError(target.text if target.text != "\n" else "newline")
        return Redirect(tok.text, target.text, fd)

    def parse_simple(self) -> Simple:
        cmd = Simple()
        while (tok := self.peek()) is not None:
            if (r := self._redirect()) is not None:
                cmd.redirects.append(r)
                continue
            if tok.kind != "word":
                break
            if not cmd.words and _is_assign(tok.text):
                name, _, value = tok.text.partition("=")
                cmd.assigns.append((name, value))
            elif (cmd.words and tok.text in ("}",)) or (not cmd.words and tok.text in RESERVED):
                break
            else:
                cmd.words.append(tok.text)
            self.i += 1
        if not cmd.words and not cmd.assigns and not cmd.redirects:
            bad = self.peek()
            raise ShellSyntaxError(bad.text if bad and bad.text != "\n" else "newline")
        return cmd


def _parse_for(p: Parser) -> Node:
    var = p.next().text
    words: list[str] | None = None
    p.skip_nl_only()
    if p.at_word("in"):
        p.i += 1
        words = []
        while (tok := p.peek()) is not None and tok.kind == "word":
            words.append(tok.text)
            p.i += 1
    p.skip_newlines()
    p.expect_word("do")
    body = p.parse_list(("done",))
    p.expect_word("done")
    return For(var, words, body)


def _parse_loop(p: Parser, until: bool) -> Node:
    cond = p.parse_list(("do",))
    p.expect_word("do")
    body = p.parse_list(("done",))
    p.expect_word("done")
    return Loop(cond, body, until)


def _parse_if(p: Parser) -> Node:
    branches = []
    otherwise = None
    while True:
        cond = p.parse_list(("then",))
        p.expect_word("then")
        body = p.parse_list(("elif", "else", "fi"))
        branches.append((cond, body))
        tok = p.next()
        if tok.text == "elif":
            continue
        if tok.text == "else":
            otherwise = p.parse_list(("fi",))
            p.expect_word("fi")
        elif tok.text != "fi":
            raise ShellSyntaxError(tok.text)
        return If(branches, otherwise)


def _parse_case(p: Parser) -> Node:
    word = p.next().text
    p.skip_nl_only()
    p.expect_word("in")
    arms = []
    p.skip_newlines()
    while not p.at_word("esac"):
        if (t := p.peek()) is not None and t.is_op("("):
            p.i += 1
        patterns = [p.next().text]
        while (t := p.peek()) is not None and t.is_op("|"):
            p.i += 1
            patterns.append(p.next().text)
        if not (t := p.peek()) or not t.is_op(")"):
            raise ShellSyntaxError(t.text if t else "newline")
        p.i += 1
        body = p.parse_list(("esac",))
        arms.append((patterns, body))
        if (t := p.peek()) is not None and t.is_op(";;"):
            p.i += 1
        p.skip_newlines()
    p.expect_word("esac")
    return Case(word, arms)


def _parse_brace(p: Parser) -> Node:
    body = p.parse_list(("}",))
    p.expect_word("}")
    return Group(body)


_COMPOUND = {
    "for": _parse_for,
    "while": lambda p: _parse_loop(p, False),
    "until": lambda p: _parse_loop(p, True),
    "if": _parse_if,
    "case": _parse_case,
    "{": _parse_brace,
}


def parse(text: str) -> CommandList:
    """Parse a whole command line (or script) into a :class:`CommandList`."""
    parser = Parser(tokenize(text))
    result = parser.parse_list()
    tok = parser.peek()
    if tok is not None:
        raise ShellSyntaxError(tok.text if tok.text != "\n" else "newline")
    return result
