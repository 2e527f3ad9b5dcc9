"""What every CLI test script shares: failed checks are collected (and printed at once) so a
run reports all of them; `finish()` exits non-zero when `failures` is not empty."""
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
