"""The original workflow's command lines, as its guide prints them, accepted as they are.

Two of its flags have no meaning here: `--in-container` (c64ft runs where it is started) is
dropped, and the guide's template path, a file of the original's checkout, stands for the
project's own Mistral-3 template (chat_template_path unset) unless the workspace has that file.
Each says so on stderr, so that nobody wonders where the flag went.
"""

import sys
from pathlib import Path
from typing import Any

GUIDE_TEMPLATE = "scripts/templates/mistral3_chat_template_assistant_mask.jinja"
NO_OPS = {"--in-container": "c64ft runs jobs where it is started; there is no container switch"}


def drop_no_ops(args: list[str]) -> list[str]:
    """The arguments without the guide's flags that mean nothing here, with a notice for each."""
    kept = []
    for arg in args:
        if arg in NO_OPS:
            notice(f"{arg} ignored: {NO_OPS[arg]}")
        else:
            kept.append(arg)
    return kept


def map_guide_paths(fields: dict[str, Any], workspace: Path) -> dict[str, Any]:
    """The guide's template path → the project's template, unless the workspace holds it."""
    if (
        fields.get("chat_template_path") == GUIDE_TEMPLATE
        and not (workspace / GUIDE_TEMPLATE).exists()
    ):
        notice(
            f"--chat-template-path {GUIDE_TEMPLATE} is the original workflow's template; "
            "using the project's Mistral-3 template with assistant masks instead "
            "(core/templates/mistral3_chat_template.jinja, chat_template_path unset)"
        )
        return {k: v for k, v in fields.items() if k != "chat_template_path"}
    return fields


def notice(message: str) -> None:
    print(f"notice: {message}", file=sys.stderr)
