import pytest
from pydantic import ValidationError

from core.config import Settings


def test_defaults_live_under_the_workspace(tmp_path):
    settings = Settings(workspace=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'c64ft.db'}"
    assert settings.embedded_broker
    assert settings.broker_folder == tmp_path / "data" / "broker"
    assert settings.allowed_base_models == ["models/Ministral-3-8B-Thinking"]


def test_a_heartbeat_timeout_too_close_to_the_interval_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="HEARTBEAT_TIMEOUT_S must be at least 3x"):
        Settings(workspace=tmp_path, heartbeat_interval_s=10, heartbeat_timeout_s=20)


def test_in_force_masks_the_token_and_names_every_variable(tmp_path):
    shown = Settings(workspace=tmp_path, api_token="s3cret").in_force()
    assert shown["C64FT_API_TOKEN"] == "(set)"
    assert "s3cret" not in str(shown)
    assert "embedded" in shown["C64FT_BROKER_URL"]
    assert set(shown) >= {"C64FT_WORKSPACE", "C64FT_DATABASE_URL", "C64FT_ALLOWED_BASE_MODELS"}
