"""The /jobs routes in-process, on the real SQLite store and the embedded broker."""

import pytest

SMOKE = {"kind": "gpu_smoke", "allow_cpu": True}


def post(client, body, **params):
    return client.post("/jobs", json=body, params=params)


def test_submit_returns_the_queued_job_with_its_resolved_spec(client):
    response = post(client, {**SMOKE, "metadata": {"run": "nightly"}})
    assert response.status_code == 201
    job = response.json()
    assert job["id"].startswith("job_") and job["status"] == "queued" and job["attempt"] == 0
    assert job["spec"] == {
        "kind": "gpu_smoke",
        "allow_cpu": True,
        "matrix_size": 1024,
        "burn_in_s": 0.0,
    }
    assert job["metadata"] == {"run": "nightly"}
    assert job["queue_position"] >= 1
    assert set(job["progress"]) == {"fraction", "step", "total_steps", "elapsed_s", "eta_s"}
    assert client.get(f"/jobs/{job['id']}").json()["spec"] == job["spec"]


def test_dry_run_resolves_and_checks_without_queueing(client):
    def job_ids() -> list[str]:  # which jobs exist (a running one's elapsed_s moves meanwhile)
        return [job["id"] for job in client.get("/jobs", params={"limit": 100}).json()["data"]]

    before = job_ids()
    response = post(client, {"kind": "gpu_smoke"}, dry_run="true")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["queue"] == "gpu" and body["spec"]["allow_cpu"] is False
    assert {c["name"] for c in body["checks"]} == {"spec", "workers"}
    assert job_ids() == before


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"kind": "make_coffee"}, "body", "does not match any of the expected tags"),
        ({**SMOKE, "allow_gpu": True}, "allow_gpu", "Extra inputs are not permitted"),
        ({**SMOKE, "allow_cpu": "yes"}, "allow_cpu", "valid boolean"),
        ({**SMOKE, "matrix_size": "512"}, "matrix_size", "valid integer"),
        ({**SMOKE, "matrix_size": -5}, "matrix_size", "greater than or equal to 16"),
        ({**SMOKE, "burn_in_s": -1}, "burn_in_s", "greater than or equal to 0"),
        ({**SMOKE, "metadata": {"k": 1}}, "k", "valid string"),
        ({"allow_cpu": True}, "body", "Unable to extract tag using discriminator 'kind'"),
    ],
)
def test_bad_specs_are_422_naming_the_field(client, body, field, reason):
    response = post(client, body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == field and reason in error["msg"]


def test_malformed_json_is_422_not_500(client):
    response = client.post(
        "/jobs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_a_2mb_body_is_refused_with_413(client):
    big = {**SMOKE, "metadata": {"x": "y" * 2_000_000}}
    response = post(client, big)
    assert response.status_code == 413 and "request body over" in response.json()["detail"]


def test_a_chunked_2mb_body_without_length_is_refused_too(client):
    def chunks():
        for _ in range(40):
            yield b" " * 50_000

    response = client.post("/jobs", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_unknown_job_is_404_on_every_route(client):
    for path in ("", "/events", "/metrics", "/checkpoints"):
        assert client.get(f"/jobs/job_missing{path}").status_code == 404
    assert client.post("/jobs/job_missing/cancel").status_code == 404


def test_cancel_queued_then_cancel_again_is_409(client):
    job = post(client, SMOKE).json()
    assert client.post(f"/jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    again = client.post(f"/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and "already finished" in again.json()["detail"]


def test_events_are_ordered_and_pageable(client):
    job = post(client, SMOKE).json()
    client.post(f"/jobs/{job['id']}/cancel")
    events = client.get(f"/jobs/{job['id']}/events").json()["data"]
    assert [e["stage"] for e in events] == ["queue", "cancel"]
    later = client.get(f"/jobs/{job['id']}/events", params={"after": events[0]["id"]}).json()
    assert [e["id"] for e in later["data"]] == [events[1]["id"]]


def test_metrics_and_checkpoints_of_a_new_job_are_empty_lists(client):
    job = post(client, SMOKE).json()
    assert client.get(f"/jobs/{job['id']}/metrics").json() == {
        "object": "list",
        "data": [],
        "has_more": False,
    }
    assert client.get(f"/jobs/{job['id']}/checkpoints").json()["data"] == []


def test_list_filters_and_pages(client):
    ids = [post(client, SMOKE).json()["id"] for _ in range(3)]
    client.post(f"/jobs/{ids[0]}/cancel")
    cancelled = client.get("/jobs", params={"status": "cancelled", "limit": 100}).json()["data"]
    assert ids[0] in {j["id"] for j in cancelled} and all(
        j["status"] == "cancelled" for j in cancelled
    )
    first = client.get("/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in first["data"]] == ids[:0:-1] and first["has_more"]
    second = client.get("/jobs", params={"limit": 1, "before": ids[1]}).json()
    assert [j["id"] for j in second["data"]] == [ids[0]]
    assert client.get("/jobs", params={"status": "exploded"}).status_code == 422
    assert client.get("/jobs", params={"before": "job_missing"}).status_code == 422
    assert client.get("/jobs", params={"limit": 0}).status_code == 422


def test_openapi_has_an_example_for_each_job_kind(client):
    from core.kinds import KINDS

    schema = client.get("/openapi.json").json()
    examples = schema["paths"]["/jobs"]["post"]["requestBody"]["content"]["application/json"][
        "examples"
    ]
    assert {example["value"]["kind"] for example in examples.values()} == set(KINDS)
    assert client.get("/docs").status_code == 200


def test_health_checks_the_database_and_the_broker(client):
    body = client.get("/health").json()
    assert body["database"] == "ok" and body["broker"] == "ok" and body["status"] == "ok"


def test_a_checkpoint_deleted_by_retention_is_listed_as_not_on_disk(client):
    from core.config import get_settings
    from core.jobs import journal

    job = post(client, SMOKE).json()
    kept = get_settings().workspace / "models/retention/checkpoint-10"
    kept.mkdir(parents=True, exist_ok=True)  # again on the second backend
    journal.add_checkpoint(
        job["id"], phase="sft", step=5, path="models/retention/checkpoint-5", metrics=None
    )
    journal.add_checkpoint(
        job["id"], phase="sft", step=10, path="models/retention/checkpoint-10", metrics=None
    )
    listed = client.get(f"/jobs/{job['id']}/checkpoints").json()["data"]
    assert [(c["step"], c["on_disk"]) for c in listed] == [(5, False), (10, True)]
