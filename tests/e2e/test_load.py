"""Concurrent submissions against a real uvicorn over Redis."""

from concurrent.futures import ThreadPoolExecutor

import httpx


def test_50_concurrent_submissions_become_50_distinct_jobs(redis_service):
    body = {"kind": "gpu_smoke", "allow_cpu": True}

    def post(_):
        with httpx.Client(base_url=redis_service.url, timeout=60) as client:
            return client.post("/jobs", json=body)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(post, range(50)))
    assert [r.status_code for r in responses] == [201] * 50
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 50
    listed = redis_service.http.get("/jobs", params={"limit": 100}).json()
    assert {j["id"] for j in listed["data"]} == ids and not listed["has_more"]
    positions = sorted(redis_service.job(job_id)["queue_position"] for job_id in ids)
    assert positions == list(range(1, 51))
