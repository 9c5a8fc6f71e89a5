"""Where llama.cpp's converter scripts come from, and that a user's folder is never replaced."""

import io
import tarfile

import pytest

from core.errors import JobFailure
from core.gguf import converter


def sdist(path, names: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in names.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_only_the_converter_and_what_it_imports_are_extracted(tmp_path):
    root = "llama_cpp_python-9.9.9/vendor/llama.cpp/"
    members = [
        "convert_hf_to_gguf.py",
        "convert_lora_to_gguf.py",
        "conversion/base.py",
        "gguf-py/gguf/__init__.py",
    ]
    archive = tmp_path / "x.tar.gz"
    sdist(archive, {root + m: b"#" for m in members} | {root + "src/llama.cpp": b"//"})
    converter._extract(archive, tmp_path / "out")
    found = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.*")
    )
    assert found == sorted(members)


def test_an_incomplete_archive_is_refused(tmp_path):
    archive = tmp_path / "x.tar.gz"
    sdist(archive, {"p-1/vendor/llama.cpp/convert_hf_to_gguf.py": b"#"})
    with pytest.raises(JobFailure, match="has no convert_lora_to_gguf.py"):
        converter._extract(archive, tmp_path / "out")


def test_a_folder_with_other_files_is_never_replaced(tmp_path, settings_env):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    settings_env(llama_cpp_dir=str(mine))
    with pytest.raises(JobFailure) as caught:
        converter.ensure_converter()
    assert caught.value.type == "llama_cpp_missing"
    assert (mine / "notes.txt").read_text() == "keep me"


def test_a_configured_checkout_is_used_as_it_is(tmp_path, settings_env):
    (tmp_path / converter.CONVERT_MODEL).write_text("#")
    settings_env(llama_cpp_dir=str(tmp_path))
    assert converter.ensure_converter() == tmp_path


def test_a_fetch_that_loses_the_race_uses_the_winners_folder(tmp_path, settings_env, monkeypatch):
    target = tmp_path / "llama.cpp"
    settings_env(llama_cpp_dir=str(target))
    monkeypatch.setattr(converter, "llama_cpp_version", lambda: "9.9.9")
    root = "llama_cpp_python-9.9.9/vendor/llama.cpp/"
    files = [
        "convert_hf_to_gguf.py",
        "convert_lora_to_gguf.py",
        "conversion/a.py",
        "gguf-py/gguf/b.py",
    ]

    def download_while_another_process_finishes(requirement, into):
        into.mkdir()
        sdist(into / "p.tar.gz", {root + name: b"# mine" for name in files})
        target.mkdir()  # the other process publishes its whole folder meanwhile
        (target / converter.CONVERT_MODEL).write_text("# theirs")

    monkeypatch.setattr(converter, "_pip_download", download_while_another_process_finishes)
    assert converter.ensure_converter() == target
    assert (target / converter.CONVERT_MODEL).read_text() == "# theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["llama.cpp"]  # no staging left behind
