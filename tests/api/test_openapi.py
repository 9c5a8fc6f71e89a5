"""The OpenAPI document declares every answer the API gives, errors included."""

import pytest


@pytest.fixture(scope="module")
def paths(client):
    return client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("method", "path", "codes"),
    [
        ("post", "/jobs", {"200", "201", "400", "401", "413", "415", "422"}),
        ("get", "/jobs", {"200", "401", "422"}),
        ("get", "/jobs/{job_id}", {"200", "401", "404", "422"}),
        ("post", "/jobs/{job_id}/cancel", {"200", "401", "404", "409", "415", "422"}),
        ("get", "/jobs/{job_id}/events", {"200", "401", "404", "422"}),
        ("get", "/jobs/{job_id}/metrics", {"200", "401", "404", "422"}),
        ("get", "/jobs/{job_id}/checkpoints", {"200", "401", "404", "422"}),
        ("get", "/jobs/{job_id}/metrics.csv", {"200", "401", "404", "422"}),
        ("get", "/jobs/{job_id}/webhooks", {"200", "401", "404", "422"}),
        ("get", "/jobs/{job_id}/events/stream", {"200", "401", "404", "422"}),
        ("get", "/jobs/{job_id}/stream", {"200", "401", "404", "422"}),
        ("get", "/health", {"200", "503"}),
        ("get", "/workers", {"200", "401"}),
        ("get", "/metrics", {"200", "401"}),
        ("get", "/jobs/{job_id}/reports", {"200", "401", "404", "422"}),
    ],
)
def test_each_route_declares_the_answers_it_gives(paths, method, path, codes):
    responses = paths[path][method]["responses"]
    assert set(responses) == codes
    for code in codes - {"200", "201", "422", "503"}:
        schema = responses[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorPublic"}


def test_the_docs_pages_are_not_operations_of_the_api(paths):
    assert set(paths) == {
        "/jobs",
        "/jobs/{job_id}",
        "/jobs/{job_id}/cancel",
        "/jobs/{job_id}/events",
        "/jobs/{job_id}/metrics",
        "/jobs/{job_id}/checkpoints",
        "/jobs/{job_id}/metrics.csv",
        "/jobs/{job_id}/webhooks",
        "/jobs/{job_id}/events/stream",
        "/jobs/{job_id}/stream",
        "/health",
        "/workers",
        "/metrics",
        "/jobs/{job_id}/reports",
        "/jobs/{job_id}/reports/{name}",
    }  # nor the dashboard's (/, /ui)


def test_a_report_is_documented_as_markdown_and_its_errors_as_json(paths):
    responses = paths["/jobs/{job_id}/reports/{name}"]["get"]["responses"]
    assert set(responses) == {"200", "401", "404", "422"}
    assert set(responses["200"]["content"]) == {"text/markdown"}
    for code in ("401", "404"):
        schema = responses[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorPublic"}


def test_metrics_is_documented_as_text(paths):
    content = paths["/metrics"]["get"]["responses"]["200"]["content"]
    assert content == {"text/plain": {"schema": {"type": "string"}}}


def test_a_405_allows_every_method_of_the_path(client):
    for method, path, allowed in [
        ("options", "/jobs", "GET, POST"),
        ("delete", "/jobs/job_x", "GET"),
        ("get", "/jobs/job_x/cancel", "POST"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 405 and response.headers["allow"] == allowed
        assert response.json() == {"detail": "Method Not Allowed"}


def test_a_workflow_section_may_leave_out_its_kind_as_the_schema_says(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "kind" in schemas["TrainSpec"]["required"]
    assert "kind" not in schemas["TrainSection"].get("required", [])
    body = {"kind": "workflow", "steps": ["gpu_smoke"], "gpu_smoke": {"allow_cpu": True}}
    response = client.post("/jobs", json=body, params={"dry_run": "true"})
    assert response.status_code == 200 and response.json()["spec"]["gpu_smoke"]["allow_cpu"]


def test_the_docs_pages_load_their_assets_from_the_service(client):
    """No CDN: every script, style and icon of /docs and /redoc is served here (offline)."""
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert urls and all(url.startswith("/docs-assets/") for url in urls), (page, urls)
        assert "http" not in html.lower().replace("http-equiv", ""), page
        for url in urls:
            asset = client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 1000, url


@pytest.mark.parametrize(
    ("path", "events"),
    [
        ("/jobs/{job_id}/events/stream", ["job_event", "end"]),
        ("/jobs/{job_id}/stream", ["progress", "metric", "end"]),
    ],
)
def test_a_stream_answers_server_sent_events_of_the_names_it_declares(paths, path, events):
    content = paths[path]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]
    assert content["text/event-stream"]["schema"]["properties"]["event"]["enum"] == events
