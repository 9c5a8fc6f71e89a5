"""The API image's recipe, executed without Docker (tests/e2e/image_recipe.py), then uvicorn
started from it the way its CMD starts it, against Redis."""

import pytest

from tests.conftest import copy_workspace
from tests.e2e.image_recipe import Recipe
from tests.e2e.service import Service


@pytest.mark.timeout(900)
def test_the_api_image_installs_without_torch_and_serves(
    tmp_path, redis_client, redis_url, sample_workspace
):
    recipe = Recipe("api.Dockerfile", tmp_path)
    workspace = copy_workspace(sample_workspace, tmp_path / "workspace")
    recipe.build(workspace)  # its last RUN fails the build if the app imported torch
    assert recipe.has("torch", "transformers", "peft", "trl") == []

    service = Service(workspace, redis_url, python=recipe.python)
    workers = recipe.env(workspace)["WEB_CONCURRENCY"]
    service.env |= {"WEB_CONCURRENCY": workers}
    try:
        service.start_api()
        health = service.health()
        assert (health["database"], health["broker"]) == ("ok", "ok"), health
        bodies = [
            {"kind": "gpu_smoke"},
            {"kind": "build_datasets", "model_path": "models/tiny-ministral3"},
            {"kind": "train", "model_path": "models/tiny-ministral3", "max_length": 128},
            {"kind": "export", "model_path": "models/tiny-ministral3"},
            {
                "kind": "validate_reasoning",
                "runtime": "transformers",
                "model_path": "models/tiny-ministral3",
            },
            {
                "kind": "workflow",
                "build_datasets": {"model_path": "models/tiny-ministral3"},
                "train": {"model_path": "models/tiny-ministral3"},
            },
        ]
        dry_runs = {}
        for body in bodies:
            response = service.http.post("/jobs", params={"dry_run": "true"}, json=body)
            assert response.status_code == 200, response.text
            dry_runs[body["kind"]] = response.json()
        # tokenizers and pyarrow, in the API image, counted the datasets' tokens
        plan = next(c for c in dry_runs["train"]["checks"] if c["name"] == "plan")
        assert plan["status"] == "pass" and plan["data"]["phases"]["sft"]["splits"], plan
        assert dry_runs["workflow"]["ok"], dry_runs["workflow"]["checks"]
        log = (workspace / "api.log").read_text()
        assert log.count("Started server process") == int(workers), log
    finally:
        service.stop()
        print(service.logs())
