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

# OCR for scanned PDF pages (build_datasets); a compiler and cmake for pip to build
# llama-cpp-python from source. The `render` group is made when the base image lacks it, so
# that `group_add: [render]` resolves; RENDER_GID in .env gives the host's number.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ocrmypdf tesseract-ocr tesseract-ocr-eng \
        build-essential cmake \
    && rm -rf /var/lib/apt/lists/* \
    && (getent group render || groupadd --system render) \
    && useradd --uid 10001 --create-home --home-dir /home/c64ft --shell /usr/sbin/nologin c64ft \
    && chmod 1777 /home/c64ft \
    && mkdir -p /workspace && chown c64ft:c64ft /workspace

WORKDIR /app
# llama.cpp (built by pip with llama-cpp-python) for the image's GPU: HIP here, CUDA from
# docker-compose.cuda.yml, the CPU alone with no GGML_HIP/GGML_CUDA. GPU_TARGETS is the AMD list
# of llama-cpp-python's ROCm 7.2 wheels: docker build sees no GPU to detect (narrow it to yours
# to build faster). GGML_NATIVE=OFF: AVX2 rather than the build machine's CPU. No multimodal
# library (LLAVA_BUILD): the project never loads it.
ARG LLAMA_CMAKE_ARGS="-DGGML_HIP=ON -DGPU_TARGETS=gfx908;gfx90a;gfx942;gfx1030;gfx1100;gfx1101;gfx1102;gfx1150;gfx1151;gfx1200;gfx1201 -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
# The project's dependencies without requirements/torch.txt, then the project with --no-deps:
# pip never touches the base image's ROCm (or CUDA) torch, and the build fails if it did.
# HIPCXX and HIP_PATH as llama.cpp's docs/build.md (HIP) sets them, where ROCm is installed.
COPY requirements/service.txt requirements/ml.txt requirements/
RUN python3 -c "import torch; print(torch.__version__)" > /tmp/base-torch-version \
    && if [ -x /opt/rocm/bin/hipconfig ]; then \
        export HIPCXX="$(/opt/rocm/bin/hipconfig -l)/clang" HIP_PATH="$(/opt/rocm/bin/hipconfig -R)"; \
    fi \
    && CMAKE_ARGS="$LLAMA_CMAKE_ARGS" python3 -m pip install --no-cache-dir \
        -r requirements/service.txt -r requirements/ml.txt \
    && test "$(python3 -c 'import torch; print(torch.__version__)')" = "$(cat /tmp/base-torch-version)"
COPY pyproject.toml README.md ./
COPY requirements requirements
COPY api api
COPY core core
COPY worker worker
COPY c64ft c64ft
RUN python3 -m pip install --no-cache-dir --no-deps . \
    && test "$(python3 -c 'import torch; print(torch.__version__)')" = "$(cat /tmp/base-torch-version)"
# llama.cpp's converter scripts for the export job, fetched now so that workers need no package
# index (no pip cache: it would land under XDG_CACHE_HOME, in /workspace). Readable by all:
# compose runs the workers as the host's user, not as c64ft.
ENV C64FT_LLAMA_CPP_DIR=/opt/llama.cpp
RUN PIP_NO_CACHE_DIR=1 c64ft setup-llama-cpp && chmod -R a+rX "$C64FT_LLAMA_CPP_DIR"

USER c64ft
WORKDIR /workspace
# docker-compose.yml gives each worker its queue; `c64ft run KIND …` runs one job in place.
CMD ["c64ft", "worker", "--queues", "gpu"]
