"""End-to-end fixtures: a real Redis (C64FT_TEST_REDIS_URL) or the embedded broker."""

import os

import pytest
import redis

from tests.e2e.service import Service

REDIS_URL = os.environ.get("C64FT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.fail(f"these tests need Redis at {REDIS_URL} (set C64FT_TEST_REDIS_URL): {exc}")
    yield client
    client.close()


def _service(tmp_path, broker_url):
    service = Service(tmp_path, broker_url)
    service.start_api()
    yield service
    service.stop()
    print(service.logs())  # pytest shows a test's captured output only when it fails


@pytest.fixture(params=["redis", "embedded"])
def service(request, tmp_path):
    broker_url = ""
    if request.param == "redis":
        request.getfixturevalue("redis_client")
        broker_url = REDIS_URL
    yield from _service(tmp_path, broker_url)


@pytest.fixture
def redis_service(tmp_path, redis_client):
    yield from _service(tmp_path, REDIS_URL)

