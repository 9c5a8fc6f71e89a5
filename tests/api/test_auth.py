"""With C64FT_API_TOKEN set, every route but /health needs the bearer token."""


def test_token_is_required_everywhere_but_health(client, settings_env):
    settings_env(api_token="s3cret")
    assert client.get("/health").status_code == 200
    for method, path in [("get", "/jobs"), ("get", "/jobs/job_x"), ("post", "/jobs/job_x/cancel")]:
        response = getattr(client, method)(path)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    wrong = client.get("/jobs", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.get("/jobs", headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200


def test_without_a_token_setting_no_header_is_needed(client):
    assert client.get("/jobs").status_code == 200
