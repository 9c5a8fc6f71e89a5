"""No package registry's host name appears in the repository: packages are installed by name
through their ordinary clients (pip, apt-get, npm …), never fetched from a named host."""

import subprocess
from pathlib import Path

REPO = Path(__file__).parent.parent


def _host(*labels: str) -> str:
    # Joined here, so this file does not hold the names it looks for.
    return ".".join(labels)


REGISTRY_HOSTS = [
    _host("pypi", "org"),  # the Python Package Index
    _host("pythonhosted", "org"),  # its file host
    _host("pypi", "python", "org"),
    _host("deb", "debian", "org"),  # Debian's mirrors
    _host("ftp", "debian", "org"),
    _host("security", "debian", "org"),
    _host("snapshot", "debian", "org"),
    _host("archive", "ubuntu", "com"),
    _host("security", "ubuntu", "com"),
    _host("ports", "ubuntu", "com"),
    _host("dl-cdn", "alpinelinux", "org"),
    _host("registry", "npmjs", "org"),
    _host("registry", "yarnpkg", "com"),
    _host("download", "pytorch", "org"),  # PyTorch's wheel index
    _host("conda", "anaconda", "org"),
    _host("repo", "anaconda", "com"),
    _host("crates", "io"),
    _host("proxy", "golang", "org"),
    _host("pkg", "go", "dev"),
    _host("rubygems", "org"),
    _host("repo1", "maven", "org"),
    _host("repo", "maven", "apache", "org"),
    _host("repo", "radeon", "com"),  # ROCm's packages and wheels
    _host("developer", "download", "nvidia", "com"),  # CUDA's packages
    _host("registry-1", "docker", "io"),
    _host("index", "docker", "io"),
]


def _repository_files() -> list[Path]:
    """Every file git tracks, and every new file it would track (not ignored)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [REPO / name for name in listing.split("\0") if name and (REPO / name).is_file()]


def test_the_scan_sees_the_whole_repository():
    names = {path.relative_to(REPO).as_posix() for path in _repository_files()}
    assert {"README.md", ".ci/run", "tools/test", "tests/test_hygiene.py"} <= names


def test_no_file_names_a_package_registry_host():
    found = []
    for path in _repository_files():
        text = path.read_bytes().decode("utf-8", errors="ignore").lower()
        found += [f"{path.relative_to(REPO)}: {host}" for host in REGISTRY_HOSTS if host in text]
    assert found == []


def test_the_scan_finds_a_host_where_one_is():
    # The needles match the way a file spells them (any case, in a URL or alone).
    line = f"pip install --index-url https://{REGISTRY_HOSTS[0].upper()}/simple x"
    assert [host for host in REGISTRY_HOSTS if host in line.lower()] == [REGISTRY_HOSTS[0]]
