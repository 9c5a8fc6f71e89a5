"""Example request bodies of `POST /jobs` for gpu_smoke (shown in Swagger UI)."""

EXAMPLES = {
    "gpu_smoke": {
        "summary": "gpu_smoke: prove the worker's GPU works",
        "value": {"kind": "gpu_smoke"},
    },
    "gpu_smoke_cpu": {
        "summary": "gpu_smoke on a machine without a GPU",
        "value": {"kind": "gpu_smoke", "allow_cpu": True, "metadata": {"host": "laptop"}},
    },
    "gpu_smoke_burn_in": {
        "summary": "gpu_smoke with a 10-minute burn-in before an overnight run",
        "value": {"kind": "gpu_smoke", "matrix_size": 8192, "burn_in_s": 600},
    },
}
