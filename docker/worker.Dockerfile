# The workers (gpu and cpu queues): the seed's ROCm PyTorch image, its torch kept as it is.
# NVIDIA: --build-arg BASE_IMAGE=<a CUDA PyTorch image> (docker-compose.cuda.yml does this).
# Build from the repository root: docker compose build worker-gpu
ARG BASE_IMAGE=rocm/pytorch:rocm7.2_ubuntu24.04_py3.12_pytorch_release_2.9.1
FROM ${BASE_IMAGE}

# Ubuntu 24.04 marks its Python as externally managed, and the base image's torch lives there.
# Weights are never downloaded (the operator puts them in models/); caches live in data/.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_BREAK_SYSTEM_PACKAGES=1 \
    C64FT_WORKSPACE=/workspace \
    HOME=/home/c64ft \
    HF_HUB_OFFLINE=1 \
    HF_HOME=/workspace/data/cache/huggingface \
    XDG_CACHE_HOME=/workspace/data/cache

# OCR for scanned PDF pages (build_datasets). The `render` group is made when the base image
# lacks it, so that `group_add: [render]` resolves; RENDER_GID in .env gives the host's number.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ocrmypdf tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/* \
    && (getent group render || groupadd --system render) \
    && useradd --uid 10001 --create-home --home-dir /home/c64ft --shell /usr/sbin/nologin c64ft \
    && chmod 1777 /home/c64ft \
    && mkdir -p /workspace && chown c64ft:c64ft /workspace

WORKDIR /app
# The project's dependencies without requirements/torch.txt, then the project with --no-deps:
# pip never touches the base image's ROCm (or CUDA) torch, and the build fails if it did.
COPY requirements/service.txt requirements/ml.txt requirements/
RUN python3 -c "import torch; print(torch.__version__)" > /tmp/base-torch-version \
    && python3 -m pip install --no-cache-dir -r requirements/service.txt -r requirements/ml.txt \
    && test "$(python3 -c 'import torch; print(torch.__version__)')" = "$(cat /tmp/base-torch-version)"
COPY pyproject.toml README.md ./
COPY requirements requirements
COPY api api
COPY core core
COPY worker worker
COPY c64ft c64ft
RUN python3 -m pip install --no-cache-dir --no-deps . \
    && test "$(python3 -c 'import torch; print(torch.__version__)')" = "$(cat /tmp/base-torch-version)"

USER c64ft
WORKDIR /workspace
# docker-compose.yml gives each worker its queue; `c64ft run KIND …` runs one job in place.
CMD ["c64ft", "worker", "--queues", "gpu"]
