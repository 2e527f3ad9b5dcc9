"""`codelength memorization` end to end: NumPy writes logits, targets, document offsets, token
byte counts and the text; an independent NumPy/zlib/lzma computation checks the per-document
metrics and the summary; every malformed input must exit non-zero naming the file or element."""
import csv
import gzip
import io
import json
import lzma
import math
import os
import shutil
import subprocess
import sys
import zlib

import numpy as np

from cli_check import check, failures

CLI = sys.argv[1]
WORK = sys.argv[2]
SEED = 20261129


def run(*args):
    return subprocess.run([CLI, "memorization", *map(str, args)], capture_output=True, text=True)


def save(name, array):
    path = os.path.join(WORK, name)
    np.save(path, array)
    return path


def write_text(name, data):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def close(got, want, relative=1e-9, absolute=1e-9):
    return got is not None and abs(got - want) <= absolute + relative * abs(want)


def token_stats(logits, targets):
    """Float64 surprisal bits, ln p, Min-K%++ z and rank of every target."""
    z = logits.astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    logp = z - (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))
    p = np.exp(logp)
    rows = np.arange(len(targets))
    token_logp = logp[rows, targets]
    entropy = -(p * logp).sum(axis=1)
    variance = (p * logp * logp).sum(axis=1) - entropy ** 2
    zscore = (token_logp + entropy) / np.sqrt(variance)
    target_logit = z[rows, targets]
    ranks = (z > target_logit[:, None]).sum(axis=1) + np.array(
        [(z[r, :targets[r]] == target_logit[r]).sum() for r in rows])
    return -token_logp / math.log(2), token_logp, zscore, ranks


def lowest_mean(values, k):
    count = max(1, int(len(values) * (k / 100.0)))
    return float(np.sort(values)[:count].mean())


def spans(bits, nbytes, threshold, min_bytes, text, ratio):
    """Maximal runs of tokens with bits <= threshold * bytes, >= min_bytes long, zlib-checked."""
    out, start, offset, run_bits, run_begin = [], None, 0, 0.0, 0
    for t in range(len(bits) + 1):
        ok = t < len(bits) and bits[t] <= threshold * nbytes[t]
        if ok and start is None:
            start, run_begin, run_bits = t, offset, 0.0
        if ok:
            run_bits += bits[t]
        if not ok and start is not None:
            if offset - run_begin >= min_bytes:
                zbits = 8 * len(zlib.compress(text[run_begin:offset]))
                if zbits >= ratio * run_bits:
                    out.append((run_begin, offset, start, t))
            start = None
        if t < len(bits):
            offset += int(nbytes[t])
    return out


def main():
    if os.path.isdir(WORK):
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    rng = np.random.default_rng(SEED)
    print("seed", SEED)
    V = 40
    doc_lengths = [60, 1, 25, 80]
    T = sum(doc_lengths)
    targets = rng.integers(0, V, size=T)
    logits = rng.normal(0.0, 1.5, size=(T, V)).astype(np.float32)
    # Document 3 is "memorized": its targets get a large logit, except at position 40.
    start3 = sum(doc_lengths[:3])
    for t in range(start3, T):
        logits[t, targets[t]] += 14.0
    logits[start3 + 40, targets[start3 + 40]] -= 30.0
    token_bytes = rng.integers(1, 5, size=T)
    token_bytes[start3:] = 3
    text = bytes(rng.integers(97, 123, size=int(token_bytes.sum())).astype(np.uint8))
    reference = rng.normal(0.0, 1.0, size=(T, V)).astype(np.float64)
    offsets = np.cumsum([0] + doc_lengths[:-1])

    paths = {
        "logits": save("logits.npy", logits),
        "targets": save("targets.npy", targets.astype(np.int32)),
        "doc-offsets": save("offsets.npy", offsets.astype(np.int64)),
        "token-bytes": save("bytes.npy", token_bytes.astype(np.int16)),
        "text": write_text("text.txt", text),
        "reference-logits": save("reference.npy", reference),
    }
    base = []
    for key, path in paths.items():
        base += [f"--{key}", path]
    k, prefix, prompt = 20.0, 10, 4
    result = run(*base, "--prefix", prefix, "--k", k, "--prompt-tokens", prompt, "--json")
    check(result.returncode == 0, f"json run failed: {result.stderr}")
    if result.returncode != 0:
        return
    report = json.loads(result.stdout)
    docs = report["documents"]
    check(len(docs) == len(doc_lengths), "one record per document")

    bits, logp, zscore, ranks = token_stats(logits, targets)
    ref_bits = token_stats(reference, targets)[0]
    byte_offsets = np.concatenate([[0], np.cumsum(token_bytes)])
    per_doc_bpb = []
    for d, (begin, n) in enumerate(zip(offsets, doc_lengths)):
        got = docs[d]
        end = begin + n
        data = text[byte_offsets[begin]:byte_offsets[end]]
        b = bits[begin:end]
        model_bits = float(b.sum())
        mean_bits = model_bits / n
        zbytes = len(zlib.compress(data))
        label = f"document {d}"
        check(got["tokens"] == n and got["bytes"] == len(data), f"{label}: tokens/bytes")
        check(got["byte_begin"] == int(byte_offsets[begin]), f"{label}: byte_begin")
        check(close(got["model_bits"], model_bits, 1e-5, 1e-4), f"{label}: model_bits {got['model_bits']} vs {model_bits}")
        check(close(got["model_bits_per_byte"], model_bits / len(data), 1e-5, 1e-5), f"{label}: bits/byte")
        per_doc_bpb.append(model_bits / len(data))
        check(got["zlib_bytes"] == zbytes, f"{label}: zlib bytes {got['zlib_bytes']} vs {zbytes}")
        check(got["gzip_9_bytes"] == len(gzip.compress(data, 9, mtime=0)), f"{label}: gzip -9 bytes")
        check(got["xz_9_bytes"] == len(lzma.compress(data, preset=9)), f"{label}: xz -9 bytes")
        check(close(got["gain_bits_over_gzip_9"], 8 * got["gzip_9_bytes"] - model_bits, 1e-6, 1e-3),
              f"{label}: gain over gzip")
        check(close(got["gain_ratio_over_xz_9"], 8 * got["xz_9_bytes"] / model_bits, 1e-5), f"{label}: xz ratio")
        check(close(got["zlib_entropy_over_log_perplexity"], 8 * zbytes / mean_bits, 1e-5),
              f"{label}: zlib_entropy_over_log_perplexity")
        check(close(got["loss_over_zlib_bytes"], float(-logp[begin:end].mean()) / zbytes, 1e-5),
              f"{label}: loss_over_zlib_bytes")
        check(close(got["min_k_percent"], lowest_mean(logp[begin:end], k), 1e-5, 1e-5), f"{label}: min_k_percent")
        check(close(got["min_k_plus_plus"], lowest_mean(zscore[begin:end], k), 1e-4, 1e-4),
              f"{label}: min_k_plus_plus")
        check(close(got["model_over_reference_bits"], model_bits / float(ref_bits[begin:end].sum()), 1e-5),
              f"{label}: reference ratio")
        if n > prefix:
            want = bool((ranks[begin + prefix:end] == 0).all())
            check(got["greedy_extractable"] is want, f"{label}: extractable {got['greedy_extractable']} vs {want}")
            check(got["extraction_suffix_tokens"] == n - prefix, f"{label}: suffix tokens")
        else:
            check(got["greedy_extractable"] is None, f"{label}: prefix >= length gives null")
        check(close(got["adversarial_compression_ratio_tokens"], n / prompt), f"{label}: ACR tokens")
        best = min(got["gzip_9_bytes"], got["xz_9_bytes"], got["zstd_19_bytes"], got["brotli_11_bytes"])
        check(close(got["adversarial_compression_ratio_bits"], 8 * best / (prompt * math.log2(V))),
              f"{label}: ACR bits")
        want_spans = spans(b, token_bytes[begin:end], 0.5, 32, data, 2.0)
        got_spans = [(s["byte_begin"], s["byte_end"], s["token_begin"], s["token_end"]) for s in got["memorized_spans"]]
        check(got_spans == want_spans, f"{label}: spans {got_spans} vs {want_spans}")
    check(len(docs[3]["memorized_spans"]) == 2, "the memorized document has two spans around the surprise")
    check(docs[3]["greedy_extractable"] is False, "the surprise at position 40 breaks extraction with K = 10")
    late = run(*base, "--prefix", 41, "--json")
    check(late.returncode == 0 and json.loads(late.stdout)["documents"][3]["greedy_extractable"] is True,
          "with K = 41 the memorized document's suffix is extractable")
    summary = report["summary"]["model_bits_per_byte"]
    check(summary["count"] == 4 and close(summary["mean"], float(np.mean(per_doc_bpb)), 1e-5),
          "summary mean of bits/byte")
    check(summary["lower"] <= summary["mean"] <= summary["upper"], "bootstrap interval contains the mean")
    check(report["summary"]["greedy_extractable"]["count"] == 3, "extractability summarized over 3 documents")
    again = run(*base, "--prefix", prefix, "--k", k, "--prompt-tokens", prompt, "--json")
    check(again.stdout == result.stdout, "same seed, same report")

    # CSV: same numbers; offsets with the end appended give the same documents; table runs.
    with_end = save("offsets_end.npy", np.append(offsets, T).astype(np.int64))
    csv_base = [a if a != paths["doc-offsets"] else with_end for a in base]
    result = run(*csv_base, "--prefix", prefix, "--csv")
    check(result.returncode == 0, f"csv run failed: {result.stderr}")
    rows = list(csv.DictReader(io.StringIO(result.stdout.split("\n\n")[0])))
    check(len(rows) == 4, "csv: four documents")
    check(all(close(float(r["model_bits"]), docs[i]["model_bits"], 1e-12) for i, r in enumerate(rows)),
          "csv: model_bits equal the JSON's")
    check("metric,count,mean,lower,upper" in result.stdout, "csv: summary table")
    result = run(*base)
    check(result.returncode == 0 and "summary (bootstrap)" in result.stdout, f"table run: {result.stderr}")

    # Failures: exit status and a message naming the problem.
    def expect_failure(label, args, needle, status=1):
        r = run(*args)
        check(r.returncode == status, f"{label}: exit {r.returncode}, want {status} ({r.stderr.strip()})")
        check(needle in r.stderr, f"{label}: message {r.stderr.strip()!r} lacks {needle!r}")

    def replace(key, path):
        return [path if a == paths[key] else a for a in base]

    expect_failure("decreasing offsets", replace("doc-offsets", save("bad1.npy", np.array([0, 30, 20]))),
                   "element 2")
    expect_failure("offset past the end", replace("doc-offsets", save("bad2.npy", np.array([0, T + 1]))),
                   "bad2.npy: element 1")
    expect_failure("2-D offsets", replace("doc-offsets", save("bad3.npy", np.zeros((2, 2), np.int64))), "1-D")
    expect_failure("text too short", replace("text", write_text("short.txt", text[:-1])), "short.txt")
    negative = token_bytes.copy()
    negative[7] = -1
    expect_failure("negative byte count", replace("token-bytes", save("neg.npy", negative)), "element 7")
    expect_failure("byte-count shape", replace("token-bytes", save("shape.npy", token_bytes[:-1])), "shape.npy")
    ignored = targets.copy()
    ignored[5] = -100
    expect_failure("negative target", replace("targets", save("ignored.npy", ignored)), "element 5")
    expect_failure("reference shape", replace("reference-logits", save("ref.npy", reference[:-1])), "ref.npy")
    nan_logits = logits.copy()
    nan_logits[9, 0] = np.nan
    expect_failure("NaN logits", replace("logits", save("nan.npy", nan_logits)), "row 9")
    zero = token_bytes.copy()
    zero[start3 - 25:start3] = 0
    text_zero = text[:byte_offsets[start3 - 25]] + text[byte_offsets[start3]:]
    args = replace("token-bytes", save("zero.npy", zero))
    args[args.index(paths["text"])] = write_text("zero.txt", text_zero)
    expect_failure("document with no bytes", args, "document 2")
    expect_failure("json and csv", [*base, "--json", "--csv"], "exclude", status=2)
    expect_failure("missing text", [a for a in base if a not in ("--text", paths["text"])], "--text", status=2)
    expect_failure("k out of range", [*base, "--k", "0"], "--k", status=2)


main()
if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all memorization CLI checks passed")
