"""The Ollama Modelfile written beside an exported GGUF file.

Its TEMPLATE renders a conversation exactly as the project's chat template does
(core/templates/mistral3_chat_template.jinja), minus the leading `<s>`: Ollama's runtime adds
the BOS token itself, since the GGUF says add_bos.
"""

from pathlib import Path

# Go text/template, run by Ollama with `.System` and `.Messages` (`.Role`, `.Content`).
# Ollama gives a request without a system message first the Modelfile's SYSTEM as one, and sets
# `.System` to every system message joined by a blank line; rendering `.System` once, before the
# loop, and skipping system messages in it puts the system prompt first and only once.
# A last message from the assistant is a prefill the model continues, so it gets no `</s>`
# (what transformers' continue_final_message does, and Ollama's own Mistral 3 templates).
TEMPLATE = (
    "{{- if .System }}[SYSTEM_PROMPT]{{ .System }}[/SYSTEM_PROMPT]{{ end }}\n"
    "{{- range $i, $_ := .Messages }}\n"
    '{{- if eq .Role "user" }}[INST]{{ .Content }}[/INST]\n'
    '{{- else if eq .Role "assistant" }}{{ .Content }}\n'
    "{{- if ne (len (slice $.Messages $i)) 1 }}</s>{{ end }}\n"
    "{{- end }}\n"
    "{{- end }}"
)


def modelfile(gguf_file: str, system_prompt: str, *, ctx_size: int = 4096) -> str:
    """The text of the Ollama Modelfile that runs one exported GGUF file.

    Args:
        gguf_file: the file's name; the Modelfile is written beside it, so FROM is `./<name>`.
        system_prompt: the SYSTEM text: the prompt the model was trained with. A request that
            starts with a system message of its own replaces it.
        ctx_size: `num_ctx`, the context window Ollama allocates, in tokens.

    Returns:
        The Modelfile, ending with a newline.

    Raises:
        ValueError: `gguf_file` is a path rather than a file name, or the system prompt holds
            text a Modelfile cannot carry unchanged.
    """
    if Path(gguf_file).name != gguf_file or not gguf_file.isprintable():
        raise ValueError(
            f"gguf_file must be the name of the .gguf file beside the Modelfile, got {gguf_file!r}"
        )
    if '"""' in system_prompt:
        raise ValueError(
            'the system prompt contains """, which ends a Modelfile value and cannot be quoted: '
            "rephrase that part of the prompt"
        )
    # Ollama's Modelfile reader keeps only printable characters (Go's strconv.IsPrint), tabs
    # and line breaks: any other character would vanish from SYSTEM without a word.
    dropped = sorted({c for c in system_prompt if not c.isprintable() and c not in "\t\r\n"})
    if dropped:
        raise ValueError(
            f"the system prompt contains characters Ollama drops from a Modelfile: {dropped}; "
            "replace them (a plain space for a no-break space, nothing for zero-width ones)"
        )
    lines = [
        f"FROM ./{gguf_file}",
        f'TEMPLATE """{TEMPLATE}"""',
        f'SYSTEM """{system_prompt}"""',
        'PARAMETER stop "</s>"',
        'PARAMETER stop "[INST]"',
        f"PARAMETER num_ctx {ctx_size}",
        "# Greedy, as c64ft's reasoning validation decodes: the answers are the kind it measured.",
        "PARAMETER temperature 0",
    ]
    return "\n".join(lines) + "\n"
