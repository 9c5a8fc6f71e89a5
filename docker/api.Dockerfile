# The API: FastAPI under uvicorn, no torch and no ML libraries (requirements/service.txt only).
# Build from the repository root: docker compose build api
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    C64FT_WORKSPACE=/workspace \
    HOME=/home/c64ft \
    WEB_CONCURRENCY=2

# A fixed non-root user; docker-compose.yml runs the container as LOCAL_UID:LOCAL_GID instead,
# so HOME is writable by any user.
RUN useradd --uid 10001 --create-home --home-dir /home/c64ft --shell /usr/sbin/nologin c64ft \
    && chmod 1777 /home/c64ft \
    && mkdir -p /workspace && chown c64ft:c64ft /workspace

WORKDIR /app
COPY requirements/service.txt requirements/service.txt
RUN python -m pip install --no-cache-dir -r requirements/service.txt
COPY pyproject.toml README.md ./
COPY requirements requirements
COPY api api
COPY core core
COPY worker worker
COPY c64ft c64ft
# The check imports the app (with a broker URL, so no embedded broker folder is made here) and
# fails the build if anything pulled in torch.
RUN python -m pip install --no-cache-dir --no-deps . \
    && C64FT_BROKER_URL=redis://127.0.0.1:6379/0 python -c \
    "import sys, api.main; heavy = {'torch', 'transformers'} & set(sys.modules); sys.exit(f'imported {heavy}' if heavy else None)"

USER c64ft
WORKDIR /workspace
EXPOSE 8000
# /health answers 503 when the database or the broker is down: urlopen raises, the check fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
# uvicorn reads its worker count from WEB_CONCURRENCY (2: the routes are light, a dry run is not).
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
