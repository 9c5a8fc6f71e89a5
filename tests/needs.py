"""Tests that run an optional system tool for real fail, not skip, when it is missing, and say
which Debian packages to install (`bash tools/test` installs them where it can)."""

import shutil
import subprocess

import pytest

OCR_PACKAGES = ("ocrmypdf", "tesseract-ocr-eng")


def _tesseract_languages() -> list[str]:
    if shutil.which("tesseract") is None:
        return []
    listing = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    )
    return listing.stdout.split()


def require_ocr() -> None:
    """Fail the calling test unless `ocrmypdf` and tesseract's English data are installed."""
    if shutil.which("ocrmypdf") is None or "eng" not in _tesseract_languages():
        pytest.fail(
            "this test runs the real ocrmypdf with tesseract's English data, which is not "
            f"installed: apt-get install {' '.join(OCR_PACKAGES)} (or run bash tools/test)",
            pytrace=False,
        )
