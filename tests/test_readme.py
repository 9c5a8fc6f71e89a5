"""The README documents every setting and every CLI command that exists, and every page of
the docs links only to files of the repository."""

import re
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


REPO = Path(__file__).parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")  # [text](target)
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _relative_links(page: Path) -> list[str]:
    targets = LINK.findall(page.read_text())
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and t[0] != "#"]


def test_the_docs_have_relative_links_to_check():
    assert len([link for page in DOCS for link in _relative_links(page)]) >= 5


def test_every_relative_link_in_the_docs_is_a_file_of_the_repository():
    # A clone has only the repository: a link that leaves it (../shared/…) or names a file it
    # lacks is a dead end for a newcomer.
    dead = []
    for page in DOCS:
        for link in _relative_links(page):
            target = (page.parent / link.split("#", 1)[0]).resolve()
            if not target.is_relative_to(REPO.resolve()) or not target.exists():
                dead.append(f"{page.relative_to(REPO)}: {link}")
    assert dead == []


def test_the_docs_send_no_one_outside_the_repository():
    for page in DOCS:
        assert "../shared" not in page.read_text(), page


def test_the_readme_test_command_is_the_test_script():
    assert "bash tools/test\n" in README and (REPO / "tools/test").is_file()
