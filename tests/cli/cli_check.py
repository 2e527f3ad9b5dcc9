"""What every CLI test script shares: failed checks are collected (and printed at once) so a
run reports all of them; the script exits non-zero when `failures` is not empty."""

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED:", what)
