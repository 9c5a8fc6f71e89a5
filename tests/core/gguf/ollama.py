"""Ollama's side of a Modelfile, as far as the tests need it, after ollama/ollama's source:
how parser/parser.go reads the file, and what a `.Messages` template receives for /api/chat
(server/routes.go adds the SYSTEM, template/template.go collates the messages)."""

import re
from typing import Any

COMMANDS = {"from", "license", "template", "system", "adapter", "draft", "renderer", "parser"}
COMMANDS |= {"parameter", "message", "requires"}
_SKIP = re.compile(r"(?:[ \t\r\n]+|#[^\r\n]*)*")  # blank lines and whole-line comments
_NAME = re.compile(r"([A-Za-z]+)[ \t]+")
_PARAMETER = re.compile(r"([A-Za-z0-9_]+)[ \t]+")
_EOL = r"[ \t]*(?:\r\n|\r|\n|$)"
# A quoted value ends at the first closing quotes that end a line, as in parser.go, which tries
# to unquote what it has read at each line break; a plain value is the rest of its line.
_TRIPLE = re.compile(r'"""(.*?)"""' + _EOL, re.DOTALL)
_QUOTED = re.compile(r'"(.*?)"' + _EOL, re.DOTALL)
_PLAIN = re.compile(r"([^\r\n]*)" + _EOL)


def parse_modelfile(text: str) -> list[tuple[str, str]]:
    """The Modelfile's commands, in order: (instruction in lower case, value), where a
    `PARAMETER name value` line gives (name, value), as Ollama's own reader does.

    Raises:
        ValueError: a line Ollama would refuse, or a quoted value left open.
    """
    commands, pos = [], 0
    while (pos := _SKIP.match(text, pos).end()) < len(text):
        name = _NAME.match(text, pos)
        if not name or name[1].lower() not in COMMANDS:
            raise ValueError(f"not an instruction at {text[pos : pos + 20]!r}")
        instruction, pos = name[1].lower(), name.end()
        if instruction == "parameter":
            if not (parameter := _PARAMETER.match(text, pos)):
                raise ValueError(f"not a parameter name at {text[pos : pos + 20]!r}")
            instruction, pos = parameter[1], parameter.end()
        if text.startswith('"""', pos):
            pattern = _TRIPLE
        elif text.startswith('"', pos):
            pattern = _QUOTED
        else:
            pattern = _PLAIN
        if not (value := pattern.match(text, pos)):
            raise ValueError(f"the value of {instruction} is not closed")
        # parser.go keeps printable characters, tabs and line breaks; the rest it drops.
        kept = "".join(c for c in value[1] if c.isprintable() or c in "\t\r\n")
        commands.append((instruction, kept.strip() if pattern is _PLAIN else kept))
        pos = value.end()
    return commands


def chat_values(modelfile_system: str, request: list[dict[str, str]]) -> dict[str, Any]:
    """The values Ollama executes a `.Messages` TEMPLATE with for an /api/chat request.

    The Modelfile's SYSTEM goes first as a system message unless the request starts with one;
    then consecutive messages of one role are merged with a blank line, and `.System` is every
    system message joined the same way.
    """
    messages = list(request)
    if modelfile_system and request[0]["role"] != "system":
        messages.insert(0, {"role": "system", "content": modelfile_system})
    collated: list[dict[str, str]] = []
    for message in messages:
        if collated and collated[-1]["Role"] == message["role"] != "tool":
            collated[-1]["Content"] += "\n\n" + message["content"]
        else:
            collated.append({"Role": message["role"], "Content": message["content"]})
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    return {"System": system, "Messages": collated, "Response": ""}
