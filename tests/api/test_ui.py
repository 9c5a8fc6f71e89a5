"""The dashboard's page and files are served without the token (they hold no secret), under a
Content-Security-Policy that allows only this service's own scripts; `/` leads to it."""

import re

from api.routes.ui import UI_DIR


def test_the_dashboard_is_served_without_the_token(client, settings_env):
    settings_env(api_token="s3cret")
    page = client.get("/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "s3cret" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert client.get("/jobs").status_code == 401  # the data still needs it


def test_root_redirects_to_the_dashboard(client):
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/ui"


def test_every_file_the_page_loads_is_served_from_this_service(client):
    page = client.get("/ui").text
    loaded = re.findall(r'(?:src|href)="(ui/static/[^"]+)"', page)  # relative to /ui
    assert len(loaded) >= 6
    for url in loaded:
        assert client.get(f"/{url}").status_code == 200, url
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)  # no CDN


def test_the_scripts_never_write_job_data_as_html():
    """innerHTML is set in one place: the sanitized Markdown of a report."""
    scripts = sorted((UI_DIR / "static").glob("**/*.js"))
    own = [s for s in scripts if "vendor" not in s.parts]
    uses = {s.name: s.read_text().count("innerHTML") for s in own}
    assert uses.pop("dom.js") == 1 and not any(uses.values()), uses
    assert "DOMPurify.sanitize(window.marked.parse(" in (UI_DIR / "static/dom.js").read_text()
