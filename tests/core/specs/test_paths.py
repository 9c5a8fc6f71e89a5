"""A spec path is refused unless every os call could take it, and unless it stays in the
workspace or (an input) under an input root (core/specs/paths.py)."""

import json

import pytest
from pydantic import TypeAdapter, ValidationError

from core.config import Settings, get_settings
from core.kinds.train.spec import MERGED_SUFFIX
from core.specs.paths import MAX_NAME_BYTES, WorkspacePath, relative, resolve, resolve_input

path = TypeAdapter(WorkspacePath)


@pytest.mark.parametrize(
    "value", ["data/processed", "models/" + "a" * MAX_NAME_BYTES, "résultats/ü", "./a/", "."]
)
def test_ordinary_paths_pass(value):
    path.validate_python(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a" * (MAX_NAME_BYTES + 1), "at most 223 bytes"),
        ("x/" + "€" * 75, "at most 223 bytes"),  # 75 characters, 225 bytes
        ("é/" * 350, "at most 1024 bytes"),  # 700 characters, 1050 bytes
        ("a\x00b", "control characters"),
        ("a\tb", "control characters"),
        ("a\ud800", "(?i)unicode"),
        ("/etc", "must lie inside the workspace"),
        ("~root", "not a home folder"),
        ("a/../..", "'..'"),
    ],
    ids=lambda item: item if len(item) < 40 else f"{len(item)}-characters",
)
def test_paths_an_os_call_would_refuse_or_that_leave_are_refused(value, reason):
    with pytest.raises(ValidationError, match=reason):
        path.validate_python(value)


def test_the_longest_name_leaves_room_for_the_longest_publish_suffix():
    longest_temporary = f".{'a' * MAX_NAME_BYTES}{MERGED_SUFFIX}.0123abcd.tmp"
    assert len(longest_temporary.encode()) <= 255


def test_an_absolute_path_in_the_workspace_is_stored_relative():
    workspace = get_settings().workspace
    assert path.validate_python(f"{workspace}/data/processed") == "data/processed"
    assert path.validate_python(f"{workspace}//c64_docs/./") == "c64_docs"
    assert path.validate_python(str(workspace)) == "."


def test_the_workspace_spelt_through_a_symlink_is_the_workspace(tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(get_settings().workspace)
    assert path.validate_python(f"{alias}/models/base") == "models/base"


def test_an_absolute_path_outside_is_refused_unless_under_an_input_root(settings_env, tmp_path):
    with pytest.raises(ValidationError, match="C64FT_INPUT_ROOTS"):
        path.validate_python(f"{tmp_path}/manuals")
    settings_env(input_roots=json.dumps([str(tmp_path)]))
    assert path.validate_python(f"{tmp_path}/manuals") == f"{tmp_path}/manuals"
    with pytest.raises(ValidationError, match="'..'"):
        path.validate_python(f"{tmp_path}/../etc")


def test_a_symlink_to_an_input_root_resolves_for_inputs_only(settings_env, tmp_path):
    workspace, shared = tmp_path / "workspace", tmp_path / "shared"
    (shared / "manuals").mkdir(parents=True)
    workspace.mkdir()
    (workspace / "c64_docs").symlink_to(shared / "manuals")
    with pytest.raises(ValueError, match="leads outside the workspace"):
        resolve_input(workspace, "c64_docs")  # no input root yet
    settings_env(input_roots=json.dumps([str(shared)]))
    assert resolve_input(workspace, "c64_docs") == (shared / "manuals").resolve()
    with pytest.raises(ValueError, match="leads outside the workspace"):
        resolve(workspace, "c64_docs")  # an output never leaves the workspace
    with pytest.raises(ValueError, match="input roots"):
        resolve_input(workspace, str(tmp_path))  # above the root: not under it
    assert relative(workspace, shared / "manuals") == str(shared / "manuals")
    assert relative(workspace, workspace / "data") == "data"


def test_input_roots_are_absolute_folders_that_do_not_hold_the_workspace(tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    with pytest.raises(ValidationError, match="must be an absolute folder"):
        Settings(workspace=workspace, input_roots=["shared"])
    with pytest.raises(ValidationError, match="holds the workspace"):
        Settings(workspace=workspace, input_roots=[str(tmp_path)])
    settings = Settings(workspace=workspace, input_roots=[str(tmp_path / "shared")])
    shown = settings.in_force()["C64FT_INPUT_ROOTS"]
    assert json.loads(shown) == [str((tmp_path / "shared").resolve())]
    assert Settings(workspace=workspace).in_force()["C64FT_INPUT_ROOTS"] == "[]"
