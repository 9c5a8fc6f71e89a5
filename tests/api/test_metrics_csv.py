"""GET /jobs/{id}/metrics.csv: the metric points as CSV, the same as GET /jobs/{id}/metrics."""

import csv
import io

from core.jobs import journal
from core.metrics_csv import COLUMNS

SMOKE = {"kind": "gpu_smoke", "allow_cpu": True}


def as_cells(point: dict) -> dict[str, str]:
    """A JSON metric point as the CSV writes it: empty for null, repr for a number."""
    return {name: "" if point[name] is None else str(point[name]) for name in COLUMNS}


def test_the_csv_has_every_point_in_order_as_the_json_has_them(client):
    job = client.post("/jobs", json=SMOKE).json()
    client.post(f"/jobs/{job['id']}/cancel")
    points = [
        {"phase": "dapt", "step": s, "epoch": s / 7, "loss": 3.0 - s / 1000, "grad_norm": None}
        for s in range(1, 2501)  # more than one page of the store's reads
    ]
    points[-1] |= {"phase": "sft", "eval_loss": 0.1 + 0.2, "learning_rate": 2e-5}
    journal.add_metrics(job["id"], points)

    answer = client.get(f"/jobs/{job['id']}/metrics.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition == f'attachment; filename="{job["id"]}-metrics.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert answer.text.splitlines()[0] == ",".join(COLUMNS)
    data = client.get(f"/jobs/{job['id']}/metrics", params={"limit": 10_000}).json()["data"]
    assert len(rows) == len(data) == 2500
    assert rows == [as_cells(point) for point in data]
    assert rows[-1]["eval_loss"] == "0.30000000000000004" and rows[0]["grad_norm"] == ""


def test_a_job_without_points_is_the_header_alone(client):
    job = client.post("/jobs", json=SMOKE).json()
    client.post(f"/jobs/{job['id']}/cancel")
    assert client.get(f"/jobs/{job['id']}/metrics.csv").text == ",".join(COLUMNS) + "\n"


def test_an_unknown_job_is_404_and_the_token_is_needed(client, settings_env):
    assert client.get("/jobs/job_missing/metrics.csv").status_code == 404
    settings_env(api_token="s3cret")
    assert client.get("/jobs/job_missing/metrics.csv").status_code == 401
