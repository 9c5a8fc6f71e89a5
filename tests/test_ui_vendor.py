"""The dashboard's vendored browser files (api/ui/static/vendor/) are byte for byte those of
the package versions ui/package.json pins: `npm pack` fetches each pinned package through npm
and every vendored file is compared with the package's own (tools/vendor_ui copies them)."""

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
VENDOR = REPO / "api/ui/static/vendor"
PINS = json.loads((REPO / "ui/package.json").read_text())["dependencies"]


def test_the_lockfile_pins_the_same_versions_and_names_no_registry():
    lock = json.loads((REPO / "ui/package-lock.json").read_text())["packages"]
    for name, version in PINS.items():
        assert lock[f"node_modules/{name}"]["version"] == version
        assert "resolved" not in lock[f"node_modules/{name}"]
    assert {p.name for p in VENDOR.iterdir()} == set(PINS)


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed (CI has it)")
def test_vendored_files_are_those_of_the_pinned_packages(tmp_path):
    for name, version in PINS.items():
        packed = subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(tmp_path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        tarball = tmp_path / json.loads(packed.stdout)[0]["filename"]
        with tarfile.open(tarball) as archive:
            contents = {}  # file name -> the bytes of each package file of that name
            for member in archive.getmembers():
                if member.isfile() and (read := archive.extractfile(member)):
                    contents.setdefault(Path(member.name).name, []).append(read.read())
        vendored = sorted((VENDOR / name).iterdir())
        assert vendored, name
        for file in vendored:
            assert file.read_bytes() in contents.get(file.name, []), file
