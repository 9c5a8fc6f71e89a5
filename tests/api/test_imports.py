import subprocess
import sys


def test_importing_the_api_does_not_import_torch_or_transformers():
    code = (
        "import sys, api.main, worker.tasks;"
        "heavy = {'torch', 'transformers', 'peft', 'trl'} & set(sys.modules);"
        "print(sorted(heavy)); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
