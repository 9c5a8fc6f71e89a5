"""Text out of one source file: PDF pages through pdfium, HTML sections through lexbor."""

from pathlib import Path

import pypdfium2 as pdfium
from selectolax.lexbor import LexborHTMLParser

_BOILERPLATE = "script, style, noscript, nav, header, footer, template"
_BLOCKS = "p, pre, li, tr, h1, h2, h3, h4, h5, h6, div, br, table, dt, dd, blockquote"


class UnreadableFile(Exception):
    """The file is corrupt, encrypted or not what its name says."""


def read_pdf(path: Path) -> tuple[str, list[str]]:
    """The title and the text layer of every page (empty for an image-only page)."""
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:  # corrupt, or encrypted with a password
        raise UnreadableFile(str(exc)) from exc
    try:
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return title, texts
    finally:
        pdf.close()


def read_html(path: Path) -> tuple[str, list[str]]:
    """The title and the sections of the page: an HTML file is one document whose sections
    (split before each h1 and h2; a heading with no text of its own joins the next section)
    play the role of pages."""
    try:
        tree = LexborHTMLParser(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise UnreadableFile(str(exc)) from exc
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    if tree.body is None:
        return title, []
    for node in tree.body.css(_BOILERPLATE):
        node.decompose()
    for node in tree.body.css(_BLOCKS):
        node.insert_after("\n")
    for node in tree.body.css("td, th"):
        node.insert_after(" ")
    for node in tree.body.css("h1, h2"):
        node.insert_before("\f")
    sections: list[str] = []
    for section in tree.body.text(separator="").split("\f"):
        if sections and "\n" not in sections[-1].strip():  # a heading alone: join the next
            sections[-1] += section
        elif section.strip():
            sections.append(section)
    return title, sections
