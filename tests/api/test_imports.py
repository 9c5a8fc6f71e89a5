import os
import subprocess
import sys
from pathlib import Path


def test_importing_the_api_does_not_import_torch_or_transformers():
    code = (
        "import sys, api.main, worker.tasks;"
        "heavy = {'torch', 'transformers', 'peft', 'trl'} & set(sys.modules);"
        "print(sorted(heavy)); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_importing_the_api_and_the_worker_writes_nothing(tmp_path):
    code = "import api.main, worker.tasks, c64ft.demo, core.sample_corpus"
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
    env |= {"C64FT_WORKSPACE": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []  # no broker folder, no database: only a run makes them


def test_the_sample_corpus_is_found_without_torch():
    code = (
        "import sys; from core.sample_corpus import sample_corpus_dir;"
        "assert (sample_corpus_dir() / 'sid.pdf').is_file(); sys.exit('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
