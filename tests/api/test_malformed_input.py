"""Malformed input is a 4xx naming the field, never a 500 (issue 12, finding 3)."""

import json
from typing import get_args

import pytest

from core.kinds import KINDS
from core.specs.paths import WorkspacePath

SURROGATE = "\ud800"  # a lone UTF-16 surrogate: valid in a JSON string, not in UTF-8


def path_fields() -> list[tuple[dict, str]]:
    """(a body to put the path in, the field) for every path field of every kind, workflow
    sections included."""
    found = []
    for kind, info in KINDS.items():
        for name, field in info.spec.model_fields.items():
            annotation = field.rebuild_annotation()  # a WorkspacePath, optional or not
            if annotation == WorkspacePath or WorkspacePath in get_args(annotation):
                found.append(({"kind": kind}, name))
                found.append(({"kind": "workflow", "steps": [kind], kind: {}}, name))
    return found


def with_path(body: dict, field: str, value: str) -> dict:
    if body["kind"] == "workflow":
        section = body["steps"][0]
        return {**body, section: {field: value}}
    return {**body, field: value}


def post_raw(client, body: dict):
    """POST the body as JSON with \\uXXXX escapes, the way any client sends a lone surrogate."""
    content = json.dumps(body, ensure_ascii=True).encode()
    return client.post("/jobs", content=content, headers={"content-type": "application/json"})


def assert_422_naming(response, field: str) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for error in detail:
        assert {"loc", "msg", "type"} <= set(error)
    assert field in [part for error in detail for part in error["loc"]], detail


def test_there_are_path_fields_in_every_kind_that_has_paths():
    kinds = {body.get("steps", [body["kind"]])[0] for body, _ in path_fields()}
    assert kinds == {"build_datasets", "train", "export", "validate_reasoning"}
    assert len(path_fields()) == 2 * 19


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": SURROGATE}, "body"),
        ({"kind": "gpu_smoke", "allow_cpu": SURROGATE}, "allow_cpu"),
        ({"kind": "gpu_smoke", "metadata": {"run": "a" + SURROGATE}}, "run"),
        ({"kind": "gpu_smoke", "metadata": {SURROGATE: "x"}}, "metadata"),
        ({"kind": "build_datasets", "ocr_language": SURROGATE}, "ocr_language"),
        ({"kind": "train", "from_checkpoint": SURROGATE}, "from_checkpoint"),
        ({"kind": "validate_reasoning", "system_prompt": SURROGATE}, "system_prompt"),
        ({"kind": "workflow", "steps": ["train"], "train": {"phase": SURROGATE}}, "phase"),
    ],
)
def test_a_lone_surrogate_anywhere_is_422_naming_the_field(client, body, field):
    response = post_raw(client, body)
    assert_422_naming(response, field)
    assert "\\ud800" in response.text  # echoed as text, not as an unencodable character


@pytest.mark.parametrize(("body", "field"), path_fields())
@pytest.mark.parametrize(
    "value",
    [
        "a" * 256,  # over the file system's 255 bytes
        "models/" + "é" * 120,  # 120 characters, 240 bytes
        "data/x" + SURROGATE,
        "data/a\x00b",
        "data/a\nb",
    ],
    ids=["256-bytes", "240-bytes-utf8", "surrogate", "nul", "newline"],
)
def test_a_path_no_file_system_takes_is_422_naming_the_field(client, body, field, value):
    assert_422_naming(post_raw(client, with_path(body, field, value)), field)


@pytest.mark.parametrize("route", ["events", "metrics"])
def test_after_beyond_a_64_bit_row_id_is_422_naming_after(client, route):
    job = client.post("/jobs", json={"kind": "gpu_smoke", "allow_cpu": True}).json()
    largest = client.get(f"/jobs/{job['id']}/{route}", params={"after": 2**63 - 1})
    assert largest.status_code == 200 and largest.json()["data"] == []
    response = client.get(f"/jobs/{job['id']}/{route}", params={"after": 2**63})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "after"]


def test_before_an_unknown_job_is_the_documented_422_array(client):
    response = client.get("/jobs", params={"before": "job_missing"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "before"] and "job_missing" in error["msg"]
    assert error["type"] == "job_not_found"


def test_a_body_that_is_not_utf8_is_400_with_a_detail(client):
    response = client.post(
        "/jobs", content=b'{"kind": "gpu_smoke\xff"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and isinstance(response.json()["detail"], str)
