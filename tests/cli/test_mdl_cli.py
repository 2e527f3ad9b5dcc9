"""`codelength mdl` end to end: the test writes key,value input files, computes every MDL quantity
independently in Python (the definitions in the README, "Description length and memorization") and
compares the JSON; each malformed or meaningless input must exit non-zero with a message that names
the file (and line)."""
import json
import math
import os
import random
import shutil
import subprocess
import sys

from cli_check import check, finish

CLI = sys.argv[1]
WORK = sys.argv[2]
SEED = 20261128


def run(*args):
    return subprocess.run([CLI, "mdl", *map(str, args)], capture_output=True, text=True)


def write(name, lines):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def close(got, want, relative=1e-12):
    if want is None:
        return got is None
    return got is not None and abs(got - want) <= relative * max(1.0, abs(want))


def block_ends(n, ppm=(1000, 2000, 4000, 8000, 16000, 32000, 62500, 125000, 250000, 500000, 1000000)):
    """Nearest, halves up, clamped to [1, n], deduplicated (exact integer arithmetic)."""
    ends = []
    for p in ppm:
        e = min(max((2 * p * n + 1000000) // 2000000, 1), n)
        if not ends or e > ends[-1]:
            ends.append(e)
    return ends


def reference(case):
    """Every quantity computable from `case` (a dict), in bits."""
    to_bits = 1.0 / math.log(2) if case.get("unit") == "nats" else 1.0
    v = case.get("vocabulary_size")
    out = {}
    online_bits = None
    online_items = None
    if "first_block_items" in case:
        n1 = case["first_block_items"]
        blocks = case.get("blocks", [])
        online_items = n1 + sum(items for items, _ in blocks)
        online_bits = n1 * math.log2(v) + sum(c * to_bits for _, c in blocks)
        out.update(online_items=online_items, online_blocks=1 + len(blocks), first_block_bits=n1 * math.log2(v),
                   online_bits=online_bits, uniform_bits=online_items * math.log2(v),
                   online_compression=online_items * math.log2(v) / online_bits)
    preq = None
    tokens = None
    if case.get("steps"):
        preq = sum(t * loss * to_bits for t, loss in case["steps"])
        tokens = sum(t for t, _ in case["steps"])
        out.update(training_steps=len(case["steps"]), training_tokens=tokens, prequential_bits=preq,
                   prequential_bits_per_token=preq / tokens)
    final = None
    if "final_model_code_length" in case:
        final = case["final_model_code_length"] * to_bits
        out["final_model_bits"] = final
        if preq is not None or online_bits is not None:
            out["information_in_weights_bits"] = (preq if preq is not None else online_bits) - final
    widths = {"fp32": 32, "bf16": 16, "fp16": 16, "int8": 8, "int4": 4}
    model_bits = None
    if "parameters" in case:
        b = case.get("bits_per_parameter", "fp32")
        model_bits = case["parameters"] * (widths[b] if b in widths else float(b))
    elif "weights_bytes" in case:
        model_bits = 8 * case["weights_bytes"]
    elif "decompressor_bytes" in case:
        model_bits = 8 * case["decompressor_bytes"]
    if model_bits is not None:
        out.update(model_bits=model_bits, model_bytes=model_bits / 8)
    items = case.get("items", online_items if online_items is not None else tokens)
    if model_bits is not None and final is not None:
        out["two_part_bits"] = model_bits + final
        if items:
            out.update(data_items=items, data_bits_per_item=final / items,
                       two_part_bits_per_item=(model_bits + final) / items)
            ref = case.get("reference_bits_per_item", math.log2(v) if v else None)
            if ref is not None:
                saving = ref - final / items
                out["reference_bits_per_item"] = ref
                out["break_even_items"] = model_bits / saving if saving > 0 else None
    if "raw_bytes" in case and "compressed_bytes" in case:
        out["raw_compression_rate"] = case["compressed_bytes"] / case["raw_bytes"]
        if model_bits is not None:
            out["adjusted_compression_rate"] = (model_bits / 8 + case["compressed_bytes"]) / case["raw_bytes"]
    if online_items is not None:
        # The input's own blocks, not the default schedule.
        ends = [case["first_block_items"]]
        for items, _ in case.get("blocks", []):
            ends.append(ends[-1] + items)
        out["block_ends"] = ends
    elif case.get("items"):
        out["block_ends"] = block_ends(case["items"])
    return out


def lines_of(case):
    lines = ["# written by test_mdl_cli.py"]
    for key, value in case.items():
        if key == "blocks":
            lines += [f"block,{items},{c!r}" for items, c in value]
        elif key == "steps":
            lines += [f"step, {t} , {loss!r}" for t, loss in value]  # spaces around fields are allowed
        else:
            lines.append(f"{key},{value}")
    return lines


def compare(label, case):
    path = write(label + ".csv", lines_of(case))
    result = run("--input", path, "--json")
    check(result.returncode == 0, f"{label}: exit {result.returncode}: {result.stderr}")
    if result.returncode != 0:
        return
    report = json.loads(result.stdout)
    want = reference(case)
    for key, value in want.items():
        check(key in report, f"{label}: {key} missing from {sorted(report)}")
        if key not in report:
            continue
        if isinstance(value, list) or isinstance(value, int) and key.endswith(("items", "blocks", "steps", "tokens")):
            check(report[key] == value, f"{label}: {key} {report[key]} != {value}")
        else:
            check(close(report[key], value), f"{label}: {key} {report[key]} vs {value}")
    # Nothing reported that the inputs do not determine.
    extra = set(report) - set(want) - {"unit", "model_cost_source", "information_in_weights_source",
                                       "block_ends_source"}
    check(not extra, f"{label}: unexpected keys {sorted(extra)}")
    if "block_ends" in want:
        source = "input" if "first_block_items" in case else "default_schedule"
        check(report.get("block_ends_source") == source, f"{label}: block_ends_source {report.get('block_ends_source')}")
    return report


def expect_failure(label, status, needles, lines, *args):
    path = write(label + ".csv", lines)
    result = run("--input", path, *args)
    check(result.returncode == status, f"{label}: exit {result.returncode}, expected {status}: {result.stderr!r}")
    for needle in needles:
        check(needle.replace("FILE", path) in result.stderr,
              f"{label}: stderr {result.stderr!r} does not mention {needle!r}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    rng = random.Random(SEED)
    print("seed", SEED)

    # A full case in nats: online code on the default schedule, a training log, two-part code.
    n, v = 20000, 50257
    ends = block_ends(n)
    blocks = [(ends[i + 1] - ends[i], rng.uniform(1.0, 7.0) * (ends[i + 1] - ends[i])) for i in range(len(ends) - 1)]
    steps = [(rng.randint(1, 512), rng.uniform(2.0, 10.0)) for _ in range(200)]
    full = {"unit": "nats", "vocabulary_size": v, "items": n, "first_block_items": ends[0], "blocks": blocks,
            "steps": steps, "final_model_code_length": 3.1 * n, "parameters": 123456, "bits_per_parameter": "bf16",
            "raw_bytes": 80000, "compressed_bytes": 17000.5}
    compare("full", full)

    # Bits, a custom parameter width, a generic-compressor reference, the online code as L_preq.
    compare("bits", {"unit": "bits", "vocabulary_size": 256, "first_block_items": 7,
                     "blocks": [(7, 30.0), (14, 40.25)], "final_model_code_length": 50.0,
                     "parameters": 10, "bits_per_parameter": "5.5", "reference_bits_per_item": 2.16})
    # Break-even undefined: the model needs more bits per item than the reference.
    compare("never_pays", {"unit": "bits", "items": 100, "final_model_code_length": 900.0,
                           "decompressor_bytes": 4000, "reference_bits_per_item": 8.0})
    # Weights-file cost, rates only.
    compare("rates", {"weights_bytes": 500, "raw_bytes": 1000, "compressed_bytes": 83})
    # Schedules alone, including N smaller than the number of blocks and N = 1.
    for items in (1, 2, 5, 11, 375, 1000, 10 ** 9):
        compare(f"schedule_{items}", {"items": items})
    check(block_ends(10000) == [10, 20, 40, 80, 160, 320, 625, 1250, 2500, 5000, 10000], "reference schedule")

    # --weights: sizes from the library's coder and zstd, the former used as the model cost.
    weights = os.path.join(WORK, "weights.bin")
    with open(weights, "wb") as f:
        f.write(bytes(i % 13 for i in range(50000)))
    path = write("weights.csv", ["raw_bytes,100000", "compressed_bytes,20000"])
    result = run("--input", path, "--weights", weights, "--json")
    check(result.returncode == 0, f"--weights: exit {result.returncode}: {result.stderr}")
    if result.returncode == 0:
        report = json.loads(result.stdout)
        check(0 < report["weights_bytes_codelength"] < 50000, f"--weights: {report}")
        check(0 < report["weights_bytes_zstd"] < 50000, f"--weights: {report}")
        check(report["model_bytes"] == report["weights_bytes_codelength"], "--weights: model cost")
        check(close(report["adjusted_compression_rate"], (report["model_bytes"] + 20000) / 100000),
              "--weights: adjusted rate")

    # The table names the same quantities.
    path = write("table.csv", lines_of(full))
    result = run("--input", path)
    check(result.returncode == 0 and "online_compression" in result.stdout and "break_even_items" in result.stdout,
          f"table output: {result.stdout!r} {result.stderr!r}")
    check(run("--help").returncode == 0 and "block,ITEMS,CODE_LENGTH" in run("--help").stdout, "--help")

    # Failures name the file and line.
    expect_failure("bad_number", 1, ["FILE:3:", "block code length", "'abc'"],
                   ["unit,bits", "first_block_items,1", "block,2,abc", "vocabulary_size,2"])
    expect_failure("short_row", 1, ["FILE:2:", "step needs 2 values"], ["unit,bits", "step,3"])
    expect_failure("unknown_key", 1, ["FILE:2:", "unknown key 'vocab'"], ["# c", "vocab,3"])
    expect_failure("twice", 1, ["FILE:3:", "given twice", "line 1"], ["items,3", "", "items,4"])
    expect_failure("bad_unit", 1, ["FILE:1:", "bits or nats"], ["unit,bytes", "step,1,2"])
    expect_failure("no_unit", 1, ["unit,bits"], ["step,1,2"])
    expect_failure("negative", 1, ["FILE:1:", "integer >= 1"], ["items,-4"])
    expect_failure("two_costs", 1, ["more than one model cost"], ["parameters,3", "weights_bytes,4"])
    expect_failure("items_mismatch", 1, ["FILE:1:", "items is 10"],
                   ["items,10", "unit,bits", "vocabulary_size,4", "first_block_items,2", "block,3,1.5"])
    # Nonsense that used to exit 0: a vocabulary of 0 symbols, 0 items, an input without records,
    # one that determines nothing, empty blocks or steps, a corpus of 0 raw bytes.
    expect_failure("vocabulary_0", 1, ["FILE:2:", "vocabulary_size must be an integer >= 1", "'0'"],
                   ["items,10", "vocabulary_size,0"])
    expect_failure("vocabulary_0_alone", 1, ["FILE:1:", "vocabulary_size"], ["vocabulary_size,0"])
    expect_failure("items_0", 1, ["FILE:1:", "items must be an integer >= 1", "'0'"], ["items,0"])
    expect_failure("first_block_0", 1, ["FILE:3:", "first_block_items must be an integer >= 1"],
                   ["unit,bits", "vocabulary_size,4", "first_block_items,0", "block,3,1.5"])
    expect_failure("block_items_0", 1, ["FILE:4:", "block items must be an integer >= 1"],
                   ["unit,bits", "vocabulary_size,4", "first_block_items,2", "block,0,1.5"])
    expect_failure("step_tokens_0", 1, ["FILE:2:", "step tokens must be an integer >= 1"], ["unit,bits", "step,0,2.5"])
    expect_failure("raw_bytes_0", 1, ["FILE:1:", "raw_bytes must be a finite number > 0"],
                   ["raw_bytes,0", "compressed_bytes,3"])
    expect_failure("empty", 1, ["FILE:", "no records", "nothing to compute"], [])
    expect_failure("comments_only", 1, ["FILE:", "no records"], ["# a comment", "", "   "])
    expect_failure("nothing_to_compute", 1, ["FILE:", "nothing to compute from unit, vocabulary_size"],
                   ["unit,bits", "vocabulary_size,50257"])
    for label in ("vocabulary_0", "items_0", "empty", "nothing_to_compute"):
        result = run("--input", os.path.join(WORK, label + ".csv"), "--json")
        check(result.stdout == "", f"{label} --json: printed {result.stdout!r}")
    result = run("--input", WORK, "--json")
    check(result.returncode == 1 and WORK in result.stderr and "Is a directory" in result.stderr
          and result.stdout == "", f"directory: {result.returncode} {result.stdout!r} {result.stderr!r}")

    # block_ends lists the input's own blocks (it listed the default schedule of `items`).
    report = compare("own_blocks", {"unit": "bits", "vocabulary_size": 4, "items": 1000, "first_block_items": 100,
                                    "blocks": [(100, 150.0), (300, 400.0), (500, 600.0)]})
    check(report is not None and report["block_ends"] == [100, 200, 500, 1000],
          f"own blocks: block_ends {report and report.get('block_ends')}")
    path = write("own_blocks_table.csv", ["unit,bits", "vocabulary_size,4", "first_block_items,100",
                                          "block,100,150", "block,300,400", "block,500,600"])
    result = run("--input", path)
    check(result.returncode == 0 and "100, 200, 500, 1000" in result.stdout and "1, 2, 4" not in result.stdout,
          f"own blocks table: {result.stdout!r}")
    # `-` reads the records from stdin.
    result = subprocess.run([CLI, "mdl", "--input", "-", "--json"], input="items,5\n", capture_output=True, text=True)
    check(result.returncode == 0 and json.loads(result.stdout).get("block_ends") == [1, 3, 5],
          f"stdin: {result.returncode} {result.stdout!r} {result.stderr!r}")

    result = run("--json")
    check(result.returncode == 2 and "--input is required" in result.stderr, f"no --input: {result.stderr!r}")
    result = run("--input", os.path.join(WORK, "does_not_exist.csv"))
    check(result.returncode == 1 and "does_not_exist.csv" in result.stderr, f"missing file: {result.stderr!r}")

    finish()


if __name__ == "__main__":
    main()
