"""What every CLI test script shares: failed checks are collected (and printed at once) so a
run reports all of them; `finish()` exits non-zero when `failures` is not empty. `path_of`,
`save` and `write` make files in the script's scratch directory (its second argument)."""
import os
import sys

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED:", what)


def finish():
    """Ends a test script: exit status 1 with the number of failed checks, or 0."""
    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all checks passed")


def path_of(name):
    return os.path.join(sys.argv[2], name)


def save(name, array):
    """Writes a .npy file; returns its path."""
    import numpy as np

    np.save(path_of(name), array)
    return path_of(name)


def write(name, data):
    """Writes bytes (or text as UTF-8); returns the path."""
    with open(path_of(name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path_of(name)
