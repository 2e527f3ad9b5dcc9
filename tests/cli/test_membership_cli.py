"""`codelength membership` end to end: seeded NumPy scores (a generic CSV) and real records of
`codelength memorization --json`/--csv; AUROC, TPR at FPR and the conformal thresholds checked
against an independent implementation here (pairwise counting, enumeration of thresholds), the
Welch p-values against scipy.stats.ttest_ind(equal_var=False); every malformed input must exit
non-zero naming the file (and line)."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
from scipy import stats

from cli_check import check, finish, path_of, write

CLI = sys.argv[1]
WORK = sys.argv[2]
SEED = 20261207
SCORE_KEYS = {"auroc", "auroc_interval", "tpr_at_fpr", "threshold_at_fpr", "p_value"}


def run(*args):
    return subprocess.run([CLI, "membership", *map(str, args)], capture_output=True, text=True)


def write_labels(name, labels):
    return write(name, "".join(label + "\n" for label in labels))


def oriented(values, higher):
    values = np.asarray(values, dtype=np.float64)
    return values if higher else -values


def auroc(members, nonmembers, higher):
    """Mann-Whitney by counting every pair, ties one half."""
    m = oriented(members, higher)[:, None]
    n = oriented(nonmembers, higher)[None, :]
    return ((m > n).sum() + 0.5 * (m == n).sum()) / (m.size * n.size)


def tpr_at_fpr(members, nonmembers, higher, alpha):
    """The largest TPR over all thresholds (every observed score, and one above all) whose
    FPR = #{non-members >= tau} / n0 is <= alpha; None when 1 / n0 > alpha."""
    m = oriented(members, higher)
    n = oriented(nonmembers, higher)
    if 1.0 / len(n) > alpha:
        return None
    best = 0.0
    for tau in np.concatenate([m, n, [np.inf]]):
        if (n >= tau).sum() / len(n) <= alpha:
            best = max(best, (m >= tau).sum() / len(m))
    return best


def conformal_threshold(nonmembers, higher, alpha):
    """The smallest double tau (oriented) whose flags {s >= tau} are those with conformal p-value
    (1 + #{reference >= s}) / (n + 1) <= alpha; returned in the score's units, or None."""
    ref = np.sort(oriented(nonmembers, higher))
    n = len(ref)
    allowed = max((j for j in range(n + 2) if j / (n + 1) <= alpha), default=0)
    if allowed < 1:
        return None
    tau = float(np.nextafter(ref[n - allowed], np.inf))
    return tau if higher else -tau


def p_conformal(ref_oriented, s):
    return (1 + (ref_oriented >= s).sum()) / (len(ref_oriented) + 1)


def welch_p(suspects, nonmembers, higher):
    return stats.ttest_ind(suspects, nonmembers, equal_var=False,
                           alternative="greater" if higher else "less").pvalue


def close(got, want, relative=1e-9, absolute=1e-12):
    return got is not None and abs(got - want) <= absolute + relative * abs(want)


def check_score(report, name, values, labels, higher, what):
    """Every number of one score's entry against the independent implementations."""
    entry = report.get(name)
    check(entry is not None and set(entry) == SCORE_KEYS, f"{what}: {name} has the keys {SCORE_KEYS}")
    if entry is None:
        return
    labels = np.asarray(labels)
    values = np.asarray(values, dtype=np.float64)
    members = values[labels == "member"]
    nonmembers = values[labels == "nonmember"]
    suspects = values[labels == "suspect"]
    tested = suspects if len(suspects) else members
    check(report["directions"][name] == ("higher" if higher else "lower"), f"{what}: {name} direction")
    if len(members):
        want = auroc(members, nonmembers, higher)
        check(close(entry["auroc"], want), f"{what}: {name} AUROC {entry['auroc']} != {want}")
        interval = entry["auroc_interval"]
        check(set(interval) == {"lower", "upper"}, f"{what}: {name} interval keys")
        check(0.0 <= interval["lower"] <= entry["auroc"] <= interval["upper"] <= 1.0,
              f"{what}: {name} AUROC {entry['auroc']} within its interval {interval}")
    else:
        check(entry["auroc"] is None and entry["auroc_interval"] is None, f"{what}: no members, no AUROC")
    check(set(entry["tpr_at_fpr"]) == {"0.001", "0.01", "0.05"}, f"{what}: {name} TPR keys")
    for key in ("0.001", "0.01", "0.05"):
        got = entry["tpr_at_fpr"].get(key)
        want = tpr_at_fpr(members, nonmembers, higher, float(key)) if len(members) else None
        check(got == want, f"{what}: {name} TPR at FPR {key}: {got} != {want}")
    check(set(entry["threshold_at_fpr"]) == {"0.01", "0.05"}, f"{what}: {name} threshold keys")
    ref = oriented(nonmembers, higher)
    everything = oriented(values, higher)
    for key in ("0.01", "0.05"):
        alpha = float(key)
        got = entry["threshold_at_fpr"].get(key)
        want = conformal_threshold(nonmembers, higher, alpha)
        check(got == want, f"{what}: {name} threshold at {key}: {got} != {want}")
        if got is not None:
            tau = oriented([got], higher)[0]
            flags_agree = all((p_conformal(ref, s) <= alpha) == (s >= tau) for s in everything)
            check(flags_agree, f"{what}: {name} threshold {got} flags exactly p <= {alpha}")
            below = np.nextafter(tau, -np.inf)
            check(p_conformal(ref, below) > alpha, f"{what}: {name} threshold {got} is the smallest")
    want_p = welch_p(tested, nonmembers, higher)
    check(close(entry["p_value"], want_p, relative=1e-8, absolute=1e-300),
          f"{what}: {name} p-value {entry['p_value']} != scipy {want_p}")


def generic_scores():
    """A CSV of two scores with ties and a text column; members, non-members and suspects."""
    rng = np.random.default_rng(SEED)
    labels = np.array(["member"] * 120 + ["nonmember"] * 1500 + ["suspect"] * 80)
    rng.shuffle(labels)
    shift = np.select([labels == "member", labels == "suspect"], [1.0, 0.5], 0.0)
    loss = np.round(rng.normal(2.4 - 0.4 * shift, 0.5), 2)  # rounded: ties across the sets
    mink = rng.normal(-3.0 + 0.5 * shift, 1.0)
    lines = ["id,loss,title,mink"]
    for i in range(len(labels)):
        lines.append(f'{i},{loss[i]!r},"doc, ""{i}""",{mink[i]!r}')
    return labels, loss, mink, "\n".join(lines) + "\n"


def check_generic():
    labels, loss, mink, csv_text = generic_scores()
    data = write("scores.csv", csv_text)
    label_file = write_labels("labels.txt", labels)
    args = [data, "--labels", label_file, "--score", "loss:lower,mink:higher", "--resamples", 200, "--seed", 7]
    result = run(*args, "--json")
    check(result.returncode == 0, f"generic CSV: {result.stderr}")
    if result.returncode != 0:
        return
    report = json.loads(result.stdout)
    check(report["documents"] == 1700 and report["members"] == 120 and report["nonmembers"] == 1500
          and report["suspects"] == 80, "generic CSV: counts")
    check(report["suspect_role"] == "suspect" and report["seed"] == 7 and report["resamples"] == 200,
          "generic CSV: metadata")
    check(report["format"] == "csv" and "assumption" in report, "generic CSV: format and assumption")
    check(set(report["directions"]) == {"loss", "mink"}, "generic CSV: only the chosen scores")
    check_score(report, "loss", loss, labels, False, "generic CSV")
    check_score(report, "mink", mink, labels, True, "generic CSV")
    p = report["combined_p_value"]
    check(p is not None and 0.0 < p < 0.05, f"generic CSV: combined p-value {p} (suspects are shifted)")
    check(set(report["combined_weights"]) == {"loss", "mink"}, "generic CSV: combined weights")

    again = run(*args, "--json")
    check(again.stdout == result.stdout, "generic CSV: the same seed gives the same output")
    other = json.loads(run(*args[:-1], 8, "--json").stdout)
    check(other["loss"]["auroc"] == report["loss"]["auroc"], "another seed: the same AUROC")
    check(other["loss"]["auroc_interval"] != report["loss"]["auroc_interval"]
          or other["combined_p_value"] != p, "another seed: other intervals or halves")

    table = run(*args)
    check(table.returncode == 0, f"generic CSV table: {table.stderr}")
    lines = table.stdout.splitlines()
    check(any(line.startswith("loss ") and " lower " in line for line in lines), "table: loss row")
    check(any(line.startswith("mink ") and " higher " in line for line in lines), "table: mink row")
    check(any("assumed:" in line and "distribution" in line for line in lines), "table: the assumption")
    check(any(line.startswith("combined") for line in lines), "table: the combined p-value")
    auroc_text = f"{report['loss']['auroc']:.4f}"
    check(auroc_text in table.stdout, f"table: loss AUROC {auroc_text}")

    # -o writes the same report, whole; an existing file is kept without --force.
    out = path_of("report.json")
    written = run(*args, "--json", "-o", out)
    check(written.returncode == 0 and written.stdout == "", f"-o: {written.stderr}")
    with open(out) as f:
        check(f.read() == result.stdout, "-o: the file holds the JSON report")
    refused = run(*args, "-o", out)
    check(refused.returncode == 1 and "exists" in refused.stderr, "-o: existing file refused")
    with open(out) as f:
        check(f.read() == result.stdout, "-o: the refused file is unchanged")
    check(run(*args, "-o", out, "--force").returncode == 0, "-o --force replaces")

    # No suspects: the members are tested; the output says so.
    member_labels = np.where(labels == "suspect", "member", labels)
    no_suspects = write_labels("labels_no_suspects.txt", member_labels)
    result = run(data, "--labels", no_suspects, "--score", "loss:lower,mink:higher", "--json")
    report = json.loads(result.stdout)
    check(report["suspect_role"] == "member" and report["suspects"] == 0, "no suspects: members tested")
    check_score(report, "loss", loss, member_labels, False, "no suspects")
    table = run(data, "--labels", no_suspects, "--score", "loss:lower,mink:higher").stdout
    check("members (no document is a suspect)" in table, "no suspects: the table says so")

    # Failures: each names the file (and line) and exits non-zero.
    def expect_failure(what, call_args, needles, status=1):
        result = run(*call_args)
        check(result.returncode == status, f"{what}: status {result.returncode}, wanted {status}")
        for needle in needles:
            check(needle in result.stderr, f"{what}: {needle!r} in {result.stderr!r}")

    score = ["--score", "loss:lower"]
    short = write_labels("labels_short.txt", labels[:-1])
    expect_failure("count mismatch", [data, "--labels", short, *score], [short, "1699 labels", "1700 documents"])
    typo = list(labels)
    typo[2] = "memeber"
    typo_file = write_labels("labels_typo.txt", typo)
    expect_failure("unknown label", [data, "--labels", typo_file, *score], [typo_file + ":3:", "'memeber'"])
    blank = write("labels_blank.txt", "\n".join(labels[:4]) + "\n\n" + "\n".join(labels[4:]) + "\n")
    expect_failure("empty line", [data, "--labels", blank, *score], [blank + ":5:", "empty line"])
    missing = path_of("no_such_labels.txt")
    expect_failure("missing labels file", [data, "--labels", missing, *score], [missing])
    expect_failure("missing records", [path_of("none.csv"), "--labels", label_file], ["none.csv"])
    expect_failure("no --labels", [data, *score], ["--labels"], status=2)
    expect_failure("unknown column", [data, "--labels", label_file, "--score", "zzz:lower"], ["no column 'zzz'"])
    expect_failure("no direction", [data, "--labels", label_file, "--score", "loss"], ["loss:higher"], status=2)
    expect_failure("text column", [data, "--labels", label_file, "--score", "title:higher"],
                   [data + ":2:", "not a number"])
    expect_failure("no known column", [data, "--labels", label_file], ["--score"])
    rows = csv_text.splitlines()
    rows[3] = rows[3].replace(repr(loss[2]), "nan", 1)
    nan_file = write("scores_nan.csv", "\n".join(rows) + "\n")
    expect_failure("NaN score", [nan_file, "--labels", label_file, *score], [nan_file + ":4:", "NaN"])
    rows = csv_text.splitlines()
    rows[5] = rows[5].replace(repr(loss[4]), "", 1)
    empty_file = write("scores_empty.csv", "\n".join(rows) + "\n")
    expect_failure("empty score", [empty_file, "--labels", label_file, *score], [empty_file + ":6:", "no value"])
    rows = csv_text.splitlines()
    rows[7] += ",1"
    wide_file = write("scores_wide.csv", "\n".join(rows) + "\n")
    expect_failure("extra field", [wide_file, "--labels", label_file, *score], [wide_file + ":8:", "5 fields"])
    bad_json = write("bad.json", '{"documents": [\n  {"loss": 1.5},\n  {"loss": 2.5,}\n]}\n')
    expect_failure("bad JSON", [bad_json, "--labels", label_file, *score], [bad_json + ":3:16:", "invalid JSON"])
    no_nonmembers = write_labels("labels_members.txt", np.where(labels == "nonmember", "member", labels))
    expect_failure("no non-members", [data, "--labels", no_nonmembers, *score], ["nonmember"])

    # The same scores as a JSON array of records (escapes, non-ASCII names), and from stdin.
    score_pair = ["--score", "loss:lower,mink:higher", "--json", "--resamples", 200, "--seed", 7]
    records = [{"id": i, "loss": float(loss[i]), "mink": float(mink[i]), "na\u00efve \ud83d\ude00": "x\n"}
               for i in range(len(labels))]
    array_file = write("scores.json", json.dumps(records, indent=1))
    from_csv = json.loads(run(data, "--labels", label_file, *score_pair).stdout)
    from_json = json.loads(run(array_file, "--labels", label_file, *score_pair).stdout)
    piped = subprocess.run([CLI, "membership", "-", "--labels", label_file, *map(str, score_pair)],
                           input=csv_text, capture_output=True, text=True)
    check(piped.returncode == 0 and json.loads(piped.stdout)["input"] == "-", f"stdin: {piped.stderr}")
    from_stdin = json.loads(piped.stdout) if piped.returncode == 0 else {}
    for report in (from_csv, from_json, from_stdin):
        report.pop("input", None)
        report.pop("format", None)
    check(from_csv == from_json == from_stdin, "a JSON array, a CSV and stdin give the same report")
    for what, text, where in [
        ("lone surrogate", '[{"a": "\\ud800"}]', ":1:9:"),
        ("leading zero", '[\n {"loss": 01}]', ":2:12:"),
        ("NaN literal", '[{"loss": NaN}]', ":1:11:"),
        ("text after the value", '[{"loss": 1}] x', ":1:15:"),
        ("duplicate key", '[{"loss": 1, "loss": 2}]', ":1:14:"),
        ("unterminated", '[{"loss": 1}', ":1:13:"),
        ("no documents member", '{"records": []}', ': the JSON object has no "documents"'),
    ]:
        bad = write("bad_reader.json", text)
        expect_failure(f"JSON reader: {what}", [bad, "--labels", label_file, *score], [bad + where])

    # Too few documents for a p-value: one member, two non-members.
    tiny = write("tiny.csv", "loss\n1.0\n2.0\n3.0\n")
    tiny_labels = write_labels("tiny_labels.txt", ["member", "nonmember", "nonmember"])
    result = run(tiny, "--labels", tiny_labels, "--score", "loss:lower", "--json")
    check(result.returncode == 0, f"tiny: {result.stderr}")
    if result.returncode == 0:
        report = json.loads(result.stdout)
        check(report["loss"]["auroc"] == 1.0 and report["loss"]["p_value"] is None
              and report["loss"]["tpr_at_fpr"] == {"0.001": None, "0.01": None, "0.05": None}
              and report["loss"]["threshold_at_fpr"] == {"0.01": None, "0.05": None}
              and report["combined_p_value"] is None, f"tiny: undefined values are null: {report['loss']}")

    # An infinite score orders (AUROC) but has no Welch p-value.
    rows = csv_text.splitlines()
    member_row = int(np.flatnonzero(labels == "member")[0]) + 1
    rows[member_row] = rows[member_row].replace(repr(loss[member_row - 1]), "-inf", 1)
    inf_file = write("scores_inf.csv", "\n".join(rows) + "\n")
    result = run(inf_file, "--labels", label_file, "--score", "loss:lower,mink:higher", "--json")
    check(result.returncode == 0, f"infinite score: {result.stderr}")
    if result.returncode == 0:
        report = json.loads(result.stdout)
        inf_loss = loss.copy()
        inf_loss[member_row - 1] = -np.inf
        check(close(report["loss"]["auroc"], auroc(inf_loss[labels == "member"], loss[labels == "nonmember"], False)),
              "infinite score: AUROC")
        check(report["loss"]["p_value"] is not None, "infinite member score: the suspects' p-value stays")
    only_members = np.where(labels == "suspect", "member", labels)
    inf_labels = write_labels("labels_inf.txt", only_members)
    result = run(inf_file, "--labels", inf_labels, "--score", "loss:lower,mink:higher", "--json")
    report = json.loads(result.stdout)
    check(report["loss"]["p_value"] is None and report["mink"]["p_value"] is not None
          and report["combined_p_value"] is None, "infinite tested score: no p-value, no combined test")
    table = run(inf_file, "--labels", inf_labels, "--score", "loss:lower,mink:higher").stdout
    check("n/a (inf)" in table, "infinite tested score: the table says why")


def check_memorization_records():
    """Real records: documents whose targets the model favours are members."""
    rng = np.random.default_rng(SEED + 1)
    docs, length, V = 40, 30, 16
    T = docs * length
    labels = np.array(["member", "nonmember"] * (docs // 2))
    targets = rng.integers(0, V, size=T)
    reference = rng.normal(0.0, 1.0, size=(T, V))
    logits = reference + rng.normal(0.0, 0.3, size=(T, V))
    for d in range(docs):
        if labels[d] == "member":
            rows = np.arange(d * length, (d + 1) * length)
            logits[rows, targets[rows]] += 0.6
    inputs = {"logits": "mem_logits.npy", "targets": "mem_targets.npy", "doc-offsets": "mem_offsets.npy",
              "token-bytes": "mem_bytes.npy", "reference-logits": "mem_reference.npy"}
    np.save(path_of(inputs["logits"]), logits.astype(np.float32))
    np.save(path_of(inputs["targets"]), targets.astype(np.int64))
    np.save(path_of(inputs["doc-offsets"]), np.arange(0, T, length, dtype=np.int64))
    token_bytes = rng.integers(1, 4, size=T)
    np.save(path_of(inputs["token-bytes"]), token_bytes.astype(np.int64))
    np.save(path_of(inputs["reference-logits"]), reference.astype(np.float32))
    with open(path_of("mem_text.txt"), "wb") as f:
        f.write(bytes(rng.integers(97, 123, size=int(token_bytes.sum())).astype(np.uint8)))
    base = [CLI, "memorization", "--text", path_of("mem_text.txt"), "--resamples", "10"]
    for key, name in inputs.items():
        base += [f"--{key}", path_of(name)]
    outputs = {}
    for form in ("json", "csv"):
        result = subprocess.run([*base, f"--{form}"], capture_output=True, text=True)
        check(result.returncode == 0, f"memorization --{form}: {result.stderr}")
        outputs[form] = write(f"records.{form}", result.stdout)
    label_file = write_labels("mem_labels.txt", labels)
    with open(outputs["json"]) as f:
        records = json.load(f)["documents"]
    expected = {
        "model_bits_per_byte": False, "mean_surprisal_bits": False, "loss_over_zlib_bytes": False,
        "model_over_reference_bits": False, "gain_ratio_over_gzip_9": True, "gain_ratio_over_xz_9": True,
        "gain_ratio_over_zstd_19": True, "gain_ratio_over_brotli_11": True, "zlib_entropy_over_log_perplexity": True, "min_k_percent": True,
        "min_k_plus_plus": True,
    }
    reports = {}
    for form, path in outputs.items():
        result = run(path, "--labels", label_file, "--json", "--resamples", 300)
        check(result.returncode == 0, f"membership of memorization --{form}: {result.stderr}")
        if result.returncode != 0:
            return
        report = json.loads(result.stdout)
        reports[form] = report
        check(report["format"] == form, f"records --{form}: read as {form}")
        check(report["directions"] == {k: ("higher" if v else "lower") for k, v in expected.items()},
              f"records --{form}: every known score with its direction: {report['directions']}")
        for name, higher in expected.items():
            values = [r[name] for r in records]
            check_score(report, name, values, labels, higher, f"records --{form}")
            # The direction table is right: the favoured documents look like members.
            check(report[name]["auroc"] > 0.7, f"records --{form}: {name} AUROC {report[name]['auroc']} > 0.7")
        check(report[name]["tpr_at_fpr"]["0.01"] is None and report[name]["tpr_at_fpr"]["0.05"] is not None,
              f"records --{form}: 20 non-members: TPR undefined at 1%, defined at 5%")
        check(report[name]["threshold_at_fpr"]["0.01"] is None, f"records --{form}: no threshold at 1%")
        check(report["combined_p_value"] is not None, f"records --{form}: combined p-value")
    if len(reports) == 2:
        for key in ("input", "format"):
            reports["json"].pop(key)
            reports["csv"].pop(key)
        check(reports["json"] == reports["csv"], "memorization --json and --csv give the same numbers")
    # A score with no value for some documents (infinite in the records) is left out, with the reason.
    with open(outputs["json"]) as f:
        report_json = json.load(f)
    report_json["documents"][3]["min_k_percent"] = None
    holes = write("records_null.json", json.dumps(report_json))
    result = run(holes, "--labels", label_file, "--json", "--resamples", 10)
    check(result.returncode == 0, f"null score: {result.stderr}")
    report = json.loads(result.stdout)
    check("min_k_percent" not in report["directions"] and "document 3" in report["skipped_scores"]["min_k_percent"],
          "null score: left out with the reason")


def main():
    if os.path.isdir(WORK):
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    check_generic()
    check_memorization_records()
    help_text = run("--help").stdout
    check("--score" in help_text and "member, nonmember or suspect" in help_text, "--help documents the inputs")
    finish()


main()
