"""Conventions every `codelength` command shares, checked across all of them:
- `-h` and `--help` print the command's usage on stdout and exit 0; option placeholders say what
  the value is (FILE, N, PERCENT, MIB, BYTES, ...; never VALUE); ranges are written [low, high] or
  (low, high], never `8..1024`, in help and in usage errors;
- every --json output is valid UTF-8 and strict JSON (Python's json module, strict=True), also for
  a file name whose bytes are not UTF-8 (each invalid byte becomes U+FFFD, the exact bytes follow
  in `<key>_hex`);
- every number in JSON, in CSV and in the key-value tables is the shortest decimal that reads back
  to the same double (`6.2`, never `6.2000000000000002`)."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

from cli_check import check, finish, path_of, save, write

CLI = sys.argv[1]
WORK = sys.argv[2]
SEED = 20261128

COMMANDS = ["compress", "decompress", "measure", "score", "encode", "decode", "memorization", "membership", "mdl", "report", "ngram"]
# What a placeholder may say: a kind of value, in capitals, or the list of accepted words.
PLACEHOLDER = re.compile(r"^([A-Z][A-Z_]*|[a-z0-9]+(\|[a-z0-9]+)+)$")


def run(*args, **kwargs):
    return subprocess.run([CLI, *(a if isinstance(a, bytes) else str(a) for a in args)], capture_output=True, **kwargs)


def significant_digits(text):
    """The number of significant decimal digits of a number's text ("0.950" -> 2, "1e+20" -> 1)."""
    mantissa = re.split(r"[eE]", text.lstrip("+-"))[0].replace(".", "")
    return len(mantissa.strip("0")) or 1


def check_shortest(text, where):
    """`text` is a number written with no more digits than the shortest round-trip form (Python's
    repr of the double, which is the shortest such form)."""
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        return
    shortest = repr(value)
    check(significant_digits(text) <= significant_digits(shortest),
          f"{where}: {text} is not the shortest form of the double ({shortest})")


def parse_json(stdout, where):
    """The strict JSON object `stdout` holds, after checking it is UTF-8 and every number in it is
    in the shortest form; None (and a failed check) otherwise."""
    try:
        text = stdout.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        check(False, f"{where}: the JSON is not valid UTF-8: {e}: {stdout[:200]!r}")
        return None
    try:
        return json.loads(text, strict=True, parse_float=lambda t: (check_shortest(t, where), float(t))[1],
                          parse_constant=lambda t: check(False, f"{where}: {t} is not JSON"))
    except json.JSONDecodeError as e:
        check(False, f"{where}: not strict JSON: {e}: {text[:300]!r}")
        return None


def check_table(stdout, where, skip=("seconds",)):
    """Every number in a key-value table (or CSV) is in the shortest form."""
    text = stdout.decode("utf-8", errors="replace")
    numbers = 0
    for line in text.splitlines():
        if line.split(" ")[0] in skip:
            continue
        for token in re.findall(r"(?<![\w.])-?\d+\.\d+(?:[eE][+-]?\d+)?|(?<![\w.])-?\d+[eE][+-]?\d+", line):
            check_shortest(token, f"{where} line {line!r}")
            numbers += 1
    check(numbers > 0, f"{where}: no numbers found in {text!r}")


def check_help():
    for flag in ("-h", "--help"):
        result = run(flag)
        out = result.stdout.decode()
        check(result.returncode == 0 and out.startswith("usage: codelength"), f"codelength {flag}: {result}")
        for command in COMMANDS:
            check(f"  {command} " in out, f"codelength {flag} does not list {command}")
    for command in COMMANDS:
        for flag in ("-h", "--help"):
            result = run(command, flag)
            out = result.stdout.decode()
            where = f"codelength {command} {flag}"
            check(result.returncode == 0, f"{where}: exit {result.returncode}: {result.stderr!r}")
            check(out.startswith(f"usage: codelength {command}"), f"{where}: usage missing: {out[:80]!r}")
            check("-h, --help" in out, f"{where}: -h is not listed")
            check("VALUE" not in out, f"{where}: a placeholder says VALUE")
            check(not re.search(r"\d\.\.\d", out), f"{where}: a range written with '..'")
            check(not re.search(r"\[\d+,\S", out), f"{where}: a range without the space after the comma")
            options = re.findall(r"^  (?:-\w, )?--([\w-]+)(?: (\S+))?  ", out, re.MULTILINE)
            check(len(options) >= 2, f"{where}: no options found")
            for name, placeholder in options:
                if placeholder:
                    check(PLACEHOLDER.match(placeholder) is not None,
                          f"{where}: --{name} has the placeholder {placeholder!r}")
            if command in ("score", "encode", "decode", "memorization", "mdl", "ngram"):
                check(re.search(r"--[\w-]+ FILE ", out) is not None, f"{where}: no FILE placeholder")

    # Usage errors print ranges the same way, with numbers as people write them.
    result = run("score", "--logits", "x", "--targets", "y", "--k", "200")
    err = result.stderr.decode()
    check(result.returncode == 2 and "(0, 100]" in err and "0.000000" not in err, f"--k range: {err!r}")
    result = run("compress", "--memory", "0", path_of("a"), path_of("b"))
    err = result.stderr.decode()
    check(result.returncode == 2 and "[1, 65536]" in err, f"--memory range: {err!r}")


def per_byte_replacement(raw):
    """The documented rule, computed independently: well-formed UTF-8 characters (as Python's strict
    decoder accepts them) are kept, every other byte becomes one U+FFFD."""
    out, i = [], 0
    while i < len(raw):
        for length in (1, 2, 3, 4):
            try:
                char = raw[i:i + length].decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append(char)
            i += length
            break
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def check_measure_non_utf8_name():
    raw = os.fsencode(WORK) + b"/bad\xff\xfe.txt"
    with open(raw, "wb") as f:
        f.write(b"hello, hello, hello\n")
    result = run("measure", raw, "--model", "order0", "--json")
    check(result.returncode == 0, f"measure non-UTF-8 name: exit {result.returncode}: {result.stderr!r}")
    report = parse_json(result.stdout, "measure --json (non-UTF-8 name)")
    if report is None:
        return
    entry = report["files"][0]
    check(entry["file"] == raw.decode("utf-8", "replace"), f"measure: file {entry['file']!r}")
    check(entry["file"].endswith("/bad\ufffd\ufffd.txt"), f"measure: file {entry['file']!r} (one U+FFFD per byte)")
    check(bytes.fromhex(entry.get("file_hex", "")) == raw, f"measure: file_hex {entry.get('file_hex')!r}")
    # The edge cases of UTF-8: an overlong form, a UTF-16 surrogate, a truncated sequence, a code
    # point above U+10FFFF, a lone continuation byte, and a valid 4-byte character between them.
    names = [b"overlong\xc0\xaf", b"surrogate\xed\xa0\x80", b"truncated\xe2\x82", b"above\xf4\x90\x80\x80",
             b"continuation\x80x", b"emoji\xf0\x9f\x98\x80\xff"]
    paths = []
    for name in names:
        paths.append(os.fsencode(WORK) + b"/" + name)
        with open(paths[-1], "wb") as f:
            f.write(b"abc")
    result = run("measure", *paths, "--model", "order0", "--json")
    report = parse_json(result.stdout, "measure --json (UTF-8 edge cases)")
    if report is not None:
        for raw_path, entry in zip(paths, report["files"]):
            want = per_byte_replacement(raw_path)
            check(entry["file"] == want, f"measure: {raw_path!r} gave {entry['file']!r}, expected {want!r}")
            check(bytes.fromhex(entry.get("file_hex", "")) == raw_path, f"measure: {raw_path!r} file_hex")
    # A valid UTF-8 name stays as it is, without file_hex.
    good = path_of("grüße.txt")
    write("grüße.txt", "hello\n")
    report = parse_json(run("measure", good, "--model", "order0", "--json").stdout, "measure --json (UTF-8 name)")
    if report is not None:
        check(report["files"][0]["file"] == good and "file_hex" not in report["files"][0],
              f"measure: UTF-8 name {report['files'][0]}")


def check_numbers_everywhere():
    rng = np.random.default_rng(SEED)
    T, V = 60, 40
    logits = save("logits.npy", (rng.standard_normal((T, V)) * 2).astype(np.float32))
    targets_array = rng.integers(0, V, T).astype(np.int64)
    targets = save("targets.npy", targets_array)
    token_bytes = save("bytes.npy", np.ones(T, dtype=np.int32))
    text = write("text.txt", bytes(rng.integers(97, 123, T).astype(np.uint8)))
    offsets = save("offsets.npy", np.array([0, 25], dtype=np.int64))

    # score: JSON and table.
    result = run("score", "--logits", logits, "--targets", targets, "--bytes", token_bytes, "--json")
    report = parse_json(result.stdout, "score --json")
    check(report is not None and "token_perplexity" in report, f"score --json: {result.stdout!r} {result.stderr!r}")
    check_table(run("score", "--logits", logits, "--targets", targets).stdout, "score table")

    # encode and decode.
    stream = path_of("stream.cl")
    result = run("encode", "--logits", logits, "--targets", targets, "-o", stream, "--json")
    report = parse_json(result.stdout, "encode --json")
    check(report is not None and "ideal_bits" in report, f"encode --json: {result.stdout!r} {result.stderr!r}")
    result = run("encode", "--logits", logits, "--targets", targets, "-o", stream, "--force")
    check_table(result.stdout, "encode table")
    result = run("decode", "--logits", logits, "-i", stream, "-o", path_of("decoded.npy"), "--force", "--json")
    report = parse_json(result.stdout, "decode --json")
    check(report is not None, f"decode --json: {result.stdout!r} {result.stderr!r}")

    # memorization: JSON and CSV.
    base = ["memorization", "--logits", logits, "--targets", targets, "--doc-offsets", offsets, "--text", text,
            "--token-bytes", token_bytes, "--resamples", "50"]
    result = run(*base, "--json")
    report = parse_json(result.stdout, "memorization --json")
    check(report is not None and len(report.get("documents", [])) == 2, f"memorization --json: {result.stderr!r}")
    check_table(run(*base, "--csv").stdout, "memorization --csv")

    # mdl: 6.2 bits per item, in JSON and in the table (it used to print 6.2000000000000002).
    mdl_input = write("two_part.csv", "unit,bits\nitems,10\nparameters,10\nbits_per_parameter,5\n"
                                      "final_model_code_length,12\nraw_bytes,4\ncompressed_bytes,3.8\n")
    result = run("mdl", "--input", mdl_input, "--json")
    report = parse_json(result.stdout, "mdl --json")
    check(report is not None and report.get("two_part_bits_per_item") == 6.2, f"mdl --json: {result.stdout!r}")
    check(b'"two_part_bits_per_item": 6.2,' in result.stdout, f"mdl --json text: {result.stdout!r}")
    check(b"\"raw_compression_rate\": 0.95," in result.stdout, f"mdl --json text: {result.stdout!r}")
    table = run("mdl", "--input", mdl_input).stdout
    check_table(table, "mdl table")
    check(re.search(rb"two_part_bits_per_item +6\.2\n", table) is not None, f"mdl table: {table!r}")

    # ngram: JSON and table.
    arpa = write("model.arpa", "\\data\\\nngram 1=4\n\n\\1-grams:\n-0.5\t<s>\t-0.3\n-0.6\t</s>\n"
                               "-0.7\tthe\t-0.1\n-1.1\t<unk>\n\n\\end\\\n")
    sentences = write("sentences.txt", "the the\nthe cat\n")
    result = run("ngram", "--arpa", arpa, "--text", sentences, "--json")
    report = parse_json(result.stdout, "ngram --json")
    check(report is not None and "perplexity" in report, f"ngram --json: {result.stdout!r} {result.stderr!r}")
    check_table(run("ngram", "--arpa", arpa, "--text", sentences).stdout, "ngram table")

    # measure: JSON of two files and the total.
    plain = write("plain.txt", "a" * 100 + "b" * 7)
    result = run("measure", plain, path_of("text.txt"), "--model", "order0", "--json")
    report = parse_json(result.stdout, "measure --json")
    check(report is not None and len(report.get("files", [])) == 2, f"measure --json: {result.stderr!r}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    print("seed", SEED)
    check_help()
    check_measure_non_utf8_name()
    check_numbers_everywhere()
    finish()


if __name__ == "__main__":
    main()
