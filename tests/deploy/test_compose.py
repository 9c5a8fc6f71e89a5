"""docker-compose.yml, the NVIDIA override and .env.example, read by the real `docker-compose`."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import make_url

from core.config import Settings
from tests.deploy.containers import (
    ROOT,
    SECTION,
    bash_block,
    compose,
    compose_env,
    config,
    new_project,
    readme_section,
)

MOUNTS = {"c64_docs", "data", "models", "results"}


@pytest.fixture(scope="module")
def amd(project) -> dict:
    return config(project)["services"]


@pytest.fixture(scope="module")
def nvidia(project, tmp_path_factory) -> dict:
    """The NVIDIA set-up as the README gives it: COMPOSE_FILE appended to the same .env."""
    folder = new_project(tmp_path_factory.mktemp("compose-cuda"))
    (folder / ".env").write_text((project / ".env").read_text())
    subprocess.run(
        ["bash", "-euc", bash_block(SECTION, "COMPOSE_FILE=")],
        cwd=folder,
        env=compose_env(),
        check=True,
    )
    return config(folder)["services"]


def test_services_and_queues(amd):
    assert set(amd) == {"redis", "api", "worker-gpu", "worker-cpu"}
    assert amd["worker-gpu"]["command"] == ["c64ft", "worker", "--queues", "gpu"]
    assert amd["worker-cpu"]["command"] == ["c64ft", "worker", "--queues", "cpu"]
    for name in ("api", "worker-gpu", "worker-cpu"):
        assert amd[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert amd[name]["restart"] == "unless-stopped"


def test_redis_persists_its_queue(amd, project):
    redis = amd["redis"]
    assert redis["command"][:3] == ["redis-server", "--appendonly", "yes"]
    [volume] = redis["volumes"]
    assert (volume["type"], volume["target"]) == ("volume", "/data")
    assert volume["source"] in config(project)["volumes"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_api_port_and_healthcheck(amd):
    api = amd["api"]
    [port] = api["ports"]
    assert (port["target"], port["published"], port["host_ip"]) == (8000, "8000", "127.0.0.1")
    assert "http://127.0.0.1:8000/health" in " ".join(api["healthcheck"]["test"])
    assert api["build"]["dockerfile"] == "docker/api.Dockerfile"
    assert api["environment"]["WEB_CONCURRENCY"] == "2"


def test_gpu_worker_sees_the_amd_gpu_as_the_host_user(amd):
    gpu = amd["worker-gpu"]
    assert {(d["source"], d["target"]) for d in gpu["devices"]} == {
        ("/dev/kfd", "/dev/kfd"),
        ("/dev/dri", "/dev/dri"),
    }
    assert len(gpu["group_add"]) == 2
    assert gpu["ipc"] == "host"
    assert int(gpu["shm_size"]) >= 8 * 2**30
    assert gpu["build"]["dockerfile"] == "docker/worker.Dockerfile"
    assert "args" not in gpu["build"]  # the Dockerfile's default: the seed's ROCm image
    assert "devices" not in amd["worker-cpu"] and "group_add" not in amd["worker-cpu"]


def test_groups_are_the_host_numbers_from_env_or_the_names(project):
    """The quick start writes VIDEO_GID/RENDER_GID from getent; unset, the names are used."""
    written = dict(
        line.split("=", 1)
        for line in (project / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    groups = config(project)["services"]["worker-gpu"]["group_add"]
    assert groups == [written["VIDEO_GID"] or "video", written["RENDER_GID"] or "render"]
    folder = new_project(project.parent / "names")
    env = compose_env(LOCAL_UID="1000", LOCAL_GID="1000")
    done = compose(folder, "config", "--format", "json", env=env)
    assert json.loads(done.stdout)["services"]["worker-gpu"]["group_add"] == ["video", "render"]


def test_every_container_runs_as_the_host_user(amd):
    for name in ("api", "worker-gpu", "worker-cpu"):
        assert amd[name]["user"] == f"{os.getuid()}:{os.getgid()}"


def test_missing_host_ids_are_refused_with_the_fix(tmp_path):
    done = compose(new_project(tmp_path), "config", env=compose_env())
    assert done.returncode != 0
    assert "set LOCAL_UID and LOCAL_GID to your ids" in done.stderr


def test_workspace_folders_are_mounted(amd, project):
    """The workers write data/, models/, results/; the API writes only its database in data/."""
    writable = {"api": {"data"}, "worker-gpu": MOUNTS - {"c64_docs"}}
    writable["worker-cpu"] = writable["worker-gpu"]
    for name, written in writable.items():
        mounts = {Path(v["target"]).name: v for v in amd[name]["volumes"]}
        assert set(mounts) == MOUNTS
        for folder, mount in mounts.items():
            assert mount["type"] == "bind" and mount["source"] == str(project / folder)
            assert mount["target"] == f"/workspace/{folder}"
            assert "create_host_path" not in mount.get("bind", {})  # never made, as root, by Docker
            assert bool(mount.get("read_only")) == (folder not in written), (name, folder)


def test_every_setting_reaches_every_container(amd):
    for name in ("api", "worker-gpu", "worker-cpu"):
        env = amd[name]["environment"]
        assert {f"C64FT_{field.upper()}" for field in Settings.model_fields} <= set(env)
        assert env["C64FT_WORKSPACE"] == "/workspace"
        assert env["C64FT_BROKER_URL"] == "redis://redis:6379/0"
        # The worker image's copy of the converter scripts (docker/worker.Dockerfile).
        assert env["C64FT_LLAMA_CPP_DIR"] == "/opt/llama.cpp"


def test_the_containers_environment_gives_the_documented_defaults(amd, monkeypatch):
    """Empty variables (compose passes every C64FT_* through) mean the defaults."""
    settings = _settings_in(amd["worker-gpu"]["environment"], monkeypatch)
    assert settings.workspace == Path("/workspace")
    assert settings.database_url == "sqlite:////workspace/data/c64ft.db"
    assert settings.api_token is None
    assert settings.allowed_base_models == ["models/Ministral-3-8B-Thinking"]
    assert settings.max_attempts == 3


def test_env_example_lists_every_setting_and_parses(project, monkeypatch):
    example = (project / ".env.example").read_text()
    for field in Settings.model_fields:
        assert f"C64FT_{field.upper()}" in example
    # Every commented default, uncommented, reaches the containers and is a valid setting.
    lines = [line[2:] for line in example.splitlines() if line.startswith("# C64FT_")]
    (project / "uncommented.env").write_text((project / ".env").read_text() + "\n".join(lines))
    env = config(project, "--env-file", "uncommented.env")["services"]["api"]["environment"]
    assert env["C64FT_ALLOWED_BASE_MODELS"] == '["models/Ministral-3-8B-Thinking"]'
    assert _settings_in(env, monkeypatch).heartbeat_timeout_s == 60


def _settings_in(environment: dict[str, str], monkeypatch) -> Settings:
    """The settings a container with this environment reads."""
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(Path("/"))  # no .env of the developer's
    return Settings()


def test_nvidia_override_swaps_the_amd_devices_for_a_gpu_reservation(amd, nvidia):
    gpu = nvidia["worker-gpu"]
    assert "devices" not in gpu and "group_add" not in gpu
    [reservation] = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert reservation["driver"] == "nvidia" and reservation["capabilities"] == ["gpu"]
    for name in ("worker-gpu", "worker-cpu"):
        base = nvidia[name]["build"]["args"]["BASE_IMAGE"]
        assert base.startswith("pytorch/pytorch:") and "cuda" in base
        # llama.cpp's CUDA build needs nvcc: the -devel images have it, -runtime ones do not.
        assert base.endswith("-devel")
        llama = nvidia[name]["build"]["args"]["LLAMA_CMAKE_ARGS"].split()
        assert {"-DGGML_CUDA=ON", "-DGGML_NATIVE=OFF", "-DLLAVA_BUILD=OFF"} <= set(llama)
        assert not any("HIP" in arg for arg in llama)
        assert nvidia[name]["image"] == "c64ft-worker:cuda"
        for unchanged in ("command", "user", "environment"):
            assert nvidia[name][unchanged] == amd[name][unchanged]
        assert _mounted(nvidia[name]) == _mounted(amd[name])
    for kept in ("ipc", "shm_size", "ulimits"):
        assert gpu[kept] == amd["worker-gpu"][kept]


def _mounted(service: dict) -> list[tuple]:
    """The mounts, whatever folder the project was in."""
    return [(Path(v["source"]).name, v["target"], v.get("read_only")) for v in service["volumes"]]


def test_flower_only_behind_its_profile(project, amd):
    assert "flower" not in amd
    flower = config(project, "--profile", "flower")["services"]["flower"]
    assert flower["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert flower["ports"][0]["host_ip"] == "127.0.0.1"


@pytest.fixture(scope="module")
def with_postgres(project, tmp_path_factory) -> dict:
    """The Postgres set-up as the README gives it (Postgres section): lines appended to .env."""
    folder = new_project(tmp_path_factory.mktemp("compose-postgres"))
    (folder / ".env").write_text((project / ".env").read_text())
    block = bash_block(readme_section("Postgres"), "COMPOSE_PROFILES=postgres")
    subprocess.run(["bash", "-euc", block], cwd=folder, env=compose_env(), check=True)
    return config(folder)


def test_postgres_only_behind_its_profile_with_a_volume_and_a_healthcheck(amd, with_postgres):
    assert "postgres" not in amd
    postgres = with_postgres["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert _mounts(postgres)["/var/lib/postgresql/data"] == "postgres-data"
    assert "postgres-data" in with_postgres["volumes"]
    assert postgres["ports"][0]["host_ip"] == "127.0.0.1"
    assert postgres["ports"][0]["target"] == 5432


def test_with_postgres_every_container_uses_it_and_waits_for_it(amd, with_postgres, monkeypatch):
    services = with_postgres["services"]
    password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert len(password) == 32  # the README's own, not the default
    for name in ("api", "worker-gpu", "worker-cpu"):
        waits = {"condition": "service_healthy", "required": False}  # ignored without the profile
        assert amd[name]["depends_on"]["postgres"] == waits
        assert services[name]["depends_on"]["postgres"] == waits
        url = make_url(_settings_in(services[name]["environment"], monkeypatch).database_url)
        assert (url.drivername, url.host, url.port) == ("postgresql+psycopg", "postgres", 5432)
        assert (url.username, url.password, url.database) == ("c64ft", password, "c64ft")


# The compose profile `monitoring`: Prometheus and Grafana, their files, the dashboard's queries.
DASHBOARD = ROOT / "docker/grafana/dashboards/c64ft.json"
# The names a family of each type exposes besides its own (a counter only as `_total`).
SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}


@pytest.fixture(scope="module")
def monitoring(project) -> dict:
    return config(project, "--profile", "monitoring")


def _mounts(service: dict) -> dict[str, str]:
    """Target → the mounted path relative to the compose project."""
    return {v["target"]: v["source"] for v in service["volumes"]}


def test_prometheus_and_grafana_only_behind_their_profile(amd, monitoring):
    assert not {"prometheus", "grafana"} & set(amd)
    services = monitoring["services"]
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    for name in ("prometheus", "grafana"):
        assert services[name]["ports"][0]["host_ip"] == "127.0.0.1"
    assert {"prometheus-data", "grafana-data"} <= set(monitoring["volumes"])
    assert _mounts(services["prometheus"])["/prometheus"] == "prometheus-data"
    assert _mounts(services["grafana"])["/var/lib/grafana"] == "grafana-data"


def test_their_config_files_exist_and_parse(monitoring, project):
    services = monitoring["services"]
    mounted = {**_mounts(services["prometheus"]), **_mounts(services["grafana"])}
    for target in ("/etc/prometheus/prometheus.yml", "/etc/grafana/provisioning"):
        relative = mounted[target].removeprefix(f"{project}/")
        assert (ROOT / relative).exists(), relative
    for path in [ROOT / "docker/prometheus.yml", *ROOT.glob("docker/grafana/provisioning/*/*")]:
        assert yaml.safe_load(path.read_text())
    assert json.loads(DASHBOARD.read_text())["panels"]


def test_prometheus_scrapes_the_api_with_the_token(monitoring, project):
    prometheus = yaml.safe_load((ROOT / "docker/prometheus.yml").read_text())
    [job] = prometheus["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [{"targets": ["api:8000"]}]
    assert monitoring["services"]["api"]["ports"][0]["target"] == 8000
    token_file = job["authorization"]["credentials_file"]
    env = compose_env(C64FT_API_TOKEN="s3cret")
    [given] = monitoring["services"]["prometheus"]["configs"]
    assert given["target"] == token_file
    assert monitoring["configs"][given["source"]]["content"] == "no-token-set"  # .env sets none
    done = compose(project, "--profile", "monitoring", "config", "--format", "json", env=env)
    assert json.loads(done.stdout)["configs"][given["source"]]["content"] == "s3cret"


def test_grafana_reads_the_profiles_prometheus_and_the_dashboard(monitoring):
    provisioning = ROOT / "docker/grafana/provisioning"
    [source] = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    assert source["url"] == "http://prometheus:9090"
    [provider] = yaml.safe_load((provisioning / "dashboards/c64ft.yml").read_text())["providers"]
    grafana = _mounts(monitoring["services"]["grafana"])
    assert grafana[provider["options"]["path"]].endswith("docker/grafana/dashboards")
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert {target["datasource"]["uid"] for p in panels for target in p["targets"]} == {
        source["uid"]
    }


def test_every_dashboard_query_names_a_metric_the_api_exports(client):
    families = text_string_to_metric_families(client.get("/metrics").text)
    exported = set()
    for family in families:
        exported |= {family.name + suffix for suffix in ["", *SUFFIXES.get(family.type, [])]}
    queries = [t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"]]
    named = {name for query in queries for name in re.findall(r"\bc64ft_\w+", query)}
    assert named and named <= exported, named - exported
    wanted = {"c64ft_jobs", "c64ft_queue_depth", "c64ft_job_duration_seconds_bucket"}
    assert wanted | {"c64ft_workers_live", "c64ft_train_loss"} <= named


# The worker-per-GPU-set layouts (README: "GPUs"), stacked as their comments say.
AMD_STACK = ("docker-compose.yml",)
NVIDIA_STACK = ("docker-compose.yml", "docker-compose.cuda.yml")


def _layout(project: Path, name: str, nvidia: bool) -> dict:
    files = (
        [*NVIDIA_STACK, name, name.replace(".yml", ".cuda.yml")] if nvidia else [*AMD_STACK, name]
    )
    return config(project, *[arg for file in files for arg in ("-f", file)])["services"]


def _gpus(service: dict) -> list[str]:
    command = service["command"]
    assert command[:4] == ["c64ft", "worker", "--queues", "gpu"]
    return command[command.index("--gpus") + 1].split(",")


@pytest.mark.parametrize("nvidia", [False, True], ids=["amd", "nvidia"])
def test_two_workers_one_gpu_each(project, amd, nvidia):
    services = _layout(project, "docker-compose.gpus-2x1.yml", nvidia)
    assert set(services) == set(amd) | {"worker-gpu-1"}
    workers = [services["worker-gpu"], services["worker-gpu-1"]]
    assert [_gpus(worker) for worker in workers] == [["0"], ["1"]]
    # One node name for both: the registry refuses a second owner of a device on it.
    assert {w["environment"]["C64FT_NODE_NAME"] for w in workers} == {"gpu-host"}
    for worker in workers:
        assert {f"C64FT_{field.upper()}" for field in Settings.model_fields} <= set(
            worker["environment"]
        )
        assert _mounted(worker) == _mounted(amd["worker-gpu"])
        assert worker["user"] == amd["worker-gpu"]["user"] and worker["ipc"] == "host"
        if nvidia:  # both see GPUs 0 and 1, so the ids --gpus gives are the host's
            assert worker["image"] == "c64ft-worker:cuda" and "devices" not in worker
            [reservation] = worker["deploy"]["resources"]["reservations"]["devices"]
            assert (reservation["driver"], reservation["device_ids"]) == ("nvidia", ["0", "1"])
        else:
            assert worker["image"] == "c64ft-worker:rocm" and "deploy" not in worker
            assert {d["source"] for d in worker["devices"]} == {"/dev/kfd", "/dev/dri"}


@pytest.mark.parametrize("nvidia", [False, True], ids=["amd", "nvidia"])
def test_one_worker_four_gpus(project, amd, nvidia):
    services = _layout(project, "docker-compose.gpus-1x4.yml", nvidia)
    assert set(services) == set(amd)
    worker = services["worker-gpu"]
    assert _gpus(worker) == ["0", "1", "2", "3"]
    if nvidia:
        [reservation] = worker["deploy"]["resources"]["reservations"]["devices"]
        assert reservation["device_ids"] == ["0", "1", "2", "3"]
    else:
        assert {d["source"] for d in worker["devices"]} == {"/dev/kfd", "/dev/dri"}
