"""End-to-end fixtures: a real Redis and a real service (uvicorn + Celery worker processes).

Redis: the server at C64FT_TEST_REDIS_URL when set (CI sets it), else a redis-server that this
test session starts on a free port.
"""

import os
import tempfile
from pathlib import Path

import pytest
import redis

from tests.e2e.service import RedisServer, Service


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("C64FT_TEST_REDIS_URL")
    if url:
        yield url
        return
    server = RedisServer(Path(tempfile.mkdtemp(prefix="c64ft-redis-")))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.fail(f"these tests need Redis at {redis_url}: {exc}")
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
        broker_url = request.getfixturevalue("redis_url")
    yield from _service(tmp_path, broker_url)


@pytest.fixture
def redis_service(tmp_path, redis_client, redis_url):
    yield from _service(tmp_path, redis_url)


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of one test's own, which the test stops and starts."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
