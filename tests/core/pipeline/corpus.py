"""Source documents built at test time: PDFs (fpdf2), HTML, and an image-only PDF page."""

import random
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

SUBJECTS = [
    "The VIC-II chip",
    "The SID voice",
    "A CIA timer",
    "The KERNAL routine",
    "The raster interrupt",
    "Sprite zero",
    "The border colour",
    "The filter cutoff",
    "The keyboard matrix",
    "The processor port",
    "Colour RAM",
    "The screen memory",
]
VERBS = [
    "reads",
    "writes",
    "controls",
    "selects",
    "latches",
    "enables",
    "clears",
    "shifts",
    "masks",
    "triggers",
    "stores",
    "compares",
]
OBJECTS = [
    "the low byte",
    "bit seven",
    "the envelope",
    "the bank",
    "the pointer",
    "the counter",
    "the vector",
    "the character set",
    "the attack rate",
    "the data direction",
    "the scan line",
    "the pulse width",
]
TAILS = [
    "before the next frame",
    "when the program starts",
    "during the interrupt",
    "after a reset",
    "on every cycle",
    "from BASIC with POKE",
    "in machine language",
    "while the screen is blanked",
]


def technical_page(rng: random.Random, sentences: int = 14) -> str:
    """A page of C64-flavoured prose: distinct for each seed, with `$XXXX` addresses."""
    lines = []
    for _ in range(sentences):
        address = f"${rng.choice(['D0', 'D4', 'DC', 'DD'])}{rng.randrange(256):02X}"
        lines.append(
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} at {address} "
            f"{rng.choice(TAILS)}, value {rng.randrange(256)}."
        )
    return " ".join(lines)


def write_pdf(path: Path, pages: list[str], *, header: str | None = None) -> Path:
    """One PDF page per text; a running header and a 'Page N' footer on each when asked."""
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.set_title(path.stem)
    pdf.set_auto_page_break(False)
    pdf.set_font("helvetica", size=9)
    for number, text in enumerate(pages, 1):
        pdf.add_page()
        if header:
            pdf.cell(0, 6, header, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 4.5, text)
        if header:
            pdf.set_y(-15)
            pdf.cell(0, 6, f"Page {number}")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def write_html(path: Path, title: str, sections: dict[str, str]) -> Path:
    body = "".join(f"<h2>{heading}</h2><p>{text}</p>" for heading, text in sections.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<html><head><title>{title}</title><style>p {{}}</style></head><body>"
        f"<nav>Home | Index</nav><h1>{title}</h1>{body}<footer>Notes</footer></body></html>"
    )
    return path


def _font(size: int):
    for candidate in Path("/usr/share/fonts").rglob("DejaVuSans.ttf"):
        return ImageFont.truetype(str(candidate), size)
    return ImageFont.load_default(size=size)


def write_image_pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF with no text layer: the lines are pixels only (a scanned page)."""
    image = Image.new("L", (1700, 2200), 255)
    draw, font = ImageDraw.Draw(image), _font(40)
    for row, line in enumerate(lines):
        draw.text((120, 150 + row * 70), line, fill=0, font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    png = path.with_suffix(".png")
    image.save(png)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(png), x=0, y=0, w=210, h=297)
    pdf.output(str(path))
    png.unlink()
    return path
