"""Shared fixtures: the CLI (for Python == CLI checks) and a seeded random generator."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def cli():
    """Runs the codelength command-line tool (path in CODELENGTH_CLI, set by ctest) and returns
    its completed process; skips the test when the tool is not built."""
    path = os.environ.get("CODELENGTH_CLI", "")
    if not path or not Path(path).is_file():
        pytest.skip("the codelength CLI is not built (CODELENGTH_CLI)")

    def run(*args, check=True, input=None):
        completed = subprocess.run([path, *map(str, args)], capture_output=True, input=input)
        if check and completed.returncode != 0:
            raise AssertionError(f"codelength {' '.join(map(str, args))} failed: "
                                 f"{completed.stderr.decode(errors='replace')}")
        return completed

    run.json = lambda *args: json.loads(run(*args).stdout)
    return run


@pytest.fixture
def rng(request):
    """A generator seeded from the test's name, printed so a failure can be replayed."""
    seed = sum(map(ord, request.node.name)) * 7919
    print(f"seed = {seed}")
    return np.random.default_rng(seed)
