"""The README documents every setting and every CLI command that exists."""

from pathlib import Path

from c64ft.cli import app
from core.config import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table():
    for name in Settings.model_fields:
        assert f"`C64FT_{name.upper()}`" in README


def test_every_command_is_in_the_command_table():
    for command in app.registered_commands:
        assert f"`c64ft {command.name or command.callback.__name__}" in README
