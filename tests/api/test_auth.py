"""With C64FT_API_TOKEN set, every route but /health needs the bearer token."""


def test_token_is_required_everywhere_but_health(client, settings_env):
    settings_env(api_token="s3cret")
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["worker_devices"] is None  # hostnames
    allowed = client.get("/health", headers={"Authorization": "Bearer s3cret"})
    assert allowed.json()["worker_devices"] == []
    calls = [
        ("get", "/jobs"),
        ("get", "/jobs/job_x"),
        ("post", "/jobs/job_x/cancel"),
        ("get", "/openapi.json"),
        ("get", "/docs"),
        ("get", "/redoc"),
        ("get", "/metrics"),
        ("get", "/workers"),
    ]
    for method, path in calls:
        response = getattr(client, method)(path)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert "detail" in response.json()
    wrong = client.get("/jobs", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    for path in ("/jobs", "/openapi.json", "/docs", "/redoc", "/metrics", "/workers"):
        right = client.get(path, headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200


def test_without_a_token_setting_no_header_is_needed(client):
    assert client.get("/jobs").status_code == 200
