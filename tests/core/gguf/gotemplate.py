"""The subset of Go's text/template that the Modelfile's TEMPLATE uses, to render it in tests.

After Go's text/template documentation: `{{- ` trims all white space (space, tab, CR, LF) that
precedes the action, ` -}}` all that follows it; the dash must touch the braces and be set off
by white space, so `{{-3}}` prints -3. Supported: printing, `if`/`else if`/`else`/`end`,
`range [$i, $x :=] ...`/`end`, the functions eq, ne, not, len and slice, fields of the dot
(`.Role`), of the root (`$.Messages`) and of variables, string and integer literals, and
parenthesised calls. Anything else raises, so the TEMPLATE cannot outgrow what this checks.
"""

import re
from typing import Any

SPACE = " \t\r\n"  # the white space Go trims (text/template/parse/lex.go)
_ACTION = re.compile(r"\{\{(-[ \t\r\n])?(.*?)([ \t\r\n]-)?\}\}", re.DOTALL)
_TOKEN = re.compile(r'"[^"\\]*"|:=|[(),]|[^\s(),"]+')
FUNCS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "not": lambda a: not a,
    "len": len,
    "slice": lambda items, start: items[start:],
}


def render(template: str, data: dict[str, Any]) -> str:
    """Execute `template` on `data`, as Go's `template.Execute(w, data)` would."""
    nodes, _, end = _block(_lex(template), 0)
    if end is not None:
        raise SyntaxError(f"unexpected {{{{ {' '.join(end)} }}}}")
    return _run(nodes, {".": data, "$": data})


def _lex(template: str) -> list[Any]:
    """Text (str) and actions (lists of tokens), alternating, with the trims applied."""
    items: list[Any] = []
    pos, trim_next = 0, False
    for action in _ACTION.finditer(template):
        text = template[pos : action.start()]
        text = text.lstrip(SPACE) if trim_next else text
        items += [text.rstrip(SPACE) if action[1] else text, _TOKEN.findall(action[2])]
        pos, trim_next = action.end(), bool(action[3])
    tail = template[pos:]
    return [*items, tail.lstrip(SPACE) if trim_next else tail]


def _block(items: list[Any], i: int) -> tuple[list[Any], int, list[str] | None]:
    """The nodes from items[i] up to the `else`/`end` that closes them (None at the end)."""
    nodes: list[Any] = []
    while i < len(items):
        item, i = items[i], i + 1
        if isinstance(item, str):
            nodes += [item] if item else []
        elif item[0] in ("else", "end"):
            return nodes, i, item
        elif item[0] == "if":
            branches, otherwise, condition = [], [], item[1:]
            while True:
                body, i, end = _block(items, i)
                branches.append((_nest(condition), body))
                if end and end[:2] == ["else", "if"]:
                    condition = end[2:]
                    continue
                if end == ["else"]:
                    otherwise, i, end = _block(items, i)
                break
            _expect_end(end)
            nodes.append(("if", branches, otherwise))
        elif item[0] == "range":
            names, expression = [], item[1:]
            if ":=" in expression:
                at = expression.index(":=")
                names, expression = [t for t in expression[:at] if t != ","], expression[at + 1 :]
            body, i, end = _block(items, i)
            _expect_end(end)
            nodes.append(("range", names, _nest(expression), body))
        else:
            nodes.append(("print", _nest(item)))
    return nodes, i, None


def _expect_end(end: list[str] | None) -> None:
    if end != ["end"]:
        raise SyntaxError(f"expected {{{{ end }}}}, got {end}")


def _nest(tokens: list[str]) -> list[Any]:
    """Tokens with each parenthesised call as a list of its own."""
    stack: list[list[Any]] = [[]]
    for token in tokens:
        if token == "(":
            stack.append([])
        elif token == ")":
            inner = stack.pop()
            stack[-1].append(inner)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise SyntaxError(f"unbalanced parentheses in {tokens}")
    return stack[0]


def _value(expression: Any, scope: dict[str, Any]) -> Any:
    if isinstance(expression, list):  # a call, or one operand
        head, *args = expression
        if isinstance(head, str) and head in FUNCS:
            return FUNCS[head](*(_value(a, scope) for a in args))
        if args:
            raise SyntaxError(f"unsupported command {expression}")
        return _value(head, scope)
    if expression.startswith('"'):
        return expression[1:-1]
    if re.fullmatch(r"-?\d+", expression):
        return int(expression)
    if expression.startswith("$"):
        name, _, path = expression.partition(".")
        value = scope[name]
    elif expression.startswith("."):
        value, path = scope["."], expression[1:]
    else:
        raise SyntaxError(f"unsupported operand {expression!r}")
    for field in filter(None, path.split(".")):
        value = value[field]
    return value


def _run(nodes: list[Any], scope: dict[str, Any]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node[0] == "print":
            value = _value(node[1], scope)
            out.append(str(value).lower() if isinstance(value, bool) else str(value))
        elif node[0] == "if":
            _, branches, otherwise = node
            body = next((b for c, b in branches if _value(c, scope)), otherwise)
            out.append(_run(body, scope))
        else:  # range: one variable takes the element, two the index and the element
            _, names, expression, body = node
            for index, element in enumerate(_value(expression, scope)):
                values = [element] if len(names) == 1 else [index, element]
                bound = dict(zip(names, values, strict=False))  # no names: nothing bound
                out.append(_run(body, {**scope, **bound, ".": element}))
    return "".join(out)
