"""`python -m core.kinds.train.rank <launch folder>`: one training process of a multi-GPU run,
started by torchrun. It joins the process group, trains as `core.kinds.train.runner.train`
does (rank 0 writes the outputs and reports through the launcher), and leaves its outcome in
the launch folder. It exits 1 on a failure, so that torchrun stops the other ranks at once."""

import json
import sys
import traceback
from pathlib import Path
from typing import Any

from core.errors import JobCancelled, JobFailure
from core.kinds.train.relay import LAUNCH_FILE, RankContext, outcome_file, write_json
from core.kinds.train.spec import TrainSpec
from core.training import distributed


def _train(spec: TrainSpec, ctx: RankContext) -> dict[str, Any]:
    from core.kinds.train.runner import train  # torch, transformers: after die_with_parent

    distributed.start()
    return {"outcome": "result", "result": train(spec, ctx)}


def main(folder: Path) -> int:
    distributed.die_with_parent()
    launch = json.loads((folder / LAUNCH_FILE).read_text())
    spec = TrainSpec.model_validate(launch["spec"])
    reporting = distributed.is_main()
    ctx = RankContext(Path(launch["workspace"]), folder, reporting=reporting, saved=launch["saved"])
    try:
        outcome = _train(spec, ctx)
    except JobCancelled as exc:
        outcome = {"outcome": "cancelled", "message": str(exc)}
    except JobFailure as exc:
        outcome = {"outcome": "failure", "error": exc.as_error(stage=ctx.stage)}
        outcome["result"] = exc.result
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        outcome = {"outcome": "error", "message": message, "traceback": traceback.format_exc()}
    outcome["stage"] = ctx.stage
    write_json(outcome_file(folder, distributed.rank()), outcome)
    ctx.close()
    if outcome["outcome"] not in ("result", "cancelled"):
        return 1  # torchrun then stops the ranks still waiting for this one in a collective
    distributed.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
