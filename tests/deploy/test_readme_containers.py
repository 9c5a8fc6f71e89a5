"""The README's container section: its commands are the ones these tests check."""

import json

import pytest
from pydantic import TypeAdapter

from api.schemas import Health
from c64ft.fields import parse_fields
from core.kinds import KINDS, JobSpec
from tests.deploy.containers import SECTION, compose, config, shell_commands

COMMANDS = shell_commands(SECTION)
COMPOSE_RUNS = [c for c in COMMANDS if c[:2] == ["docker", "compose"]]
CURL_POSTS = [c for c in COMMANDS if c[0] == "curl" and "-d" in c]


def _compose_options(words: list[str]) -> tuple[list[str], str, list[str]]:
    """`docker compose [global options] SUBCOMMAND args` → (options, subcommand, args)."""
    options, rest = [], words[2:]
    while rest[0].startswith("-"):
        options += rest[:2]
        rest = rest[2:]
    return options, rest[0], rest[1:]


def test_the_section_has_every_seed_step_both_ways():
    runs = [args for _, sub, args in map(_compose_options, COMPOSE_RUNS) if sub == "run"]
    run_kinds = [args[args.index("c64ft") + 2] for args in runs]
    posted = [json.loads(c[c.index("-d") + 1])["kind"] for c in CURL_POSTS]
    steps = ["gpu_smoke", "build_datasets", "train", "export", "validate_reasoning"]
    assert run_kinds == steps
    assert posted == [*steps, "workflow"]
    subcommands = {_compose_options(c)[1] for c in COMPOSE_RUNS}
    assert {"build", "up", "ps", "run"} <= subcommands


@pytest.mark.parametrize("words", COMPOSE_RUNS, ids=" ".join)
def test_compose_commands_name_real_files_and_services(project, words):
    options, subcommand, args = _compose_options(words)
    assert compose(project, *options, "config", "--quiet").returncode == 0
    services = config(project, *options)["services"]
    if subcommand == "run":
        assert args[0] == "--rm"
        assert args[1] in services
        assert args[2:4] == ["c64ft", "run"]


@pytest.mark.parametrize("words", [c for c in COMPOSE_RUNS if "c64ft" in c], ids=" ".join)
def test_each_c64ft_run_is_a_valid_job_spec(words):
    at = words.index("c64ft")
    kind = words[at + 2]
    fields = parse_fields(words[at + 3 :], KINDS[kind].spec.model_json_schema())
    spec = TypeAdapter(JobSpec).validate_python({"kind": kind, **fields})
    assert KINDS[spec.kind].runner is not None  # c64ft run can run it in place
    assert spec.model_dump(include=set(fields)) == fields


@pytest.mark.parametrize("words", CURL_POSTS, ids=lambda c: c[c.index("-d") + 1][:40])
def test_each_curl_body_is_accepted_by_the_api(client, words):
    url = next(w for w in words if w.startswith("localhost:8000/"))
    body = json.loads(words[words.index("-d") + 1])
    response = client.post(url.removeprefix("localhost:8000") + "?dry_run=true", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["spec"]["kind"] == body["kind"]


def test_the_health_answer_shown_is_the_apis(client):
    shown = next(line for line in SECTION.splitlines() if line.startswith("`/health` answers"))
    example = json.loads(shown.split("`")[3])
    assert set(example) == set(Health.model_fields)
    assert set(client.get("/health").json()) == set(example)
