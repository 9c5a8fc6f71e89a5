"""The one settings object, read from `C64FT_*` variables, shared by API, worker and CLI."""

import json
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.gpus import GpuInfo
from core.webhooks.targets import WebhookTarget

DEFAULT_BASE_MODEL = "models/Ministral-3-8B-Thinking"


class Settings(BaseSettings):
    # An empty variable means "the default": docker-compose.yml passes every C64FT_* through,
    # set or not.
    model_config = SettingsConfigDict(
        env_prefix="C64FT_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    workspace: Path = Field(Path("."), description="Root of c64_docs/, data/, models/, results/.")
    database_url: str = Field(
        "", description="SQLAlchemy URL of the job database; default sqlite under data/."
    )
    broker_url: str = Field(
        "", description="Celery broker URL (redis://…); default the embedded file broker."
    )
    api_token: SecretStr | None = Field(
        None, description="When set, every endpoint but /health needs 'Bearer <token>'."
    )
    allowed_base_models: list[str] = Field(
        [DEFAULT_BASE_MODEL], description="Base model paths a train job may start from."
    )
    max_attempts: int = Field(3, ge=1, description="Runs of a job before a lost worker fails it.")
    heartbeat_interval_s: float = Field(5.0, gt=0, description="How often a job proves it lives.")
    heartbeat_timeout_s: float = Field(
        60.0, gt=0, description="A running job silent this long is presumed lost."
    )
    reaper_interval_s: float = Field(30.0, gt=0, description="How often a worker reaps jobs.")
    requeue_after_s: float = Field(
        30.0, ge=0, description="A queued job unclaimed this long, its queue empty, is re-sent."
    )
    cancel_grace_s: float = Field(
        60.0, ge=0, description="After this, a job that ignores its cancel flag is interrupted."
    )
    worker_name: str | None = Field(
        None,
        description="This worker's name, unique among the workers sharing the job database; "
        "default <queues>[-gpus<ids>].<pid>@<host>.",
    )
    node_name: str | None = Field(
        None,
        description="The machine a worker runs on, for the device check; default its hostname.",
    )
    gpu_inventory: list[GpuInfo] | None = Field(
        None,
        description='The GPUs a worker owns, declared (JSON: [{"name": "NVIDIA H100 80GB HBM3", '
        '"memory_bytes": 85520809984}], "id" optional: the --gpus id it stands for); unset: the '
        "worker probes them at start (nvidia-smi, rocm-smi, else torch in a subprocess).",
    )
    throughput_table: Path | None = Field(
        None,
        description="The throughput table the dry run's time estimate reads (rows the GPU bench "
        "records); default core/kinds/train/throughput.json.",
    )
    max_body_bytes: int = Field(1_048_576, gt=0, description="Largest accepted request body.")
    stream_poll_s: float = Field(
        0.1, gt=0, description="How often an event stream reads the job database for new rows."
    )
    stream_ping_s: float = Field(
        15.0, gt=0, description="Seconds between an event stream's keep-alive comments."
    )
    stream_max_s: float = Field(
        600.0,
        gt=0,
        description="An event stream closes after this long (without `end`); clients reconnect "
        "with Last-Event-ID. Bounds what one connection holds, as proxies would.",
    )
    llama_cpp_dir: Path | None = Field(
        None,
        description="llama.cpp's converter scripts (a llama.cpp checkout, or the folder "
        "`c64ft setup-llama-cpp` fills); default ~/.cache/c64ft/llama.cpp-<llama-cpp-python "
        "version>, fetched on first use.",
    )
    extra_kinds: list[str] = Field(
        [], description="Modules of job kinds of your own, each defining KIND (core/kinds/)."
    )
    input_roots: list[Path] = Field(
        [],
        description="Absolute folders outside the workspace that jobs may read inputs from "
        "(a shared manuals or models disk); read-only: no output may go there.",
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="Signs every webhook (Standard Webhooks, whsec_<base64 of 24 to 64 random "
        "bytes>); unset: no webhooks.",
    )
    webhook_urls: list[WebhookTarget] = Field(
        [],
        description='Targets of every job\'s events: JSON, each a URL or {"url", "events"}.',
    )
    webhook_allowed_hosts: list[str] = Field(
        [], description="Hosts a job's own `webhooks` may name; empty: none may."
    )
    webhook_max_attempts: int = Field(10, ge=1, description="Tries of one webhook delivery.")
    webhook_retry_base_s: float = Field(
        5.0, gt=0, description="Wait before the 2nd try; it doubles before each next one."
    )
    webhook_timeout_s: float = Field(10.0, gt=0, description="Connect and read timeout of a try.")
    webhook_poll_s: float = Field(1.0, gt=0, description="How often a worker looks for due ones.")

    @field_validator("webhook_urls", mode="before")
    @classmethod
    def _url_alone(cls, targets: object) -> object:
        """A bare URL stands for {"url": URL}: every event."""
        if isinstance(targets, list):
            return [{"url": t} if isinstance(t, str) else t for t in targets]
        return targets

    @field_validator("webhook_secret")
    @classmethod
    def _standard_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None:
            from standardwebhooks.webhooks import Webhook

            try:
                Webhook(secret.get_secret_value())
            except Exception as exc:
                raise ValueError(
                    "C64FT_WEBHOOK_SECRET must be whsec_ followed by base64 (README, Webhooks)"
                ) from exc
        return secret

    @model_validator(mode="after")
    def _resolve_and_check(self) -> "Settings":
        self.workspace = self.workspace.expanduser().resolve()
        data = self.workspace / "data"
        if not self.database_url:
            self.database_url = f"sqlite:///{data / 'c64ft.db'}"
        if not self.broker_url:
            self.broker_url = "filesystem://"
        self.input_roots = [_input_root(folder, self.workspace) for folder in self.input_roots]
        if self.heartbeat_timeout_s < 3 * self.heartbeat_interval_s:
            raise ValueError(
                "C64FT_HEARTBEAT_TIMEOUT_S must be at least 3x C64FT_HEARTBEAT_INTERVAL_S, "
                "or healthy jobs would be reaped as lost"
            )
        if self.webhook_urls and self.webhook_secret is None:
            raise ValueError("C64FT_WEBHOOK_URLS needs C64FT_WEBHOOK_SECRET to sign with")
        return self

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    @property
    def database_file(self) -> Path | None:
        """The job database's SQLite file (relative: to the workspace); None for a server."""
        if not self.database_url.startswith("sqlite"):
            return None
        from sqlalchemy import make_url  # here, so that importing the settings loads no ORM

        return Path(make_url(self.database_url).database or "")

    @property
    def broker_folder(self) -> Path:
        """Where the embedded file broker keeps its queues (never in the job database)."""
        return self.workspace / "data" / "broker"

    def in_force(self) -> dict[str, str]:
        """Every setting as the operator should see it: the token masked, paths resolved."""
        shown = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in ("api_token", "webhook_secret"):
                value = "(set)" if value else "(not set)"
            elif name == "webhook_urls":
                value = json.dumps([t.model_dump(mode="json") for t in value])
            elif name == "gpu_inventory" and value is not None:
                value = json.dumps([gpu.model_dump(exclude_none=True) for gpu in value])
            elif name == "input_roots":
                value = json.dumps([str(folder) for folder in value])  # as the variable takes it
            elif name == "broker_url" and self.embedded_broker:
                value = f"{value} (embedded, files under {self.broker_folder})"
            shown[f"C64FT_{name.upper()}"] = str(value)
        return shown


def _input_root(folder: Path, workspace: Path) -> Path:
    """`folder` resolved; refused when relative, or when it holds the workspace (every output
    would then lie inside a read-only input root)."""
    if not folder.is_absolute():
        raise ValueError(f"C64FT_INPUT_ROOTS: {folder} must be an absolute folder")
    resolved = folder.resolve()
    if workspace.is_relative_to(resolved):
        raise ValueError(
            f"C64FT_INPUT_ROOTS: {folder} holds the workspace {workspace}; an input root is "
            "read-only, so no job could write its outputs"
        )
    return resolved


@lru_cache
def get_settings() -> Settings:
    return Settings()
