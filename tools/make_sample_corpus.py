"""Write the bundled sample corpus of C64 technical notes (PDF and HTML).

Usage: python tools/make_sample_corpus.py [OUT_DIR]     (default: c64ft/sample_corpus)

The text is original, written for this project, and lives in tools/sample_corpus_src/*.md.
Each source file starts with "key: value" lines (title and output required; header, subject
and readme optional), a blank line, then the body in a small markdown subset:

  @page            starts a PDF page (HTML documents use "## " sections instead)
  @page image      this page is rendered to a PNG and placed with no text layer (a "scan")
  @reprint F N     reprint page N of source F here (a planted near-duplicate), followed by
  @edit A => B     lines, each replacing text A (which must occur) with B
  # / ##           headings;  ``` fenced code;  | a | b | tables;  - bullets;  % comments
  ```lines         a fenced block set in the body font, one line each (an index page)

The output is byte-for-byte the same on every run with the same fpdf2 and Pillow versions and
the same DejaVu font: the PDF dates, metadata and file id are fixed.
"""

from __future__ import annotations

import html
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = Path(__file__).resolve().parent / "sample_corpus_src"
DEFAULT_OUT = ROOT / "c64ft" / "sample_corpus"
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
AUTHOR = "c64ft project"

# PDF page geometry (A4, millimetres).
PAGE_W, PAGE_H = 210, 297
MARGIN = 20
BODY_TOP, BODY_BOTTOM = 24, 274
# The image-only page: 200 DPI A4, a real TrueType font when the system has one.
DPI = 200
FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
]


@dataclass
class Block:
    kind: str  # heading | para | code | lines | table | bullets
    text: str = ""
    level: int = 1
    lines: list[str] = field(default_factory=list)


@dataclass
class Page:
    blocks: list[Block]
    image: bool = False
    reprint_of: str = ""  # "source.md page N" for a planted near-duplicate


@dataclass
class Document:
    meta: dict[str, str]
    pages: list[Page]  # PDF: one per page; HTML: a single page holding every block
    source: str


class CorpusError(Exception):
    """A source file the generator cannot render as asked."""


# --- parsing -----------------------------------------------------------------------------------


def parse_blocks(lines: list[str], where: str) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            i += 1
        elif stripped.startswith("```"):
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith("```"):
                end += 1
            if end == len(lines):
                raise CorpusError(f"{where}: unclosed ``` block")
            kind = "lines" if stripped[3:].strip() == "lines" else "code"
            blocks.append(Block(kind, lines=[ln.rstrip() for ln in lines[i + 1 : end]]))
            i = end + 1
        elif stripped.startswith("#"):
            level = len(stripped) - len(stripped.lstrip("#"))
            blocks.append(Block("heading", text=stripped[level:].strip(), level=level))
            i += 1
        elif stripped.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append(Block("table", lines=["\t".join(r) for r in rows]))
        elif stripped.startswith("- "):
            items: list[str] = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith("%"):
                cur = lines[i].strip()
                if cur.startswith("- "):
                    items.append(cur[2:])
                elif items:
                    items[-1] += " " + cur
                i += 1
            blocks.append(Block("bullets", lines=items))
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
                para.append(lines[i].strip())
                i += 1
            blocks.append(Block("para", text=" ".join(para)))
    return blocks


def _starts_block(line: str) -> bool:
    s = line.strip()
    return s.startswith(("```", "#", "|", "- ", "%", "@"))


def split_source(path: Path) -> tuple[dict[str, str], list[str]]:
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    meta = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip()
    for key in ("title", "output"):
        if key not in meta:
            raise CorpusError(f"{path.name}: front matter lacks '{key}:'")
    return meta, body.splitlines()


def parse_document(path: Path, cache: dict[str, Document]) -> Document:
    if path.name in cache:
        return cache[path.name]
    meta, lines = split_source(path)
    if meta["output"].endswith(".html"):
        doc = Document(meta, [Page(parse_blocks(lines, path.name))], path.name)
        cache[path.name] = doc
        return doc
    pages: list[Page] = []
    chunk: list[str] | None = None
    image = False
    for n, line in enumerate(lines, 1):
        if line.startswith("@page"):
            if chunk is not None:
                pages.append(Page(parse_blocks(chunk, f"{path.name}:{n}"), image))
            chunk, image = [], line.split()[1:] == ["image"]
        elif line.startswith("@reprint"):
            if chunk is not None:
                pages.append(Page(parse_blocks(chunk, f"{path.name}:{n}"), image))
            _, src_name, number = line.split()
            src = parse_document(SRC_DIR / src_name, cache)
            blocks = [_copy(b) for b in src.pages[int(number) - 1].blocks]
            pages.append(Page(blocks, reprint_of=f"{src.meta['output']} page {number}"))
            chunk = None
        elif line.startswith("@edit"):
            old, sep, new = line[len("@edit") :].partition("=>")
            if not sep:
                raise CorpusError(f"{path.name}:{n}: @edit needs 'old => new'")
            _apply_edit(pages[-1], old.strip(), new.strip(), f"{path.name}:{n}")
        elif chunk is not None:
            chunk.append(line)
    if chunk is not None:
        pages.append(Page(parse_blocks(chunk, path.name), image))
    doc = Document(meta, pages, path.name)
    cache[path.name] = doc
    return doc


def _copy(block: Block) -> Block:
    return Block(block.kind, block.text, block.level, list(block.lines))


def _apply_edit(page: Page, old: str, new: str, where: str) -> None:
    for block in page.blocks:
        if old in block.text:
            block.text = block.text.replace(old, new, 1)
            return
        for k, line in enumerate(block.lines):
            if old in line:
                block.lines[k] = line.replace(old, new, 1)
                return
    raise CorpusError(f"{where}: @edit text not found on the reprinted page: {old!r}")


def plain(text: str) -> str:
    return text.replace("`", "")


# --- PDF ---------------------------------------------------------------------------------------


class NotesPDF(FPDF):
    def __init__(self, header_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.header_text = header_text
        self.image_pages: set[int] = set()  # scans carry their own header and footer
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)

    def header(self) -> None:
        if self.page_no() in self.image_pages:
            return
        self.set_font("Helvetica", "I", 9)
        self.set_xy(MARGIN, 10)
        self.cell(0, 5, self.header_text, align="L")
        self.line(MARGIN, 16, PAGE_W - MARGIN, 16)

    def footer(self) -> None:
        if self.page_no() in self.image_pages:
            return
        self.set_font("Helvetica", "", 9)
        self.set_xy(MARGIN, 282)
        self.cell(0, 5, f"Page {self.page_no()}", align="C")


def render_pdf(doc: Document, out: Path) -> None:
    header = doc.meta.get("header", doc.meta["title"])
    pdf = NotesPDF(header)
    pdf.set_title(doc.meta["title"])
    pdf.set_author(AUTHOR)
    pdf.set_subject(doc.meta.get("subject", "Commodore 64 technical notes"))
    pdf.set_keywords("Commodore 64, C64, sample corpus")
    pdf.set_creator("tools/make_sample_corpus.py")
    pdf.set_producer("c64ft sample corpus generator")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_lang("en")
    for number, page in enumerate(doc.pages, 1):
        where = f"{doc.source} page {number}"
        if page.image:
            pdf.image_pages.add(number)
            pdf.add_page()
            pdf.image(render_scan(page, header, number), x=0, y=0, w=PAGE_W, h=PAGE_H)
            continue
        pdf.add_page()
        pdf.set_xy(MARGIN, BODY_TOP)
        for block in page.blocks:
            render_pdf_block(pdf, block, where)
        if pdf.page_no() != number or pdf.get_y() > BODY_BOTTOM:
            raise CorpusError(f"{where}: text overflows the page; shorten it")
    pdf.output(str(out))


def render_pdf_block(pdf: FPDF, block: Block, where: str) -> None:
    width = PAGE_W - 2 * MARGIN
    if block.kind == "heading":
        pdf.set_font("Helvetica", "B", 14 if block.level == 1 else 11.5)
        pdf.multi_cell(width, 7, plain(block.text), align="L")
        pdf.ln(1.5)
    elif block.kind == "para":
        pdf.set_font("Helvetica", "", 10.5)
        pdf.multi_cell(width, 5.2, plain(block.text), align="L")
        pdf.ln(2.2)
    elif block.kind == "bullets":
        pdf.set_font("Helvetica", "", 10.5)
        for item in block.lines:
            pdf.set_x(MARGIN + 3)
            pdf.multi_cell(width - 3, 5.2, "- " + plain(item), align="L")
        pdf.ln(2.2)
    elif block.kind == "lines":
        pdf.set_font("Helvetica", "", 10.5)
        for line in block.lines:
            pdf.set_x(MARGIN)
            pdf.cell(width, 5.6, plain(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.2)
    elif block.kind == "code":
        pdf.set_font("Courier", "", 9.5)
        pdf.set_fill_color(242, 242, 242)
        for line in block.lines:
            if pdf.get_string_width(line) > width - 4:
                raise CorpusError(f"{where}: code line too wide: {line!r}")
            pdf.set_x(MARGIN)
            pdf.cell(width, 4.6, "  " + line, fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.2)
    elif block.kind == "table":
        pdf.set_font("Helvetica", "", 9.5)
        rows = [line.split("\t") for line in block.lines]
        # Columns as wide as their longest cell, scaled to the text width.
        natural = [
            max(pdf.get_string_width(plain(r[k])) for r in rows if k < len(r)) + 3
            for k in range(len(rows[0]))
        ]
        with pdf.table(
            width=width,
            col_widths=tuple(natural),
            line_height=4.8,
            text_align="LEFT",
            first_row_as_headings=True,
            padding=0.8,
        ) as table:
            for cells in rows:
                row = table.row()
                for cell in cells:
                    row.cell(plain(cell))
        pdf.ln(2.2)


def load_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def render_scan(page: Page, header: str, number: int) -> io.BytesIO:
    """A page of clear prose as a greyscale PNG, like a scan: header, text and page number."""
    px = round(PAGE_W / 25.4 * DPI), round(PAGE_H / 25.4 * DPI)
    img = Image.new("L", px, 255)
    draw = ImageDraw.Draw(img)
    left, right = round(MARGIN / 25.4 * DPI), px[0] - round(MARGIN / 25.4 * DPI)
    small, body, title = load_font(24), load_font(32), load_font(40)
    draw.text((left, 80), header, font=small, fill=0)
    draw.line((left, 124, right, 124), fill=0, width=2)
    y = 190
    for block in page.blocks:
        if block.kind not in ("heading", "para"):
            raise CorpusError("the image page takes headings and paragraphs only")
        font, size = (title, 40) if block.kind == "heading" else (body, 32)
        for line in wrap(plain(block.text), font, right - left):
            draw.text((left, y), line, font=font, fill=0)
            y += round(size * 1.5)
        y += 26
    if y > px[1] - 260:
        raise CorpusError("the image page overflows; shorten it")
    footer = f"Page {number}"
    draw.text(
        ((px[0] - draw.textlength(footer, font=small)) / 2, px[1] - 190), footer, font=small, fill=0
    )
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    buf.seek(0)
    return buf


def wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if font.getlength(trial) <= width:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


# --- HTML --------------------------------------------------------------------------------------


def inline_html(text: str) -> str:
    parts = text.split("`")
    return "".join(
        f"<code>{html.escape(p, quote=False)}</code>" if k % 2 else html.escape(p, quote=False)
        for k, p in enumerate(parts)
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", plain(text).lower()).strip("-")


def render_html(doc: Document, out: Path, siblings: list[Document]) -> None:
    blocks = doc.pages[0].blocks
    sections = [b.text for b in blocks if b.kind == "heading" and b.level == 2]
    other = " |\n".join(
        f'<a href="{d.meta["output"]}">{html.escape(d.meta["title"])}</a>' for d in siblings
    )
    body: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            tag = f"h{min(block.level, 3)}"
            anchor = f' id="{slug(block.text)}"' if block.level == 2 else ""
            body.append(f"<{tag}{anchor}>{inline_html(block.text)}</{tag}>")
        elif block.kind == "para":
            body.append(f"<p>{inline_html(block.text)}</p>")
        elif block.kind == "bullets":
            items = "\n".join(f"  <li>{inline_html(item)}</li>" for item in block.lines)
            body.append(f"<ul>\n{items}\n</ul>")
        elif block.kind == "lines":
            body.append("<p>" + "<br>\n".join(inline_html(ln) for ln in block.lines) + "</p>")
        elif block.kind == "code":
            code = html.escape("\n".join(block.lines), quote=False)
            body.append(f"<pre><code>{code}</code></pre>")
        elif block.kind == "table":
            rows = [line.split("\t") for line in block.lines]
            head = "".join(f"<th>{inline_html(c)}</th>" for c in rows[0])
            trs = [f"  <tr>{head}</tr>"]
            for cells in rows[1:]:
                trs.append(
                    "  <tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in cells) + "</tr>"
                )
            body.append("<table>\n" + "\n".join(trs) + "\n</table>")
    toc = "\n".join(f'    <li><a href="#{slug(s)}">{inline_html(s)}</a></li>' for s in sections)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="author" content="{AUTHOR}">
<title>{html.escape(doc.meta["title"])}</title>
</head>
<body>
<nav>
  <p>C64 Technical Notes: {other}</p>
  <ul>
{toc}
  </ul>
</nav>
<main>
{chr(10).join(body)}
</main>
<footer>
  <p>C64 Technical Notes, original text written for the c64ft sample corpus.
  Generated by tools/make_sample_corpus.py; do not edit by hand.</p>
</footer>
</body>
</html>
"""
    out.write_text(page, encoding="utf-8")


# --- README and main ---------------------------------------------------------------------------


def render_readme(docs: list[Document], out: Path) -> None:
    rows = []
    for doc in docs:
        if doc.meta["output"].endswith(".pdf"):
            notes = [doc.meta["readme"]] if "readme" in doc.meta else []
            for k, p in enumerate(doc.pages, 1):
                if p.image:
                    notes.append(f"page {k} is an image only, a scan for OCR")
                if p.reprint_of:
                    notes.append(f"page {k} reprints {p.reprint_of} (a near-duplicate)")
            count = "; ".join([f"{len(doc.pages)} pages", *notes])
        else:
            n = sum(1 for b in doc.pages[0].blocks if b.kind == "heading" and b.level == 2)
            count = f"{n} sections"
        rows.append(f"| `{doc.meta['output']}` | {doc.meta['title']} | {count} |")
    text = f"""# Sample corpus: C64 Technical Notes

A small set of Commodore 64 technical notes (PDF and HTML) bundled with c64ft. The data
pipeline and the quick start use it to build DAPT chunks and SFT examples and to train a tiny
model without any real manual at hand.

The text is original, written for this project; the facts it states (addresses, registers,
routines, values) are facts about the machine. No text was copied from any manual or book.

| file | title | size |
| --- | --- | --- |
{chr(10).join(rows)}

What the pipeline meets on purpose (see the table): a running header and a "Page N" footer on
every PDF page; a notice page, a contents page and an index page, which carry no technical
prose; one page with no text layer, which only OCR recovers; one page reprinted in another
document with a different header and small edits, which near-duplicate removal should drop;
`<nav>` and `<footer>` boilerplate in the HTML files.

Do not edit these files, this README included, by hand. Edit `tools/sample_corpus_src/*.md`,
then run

```bash
python tools/make_sample_corpus.py            # writes c64ft/sample_corpus/
```

The output is the same bytes on every run with the same fpdf2 and Pillow versions and the same
DejaVu Sans font (used only to draw the image page).
"""
    out.write_text(text, encoding="utf-8")


def check_text(doc: Document) -> None:
    """PDFs use the core fonts, so their text must be Latin-1 (keep it ASCII)."""
    for page in doc.pages:
        for block in page.blocks:
            for text in [block.text, *block.lines]:
                bad = sorted({ch for ch in text if ord(ch) > 126})
                if bad:
                    raise CorpusError(f"{doc.source}: use ASCII only, found {bad}")


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out_dir.mkdir(parents=True, exist_ok=True)
    cache: dict[str, Document] = {}
    docs = [parse_document(p, cache) for p in sorted(SRC_DIR.glob("*.md"))]
    docs.sort(key=lambda d: (not d.meta["output"].endswith(".pdf"), d.meta["output"]))
    for doc in docs:
        check_text(doc)
        target = out_dir / doc.meta["output"]
        if target.suffix == ".pdf":
            render_pdf(doc, target)
        else:
            render_html(doc, target, [d for d in docs if d is not doc])
        print(f"wrote {target}")
    render_readme(docs, out_dir / "README.md")
    print(f"wrote {out_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except CorpusError as exc:
        sys.exit(f"make_sample_corpus: {exc}")
