"""The dashboard in a real headless Chromium (Debian's, driven by Playwright) against a real
API and worker, with the API token set: every page asks for the token, then shows live data.

Every request to another host is aborted and recorded, and each test asserts there was none.
Screenshots of each page go to the test's tmp_path; with C64FT_UPDATE_SCREENSHOTS=1 they are
also copied into docs/img/ (the README shows dashboard-job.png).
"""

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import copy_workspace
from tests.core.training.test_train import TINY
from tests.e2e.service import Service, wait_until

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "dashboard-token"
DOCS_IMG = Path(__file__).parent.parent.parent / "docs/img"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def service(tmp_path_factory, sample_workspace):
    """One API and one worker for the module: the train job runs once, every view reads it."""
    service = Service(copy_workspace(sample_workspace, tmp_path_factory.mktemp("dashboard")))
    service.env["C64FT_API_TOKEN"] = TOKEN
    service.http.headers["Authorization"] = f"Bearer {TOKEN}"
    service.start_api()
    service.start_worker()
    yield service
    service.stop()
    print(service.logs())


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


class Dashboard:
    """A fresh browser tab on the service, kept to it; screenshots into `folder`."""

    def __init__(self, browser, service: Service, folder: Path) -> None:
        self.service, self.folder = service, folder
        self.elsewhere: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.route("**/*", self._only_the_service)
        self.errors: list[str] = []  # shown when a test fails
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def _only_the_service(self, route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(self.service.url).netloc:
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def open(self, view: str) -> None:
        """Open `/` (it leads to /ui), go to `view`, and give the token the page asks for."""
        self.page.goto(f"{self.service.url}/")
        self.page.evaluate(f"location.hash = {view!r}")
        self.page.wait_for_selector("#token-dialog[open]", timeout=15_000)
        self.page.fill("#token-input", TOKEN)
        self.page.click("#token-form button")

    def screenshot(self, name: str) -> None:
        path = self.folder / name
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        if os.environ.get("C64FT_UPDATE_SCREENSHOTS") == "1":
            DOCS_IMG.mkdir(exist_ok=True)
            shutil.copy(path, DOCS_IMG / name)

    def close(self) -> None:
        print("browser errors:", self.errors)
        self.context.close()
        assert self.elsewhere == [], f"the page tried to reach other hosts: {self.elsewhere}"


@pytest.fixture
def dashboard(browser, service, tmp_path):
    dashboard = Dashboard(browser, service, tmp_path)
    yield dashboard
    dashboard.close()


def _loss_points(service: Service, job_id: str) -> int:
    metrics = service.http.get(f"/jobs/{job_id}/metrics").json()["data"]
    return sum(point["loss"] is not None for point in metrics)


def test_a_train_job_page_follows_the_job_live(dashboard, service):
    job = service.submit({**TINY, "output_dir": "models/ui-train"})
    dashboard.open(f"#/jobs/{job['id']}")
    page = dashboard.page
    page.wait_for_selector(".event")
    first_events = page.locator(".event").count()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    done = service.wait(job["id"], timeout=240)
    assert done["status"] == "succeeded", (done["error"], service.logs())
    points = _loss_points(service, job["id"])
    assert points == 6  # a loss every 2 of 6 steps, in each of two phases
    page.wait_for_selector(f'.chart[data-figure="loss"][data-points="{points}"]', timeout=15_000)
    page.wait_for_selector('[data-fact="status"] .status-succeeded', timeout=15_000)
    events = [e["id"] for e in service.events(job["id"])]
    wait_until(lambda: page.locator(".event").count() == len(events), 15, "every event shown")
    shown = [
        int(i) for i in page.locator(".event").evaluate_all("l => l.map(e => e.dataset.event)")
    ]
    assert shown == events and len(events) > first_events
    assert page.evaluate("window.sameDocument") is True  # new events came without a reload
    streams = "/jobs/{job_id}/events/stream" in service.http.get("/openapi.json").json()["paths"]
    assert page.inner_text("#follow-mode") == ("(live)" if streams else "(polled every 2 s)")
    legend = page.locator('.chart[data-figure="loss"] .u-legend').inner_text()
    assert "dapt" in legend and "sft" in legend  # one line per phase
    page.wait_for_selector("#job-checkpoints table")
    assert page.locator("#job-checkpoints tr").count() == 1 + len(
        service.http.get(f"/jobs/{job['id']}/checkpoints").json()["data"]
    )
    dashboard.screenshot("dashboard-job.png")


def test_cancel_from_the_page_ends_the_job_cancelled(dashboard, service):
    long = {**TINY, "phase": "dapt", "max_steps": 5000, "save_steps": 10_000, "eval_steps": 10_000}
    job = service.submit({**long, "output_dir": "models/ui-cancel"})
    dashboard.open(f"#/jobs/{job['id']}")
    wait_until(lambda: service.job(job["id"])["status"] == "running", 120, "the job to start")
    dashboard.page.click("#cancel")
    done = service.wait(job["id"], timeout=90)
    assert done["status"] == "cancelled", service.logs()
    dashboard.page.wait_for_selector('[data-fact="status"] .status-cancelled', timeout=15_000)
    assert dashboard.page.locator("#cancel").count() == 0


def test_the_submit_page_dry_runs_then_submits(dashboard, service):
    dashboard.open("#/submit")
    page = dashboard.page
    page.wait_for_selector("#example option", state="attached")
    spec = {**TINY, "output_dir": "models/ui-dry-run"}
    page.fill("#spec", json.dumps(spec))
    page.click("#dry-run")
    page.wait_for_selector("#checks")
    shown = page.locator("#checks tr[data-check]").evaluate_all(
        "rows => rows.map(r => r.dataset.check)"
    )
    answer = service.http.post("/jobs", params={"dry_run": "true"}, json=spec).json()
    assert shown == [check["name"] for check in answer["checks"]] and "plan" in shown, answer
    assert answer["ok"], answer["checks"]
    assert "phases" in page.locator(".plan pre").first.inner_text()  # the train plan's figures
    dashboard.screenshot("dashboard-submit.png")

    page.fill("#spec", '{"kind": "gpu_smoke", "allow_cpu": true, "matrix_size": 64}')
    page.click("#submit")
    page.wait_for_url("**#/jobs/job_*")
    job_id = page.url.rsplit("/", 1)[1]
    assert service.wait(job_id, timeout=90)["status"] == "succeeded"


def test_the_jobs_list_filters_by_kind_and_status(dashboard, service):
    smoke = service.submit({"kind": "gpu_smoke", "allow_cpu": True, "matrix_size": 64})
    train = service.submit({**TINY, "output_dir": "models/ui-list"})
    service.http.post(f"/jobs/{train['id']}/cancel")
    service.wait(smoke["id"], timeout=90), service.wait(train["id"], timeout=90)
    dashboard.open("#/jobs")
    page = dashboard.page
    page.wait_for_selector(f'tr[data-job="{train["id"]}"]')

    def listed() -> list[str]:
        return page.locator("tr[data-job]").evaluate_all("rows => rows.map(r => r.dataset.job)")

    def expected(**query) -> list[str]:
        return [j["id"] for j in service.http.get("/jobs", params=query).json()["data"]]

    dashboard.screenshot("dashboard-jobs.png")
    page.select_option("#filter-kind", "gpu_smoke")
    wait_until(lambda: listed() == expected(kind="gpu_smoke"), 15, "the gpu_smoke jobs only")
    assert smoke["id"] in listed() and train["id"] not in listed()
    page.select_option("#filter-kind", "train")
    page.select_option("#filter-status", "cancelled")
    wait_until(
        lambda: listed() == expected(kind="train", status="cancelled"), 15, "cancelled trains"
    )
    assert train["id"] in listed() and "status=cancelled" in page.url and "kind=train" in page.url


def test_a_finished_dataset_job_shows_its_report_rendered_and_sanitized(dashboard, service):
    job = service.submit(
        {
            "kind": "build_datasets",
            "model_path": "models/tiny-ministral3",
            "output_dir": "data/ui-processed",
            "interim_dir": "data/ui-interim",
            "block_size": 256,
            "stride": 32,
            "min_chunk_tokens": 64,
            "min_dapt_chunks": 20,
            "allow_ocr": False,
            "excerpt_chars": 300,
        }
    )
    assert service.wait(job["id"], timeout=120)["status"] == "succeeded", service.logs()
    report = service.workspace / "data/ui-processed/validation_report.md"
    # A report quotes the manuals: markup in them must stay inert.
    report.write_text(
        report.read_text()
        + '\n<img src="x" onerror="window.pwned = 1"> <script>window.pwned = 2</script>\n'
    )
    dashboard.open(f"#/jobs/{job['id']}")
    page = dashboard.page
    page.wait_for_selector('[data-report="datasets"] .markdown h1')
    assert page.evaluate("window.pwned") is None
    rendered = page.inner_html('[data-report="datasets"] .markdown')
    assert "<table>" in rendered or "<li>" in rendered  # Markdown, rendered
    assert "onerror" not in rendered and "<script" not in rendered
    dashboard.screenshot("dashboard-report.png")


def test_the_health_page_shows_the_database_the_broker_and_workers(dashboard, service):
    dashboard.open("#/health")
    page = dashboard.page
    page.wait_for_selector('[data-fact="database"]')
    assert page.inner_text('[data-fact="database"]') == "ok"
    assert page.inner_text('[data-fact="broker"]') == "ok"
    assert page.inner_text('[data-fact="live workers"]') == str(service.health()["workers"])
    if service.http.get("/workers").status_code == 200:
        page.wait_for_selector("#workers td")
    else:
        assert "has no GET /workers" in page.inner_text("#health")
    dashboard.screenshot("dashboard-health.png")
