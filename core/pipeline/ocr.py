"""OCR of chosen PDF pages with the `ocrmypdf` command (Debian package `ocrmypdf`)."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pypdfium2 as pdfium

SECONDS_PER_PAGE = 120  # a generous bound: a stuck tesseract must not hang the job


class OcrFailed(Exception):
    pass


def ocr_available() -> bool:
    return shutil.which("ocrmypdf") is not None


def ocr_pages(pdf_path: Path, page_indices: list[int], language: str) -> list[str]:
    """The OCR text of the given pages (0-based), in the same order.

    Only those pages are copied into a small PDF and rasterised, so a long manual with three
    scanned pages costs three pages of OCR.
    """
    with tempfile.TemporaryDirectory(prefix="c64ft-ocr-") as scratch:
        selection, sidecar = Path(scratch, "pages.pdf"), Path(scratch, "text.txt")
        source, subset = pdfium.PdfDocument(pdf_path), pdfium.PdfDocument.new()
        try:
            subset.import_pages(source, page_indices)
            subset.save(selection)
        finally:
            subset.close()
            source.close()
        options = ["--force-ocr", "--quiet", "--language", language, "--output-type", "pdf"]
        options += ["--optimize", "0", "--sidecar", str(sidecar)]
        command = ["ocrmypdf", *options, str(selection), str(Path(scratch, "out.pdf"))]
        try:
            subprocess.run(
                command,
                check=True,
                capture_output=True,
                text=True,
                timeout=SECONDS_PER_PAGE * len(page_indices),
            )
        except subprocess.CalledProcessError as exc:
            raise OcrFailed(
                f"ocrmypdf exited {exc.returncode}: {exc.stderr.strip()[-500:]}"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise OcrFailed(f"ocrmypdf took longer than {exc.timeout:.0f} s") from exc
        texts = sidecar.read_text().split("\f")  # ocrmypdf ends each page with a form feed
        return [texts[i] if i < len(texts) else "" for i in range(len(page_indices))]
