"""A job's `webhooks` at submission: a 422 naming the field for a URL the service must not call,
and GET /jobs/{id}/webhooks listing the deliveries of one it accepts."""

import pytest

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SMOKE = {"kind": "gpu_smoke", "allow_cpu": True}
ALLOWED = "http://hooks.test/c64ft"


@pytest.fixture
def hooks(settings_env):
    settings_env(webhook_secret=SECRET, webhook_allowed_hosts='["hooks.test"]')


def submit(client, *webhooks: dict, **fields):
    return client.post("/jobs", json={**SMOKE, **fields, "webhooks": list(webhooks)})


@pytest.mark.parametrize(
    ("webhooks", "loc", "reason"),
    [
        ([{"url": "http://evil.test/x"}], ["webhooks", "0", "url"], "not on C64FT_WEBHOOK_"),
        ([{"url": ALLOWED}, {"url": "http://10.0.0.1/"}], ["webhooks", "1", "url"], "10.0.0.1"),
        ([{"url": "ftp://hooks.test/x"}], ["webhooks", 0, "url"], "scheme should be 'http'"),
        ([{"url": "hooks.test"}], ["webhooks", 0, "url"], "valid URL"),
        ([{"url": ALLOWED, "events": ["job.done"]}], ["webhooks", 0, "events", 0], "job.queued"),
        ([{"url": ALLOWED, "events": []}], ["webhooks", 0, "events"], "at least 1"),
        ([{"url": ALLOWED, "secret": "x"}], ["webhooks", 0, "secret"], "Extra inputs"),
        ([{"url": ALLOWED}] * 5, ["webhooks"], "at most 4"),
    ],
)
def test_a_webhook_the_service_must_not_call_is_422_naming_the_field(
    client, hooks, webhooks, loc, reason
):
    response = submit(client, *webhooks)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][-len(loc) :] == loc and reason in error["msg"], error


def test_a_workflow_step_s_webhook_is_checked_too(client, hooks):
    body = {"kind": "workflow", "steps": ["gpu_smoke"], "gpu_smoke": {"allow_cpu": True}}
    body["gpu_smoke"]["webhooks"] = [{"url": "http://evil.test/"}]
    response = client.post("/jobs", json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "gpu_smoke", "webhooks", "0", "url"]


def test_without_a_secret_the_service_takes_no_webhooks(client, settings_env):
    settings_env(webhook_allowed_hosts='["hooks.test"]')
    response = submit(client, {"url": ALLOWED})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "webhooks"] and "C64FT_WEBHOOK_SECRET" in error["msg"]


def test_an_accepted_webhook_is_listed_with_its_deliveries(client, hooks):
    response = submit(client, {"url": ALLOWED, "events": ["job.queued", "job.failed"]})
    assert response.status_code == 201, response.text
    job = response.json()
    assert "webhooks" not in job["spec"]  # kept apart, like the labels
    listed = client.get(f"/jobs/{job['id']}/webhooks")
    assert listed.status_code == 200
    [delivery] = listed.json()["data"]
    assert delivery["event"] == "job.queued" and delivery["url"] == ALLOWED
    assert delivery["status"] == "pending" and delivery["attempts"] == []
    assert delivery["id"].startswith("msg_") and delivery["payload"]["data"]["id"] == job["id"]


def test_the_webhooks_of_an_unknown_job_are_404(client):
    assert client.get("/jobs/job_nope/webhooks").status_code == 404
