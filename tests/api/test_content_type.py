"""A JSON body is read as JSON whatever Content-Type a command-line client sent (api/content_type);
what is not JSON is a 4xx that says what to send."""

import json

import pytest

BODY = json.dumps({"kind": "gpu_smoke", "metadata": {"sent": "raw"}}).encode()


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Content-Type at all
        {"content-type": "text/plain"},
        {"content-type": "text/plain; charset=utf-8"},
        {"content-type": "application/x-www-form-urlencoded"},  # what `curl -d` sends
    ],
    ids=["none", "text-plain", "text-plain-charset", "curl-d"],
)
def test_a_json_body_is_submitted_whatever_its_content_type(client, headers):
    answer = client.post("/jobs", content=BODY, headers=headers)
    assert answer.status_code == 201, answer.text
    job = client.get(f"/jobs/{answer.json()['id']}").json()
    assert job["kind"] == "gpu_smoke" and job["metadata"] == {"sent": "raw"}


def test_a_body_that_is_not_json_is_a_422_saying_what_to_send(client):
    answer = client.post("/jobs", content=b"kind=gpu_smoke", headers={"content-type": "text/plain"})
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["type"] == "json_invalid" and error["loc"][0] == "body"
    assert "not JSON" in error["msg"] and '"kind"' in error["msg"]


def test_a_multipart_upload_is_a_415_naming_the_header_to_send(client):
    answer = client.post("/jobs", files={"spec": ("spec.json", BODY)})
    assert answer.status_code == 415
    assert "Content-Type: application/json" in answer.json()["detail"]


def test_a_web_page_must_declare_json(client):
    """A page may send text/plain to any site without a CORS preflight: refused, so that no
    page a user visits can submit jobs to a token-less service on localhost."""
    page = {"origin": "http://elsewhere.example"}
    answer = client.post("/jobs", content=BODY, headers={**page, "content-type": "text/plain"})
    assert answer.status_code == 415 and "web page" in answer.json()["detail"]
    answer = client.post("/jobs", content=BODY, headers=page)
    assert answer.status_code == 415
    declared = {**page, "content-type": "application/json"}
    assert client.post("/jobs", content=BODY, headers=declared).status_code == 201


def test_a_request_without_a_body_is_untouched(client):
    """Swagger UI's cancel button posts no body and no Content-Type, from the page."""
    job = client.post("/jobs", json={"kind": "gpu_smoke"}).json()
    answer = client.post(f"/jobs/{job['id']}/cancel", headers={"origin": "http://testserver"})
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"


def test_the_415_is_in_the_openapi_document(client):
    responses = client.get("/openapi.json").json()["paths"]["/jobs"]["post"]["responses"]
    assert "415" in responses and "multipart" in responses["415"]["description"]
