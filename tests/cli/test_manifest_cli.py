"""`codelength score --manifest` and `codelength memorization --manifest` end to end: NumPy
writes shards cut at several places; the manifest run must print exactly (to the last bit of
every JSON number) what one run over the shards concatenated in manifest order prints, plus
shards, ranks and failed_shards. Bad shards are reported while the others finish (exit status
3, no -o file); manifests with no shard or a wrong column count are errors naming the line.
The --progress line goes to stderr and leaves stdout unchanged."""
import json
import os
import subprocess
import sys

import numpy as np

from cli_check import check, finish, save, write

CLI = sys.argv[1]
WORK = sys.argv[2]
os.makedirs(WORK, exist_ok=True)
SEED = 20261207
print("seed", SEED)
rng = np.random.default_rng(SEED)


def run(*args, cwd=None):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def parse(result, what):
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        check(False, f"{what}: stdout is not JSON (exit {result.returncode}): {result.stdout!r} {result.stderr!r}")
        return {}


def same_members(got, want, what, skip=()):
    """Every member of `want` is in `got` with the identical value (floats compared exactly)."""
    for key, value in want.items():
        if key in skip:
            continue
        check(key in got and got[key] == value, f"{what}: {key} = {got.get(key)!r}, one run: {value!r}")


# ---- score: shards cut at several places, one with ignored targets ----
V = 50
cuts = [0, 1, 301, 302, 1500, 2777, 4000]  # shard lengths 1, 300, 1, 1198, 1277, 1223
T = cuts[-1]
logits = (rng.standard_normal((T, V)) * rng.uniform(0.1, 8.0, (T, 1))).astype(np.float32)
targets = rng.integers(0, V, T)
targets[rng.choice(T, 40, replace=False)] = -100  # ignore_index rows
token_bytes = rng.integers(1, 5, T)
shards = []
for i, (a, b) in enumerate(zip(cuts, cuts[1:])):
    shards.append((save(f"l{i}.npy", logits[a:b]), save(f"t{i}.npy", targets[a:b]),
                   save(f"b{i}.npy", token_bytes[a:b])))
all_l, all_t, all_b = save("all_l.npy", logits), save("all_t.npy", targets), save("all_b.npy", token_bytes)

one_bytes = parse(run("score", "--logits", all_l, "--targets", all_t, "--bytes", all_b, "--json"), "one run")
one_plain = parse(run("score", "--logits", all_l, "--targets", all_t, "--json"), "one run without bytes")

# Relative paths, comments and blank lines; run from another directory.
manifest = write("shards.txt", "# logits targets token_bytes\n\n" + "".join(
    f"  {os.path.basename(l)}\t{os.path.basename(t)} {os.path.basename(b)}\n" + ("\n# a comment\n" if i == 2 else "")
    for i, (l, t, b) in enumerate(shards)))
r = run("score", "--manifest", manifest, "--json", "--per-shard", cwd="/")
check(r.returncode == 0, f"manifest run exits 0: {r.returncode} {r.stderr}")
got = parse(r, "manifest run")
same_members(got, one_bytes, "score --manifest (token bytes) vs one run")
check(set(one_bytes) <= set(got) and set(got) - set(one_bytes) == {"shards", "ranks", "failed_shards", "per_shard"},
      f"manifest keys: {sorted(got)}")
check(got.get("shards") == len(shards) and got.get("ranks") == 1 and got.get("failed_shards") == [],
      f"shards/ranks/failed_shards: {got.get('shards')} {got.get('ranks')} {got.get('failed_shards')}")
per_shard = got.get("per_shard", [])
check(len(per_shard) == len(shards), f"per_shard has {len(per_shard)} entries")
for i, entry in enumerate(per_shard):
    alone = parse(run("score", "--logits", shards[i][0], "--targets", shards[i][1], "--bytes", shards[i][2], "--json"),
                  f"shard {i} alone")
    check(entry.get("shard") == i and entry.get("logits") == os.path.join(WORK, f"l{i}.npy"),
          f"per_shard[{i}] names shard {entry.get('shard')} {entry.get('logits')}")
    for key in ("tokens", "ignored_tokens", "total_bits", "bits_per_token", "bytes", "bits_per_byte"):
        check(entry.get(key) == alone.get(key), f"per_shard[{i}].{key} = {entry.get(key)}, alone {alone.get(key)}")
check(sum(e.get("tokens", 0) for e in per_shard) == one_bytes["tokens"], "per-shard tokens add up")

# Without token bytes (2 columns): no bytes members, same as the one run without --bytes.
plain = write("plain.txt", "".join(f"{l} {t}\n" for l, t, _ in shards))
got = parse(run("score", "--manifest", plain, "--json"), "manifest without bytes")
same_members(got, one_plain, "score --manifest (no token bytes) vs one run")
check("bytes" not in got and "bits_per_byte" not in got, "no bytes members without token bytes")

# The table: the one run's rows, then shards/ranks/failed_shards.
table = run("score", "--manifest", manifest, "--per-shard").stdout
one_table = run("score", "--logits", all_l, "--targets", all_t, "--bytes", all_b).stdout
check(table.startswith(one_table), f"table starts with the one run's table:\n{table}\n{one_table}")
check("shards                   6" in table and "failed_shards            0" in table, f"table: {table}")
# The per-shard rows: shard, rank (0 in one process), tokens as in the JSON, logits path.
lines = table.splitlines()
header = next((i for i, line in enumerate(lines) if line.split()[:3] == ["shard", "rank", "tokens"]), None)
check(header is not None, f"per-shard header with a rank column: {table}")
if header is not None:
    rows = [line.split() for line in lines[header + 1:header + 1 + len(shards)]]
    for i, row in enumerate(rows):
        check(len(row) == 7 and row[0] == str(i) and row[1] == "0" and int(row[2]) == per_shard[i].get("tokens")
              and row[6] == per_shard[i].get("logits"), f"per-shard row {i}: {row}")

# Mixed token-bytes presence: an error naming the manifest and the line.
mixed = write("mixed.txt", f"{shards[0][0]} {shards[0][1]} {shards[0][2]}\n# x\n{shards[1][0]} {shards[1][1]}\n")
r = run("score", "--manifest", mixed, "--json")
check(r.returncode == 1 and "mixed.txt: line 3: 2 columns but line 1 has 3" in r.stderr and r.stdout == "",
      f"mixed columns: {r.returncode} {r.stderr!r}")
# Wrong column count.
wrong = write("wrong.txt", f"\n{shards[0][0]}\n")
r = run("score", "--manifest", wrong)
check(r.returncode == 1 and "wrong.txt: line 2: 1 column; expected logits targets [token_bytes]" in r.stderr,
      f"one column: {r.returncode} {r.stderr!r}")
four = write("four.txt", f"{shards[0][0]} {shards[0][1]} {shards[0][2]} extra.npy\n")
r = run("score", "--manifest", four)
check(r.returncode == 1 and "four.txt: line 1: 4 columns" in r.stderr, f"four columns: {r.returncode} {r.stderr!r}")
# Empty manifest (only comments and blanks), and an empty file.
for name, text in (("empty.txt", "# nothing\n\n   \n"), ("nothing.txt", "")):
    r = run("score", "--manifest", write(name, text), "--json")
    check(r.returncode == 1 and f"{name}: the manifest lists no shards" in r.stderr and r.stdout == "",
          f"{name}: {r.returncode} {r.stderr!r}")
r = run("score", "--manifest", os.path.join(WORK, "missing-manifest.txt"))
check(r.returncode == 1 and "missing-manifest.txt" in r.stderr, f"missing manifest: {r.stderr!r}")
# The manifest on stdin (`-`): its paths are relative to the working directory.
with open(plain) as f:
    r = subprocess.run([CLI, "score", "--manifest", "-", "--json"], stdin=f, capture_output=True, text=True)
check(r.returncode == 0 and parse(r, "manifest on stdin").get("total_bits") == one_plain["total_bits"],
      f"--manifest -: {r.stderr!r}")
r = run("score", "--manifest", write("dash.txt", f"{shards[0][0]} -\n"))
check(r.returncode == 1 and "dash.txt: line 1: `-` (stdin) cannot be a shard's file" in r.stderr,
      f"- in a manifest: {r.stderr!r}")
# ---- quoted paths: blanks, quotes, backslashes and # in file names ----
def quote(path):
    """A manifest field for any path: in double quotes, with \" and \\ escapes."""
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


odd_dir = os.path.join(WORK, "dir with spaces")
os.makedirs(odd_dir, exist_ok=True)
odd = []  # per shard: logits, targets, token bytes under names with blanks, a quote, a backslash, #
for i, files in enumerate(shards):
    names = [f"l {i}.npy", f'say "t{i}".npy', f"#b\\{i} x.npy"]
    for source, name in zip(files, names):
        with open(source, "rb") as a, open(os.path.join(odd_dir, name), "wb") as b:
            b.write(a.read())
    odd.append(names)
# Relative (to the manifest) and absolute quoted paths, blanks around them, one plain path.
quoted_lines = [" ".join(quote(os.path.join("dir with spaces", n)) for n in names) for names in odd]
quoted_lines[1] = "\t" + " ".join(quote(os.path.join(odd_dir, n)) for n in odd[1]) + "  \r"
quoted_lines[2] = os.path.basename(shards[2][0]) + " " + " ".join(quote("dir with spaces/" + n) for n in odd[2][1:])
r = run("score", "--manifest", write("quoted.txt", "# quoted\n" + "\n".join(quoted_lines) + "\n"), "--json",
        "--per-shard", cwd="/")
check(r.returncode == 0, f"quoted manifest exits 0: {r.returncode} {r.stderr!r}")
got = parse(r, "quoted manifest")
same_members(got, one_bytes, "score --manifest (quoted paths) vs one run", skip=("per_shard",))
check(len(got.get("per_shard", [])) == 6 and [e.get("logits") for e in got["per_shard"]][:2] ==
      [os.path.join(WORK, "dir with spaces", "l 0.npy"), os.path.join(odd_dir, "l 1.npy")] and
      got["per_shard"][3].get("targets") == os.path.join(WORK, "dir with spaces", 'say "t3".npy') and
      got["per_shard"][3].get("token_bytes") == os.path.join(WORK, "dir with spaces", "#b\\3 x.npy"),
      f"quoted paths unescaped: {[(e.get('logits'), e.get('targets')) for e in got.get('per_shard', [])]}")
# Old-style fields keep their meaning: a quote or backslash after the first character is part of
# an unquoted path; only a field that starts with " is quoted.
for source, name in ((shards[0][0], 'l"0\\x.npy'), (shards[0][1], "t0'.npy")):
    with open(source, "rb") as a, open(os.path.join(WORK, name), "wb") as b:
        b.write(a.read())
r = run("score", "--manifest", write("unquoted.txt", "l\"0\\x.npy t0'.npy\n" +
                                     "".join(f"{l} {t}\n" for l, t, _ in shards[1:])), "--json")
got = parse(r, "unquoted quote and backslash")
same_members(got, one_plain, "score --manifest (unquoted quote and backslash) vs one run")
# Bad quoting: an error naming the manifest, the line and the column; nothing on stdout.
plain_line = f"{shards[0][0]} {shards[0][1]}"
open_at = len(shards[0][0]) + 2  # the column of the opening quote in the bad line below
for name, text, expected in (
        ("unterminated.txt", f"{plain_line}\n{shards[0][0]} \"dir with spaces/t 0.npy\n",
         f"unterminated.txt: line 2, column {open_at + len('dir with spaces/t 0.npy') + 1}: unterminated quote: "
         f"the path opened with \" at column {open_at} has no closing \""),
        ("unterminated_escape.txt", f"{plain_line}\n\n{shards[0][0]} \"t0.npy\\\"\n",
         f"unterminated_escape.txt: line 3, column {open_at + len('t0.npy') + 3}: unterminated quote"),
        ("bad_escape.txt", f"# x\n{shards[0][0]} \"t\\n0.npy\"\n",
         f"bad_escape.txt: line 2, column {open_at + 2}: bad escape \\n in a quoted path"),
        ("trailing_backslash.txt", f"{shards[0][0]} \"t0.npy\\",
         f"trailing_backslash.txt: line 1, column {open_at + len('t0.npy') + 1}: bad escape \\ in a quoted path"),
        ("glued.txt", f"{shards[0][0]} \"t0\".npy\n",
         f"glued.txt: line 1, column {open_at + 4}: a quoted path must be followed by a blank"),
        ("empty_quotes.txt", f"\"\" {shards[0][1]}\n", "empty_quotes.txt: line 1, column 1: an empty path")):
    r = run("score", "--manifest", write(name, text), "--json")
    check(r.returncode == 1 and expected in r.stderr and r.stdout == "", f"{name}: {r.returncode} {r.stderr!r}")
# A quoted field may hold what would otherwise be a comment or stdin.
r = run("score", "--manifest", write("quoted_dash.txt", f"{quote(shards[0][0])} \"-\"\n"))
check(r.returncode == 1 and "quoted_dash.txt: line 1: `-` (stdin) cannot be a shard's file" in r.stderr,
      f"quoted -: {r.stderr!r}")
with open(shards[0][0], "rb") as a, open(os.path.join(WORK, "#l0.npy"), "wb") as b:
    b.write(a.read())
r = run("score", "--manifest", write("quoted_hash.txt", f"\"#l0.npy\" {shards[0][1]}\n"), "--json")
got = parse(r, "quoted # path")
check(r.returncode == 0 and got.get("shards") == 1 and got.get("tokens") ==
      parse(run("score", "--logits", shards[0][0], "--targets", shards[0][1], "--json"), "shard 0").get("tokens"),
      f"a quoted path starting with # is a shard, not a comment: {r.stderr!r}")
# Options that only the single run has.
r = run("score", "--manifest", manifest, "--logits", all_l)
check(r.returncode == 2 and "--logits and --manifest exclude each other" in r.stderr, f"--logits: {r.stderr!r}")
r = run("score", "--logits", all_l, "--targets", all_t, "--per-shard")
check(r.returncode == 2 and "--per-shard needs --manifest" in r.stderr, f"--per-shard alone: {r.stderr!r}")

# ---- faults: missing file, bad .npy, shape mismatch; the others finish ----
write("garbage.npy", b"\x93NUMPY garbage, not an array")
save("short_t.npy", targets[:3])
bad_lines = [
    f"{shards[0][0]} {shards[0][1]} {shards[0][2]}",
    f"{os.path.join(WORK, 'does-not-exist.npy')} {shards[1][1]} {shards[1][2]}",
    f"{shards[2][0]} {shards[2][1]} {shards[2][2]}",
    f"garbage.npy {shards[3][1]} {shards[3][2]}",
    f"{shards[4][0]} short_t.npy {shards[4][2]}",
    f"{shards[5][0]} {shards[5][1]} {shards[5][2]}",
]
bad = write("bad.txt", "\n".join(bad_lines) + "\n")
for stale in ("bad-out.json", "ok-out.json", "mem-out.json"):  # from an earlier run
    if os.path.exists(os.path.join(WORK, stale)):
        os.remove(os.path.join(WORK, stale))
out = os.path.join(WORK, "bad-out.json")
r = run("score", "--manifest", bad, "--json", "-o", out)
check(r.returncode == 3, f"bad shards exit 3: {r.returncode} {r.stderr!r}")
check(not os.path.exists(out), "no -o file when shards failed")
check(not any(n.startswith(".bad-out.json") for n in os.listdir(WORK)), "no temporary file left")
got = parse(r, "bad manifest")
failed = got.get("failed_shards", [])
check([f.get("shard") for f in failed] == [1, 3, 4], f"failed shards: {failed}")
expect_error = {1: "does-not-exist.npy: cannot open", 3: "garbage.npy", 4: "short_t.npy"}
for f in failed:
    i = f.get("shard")
    check(expect_error.get(i, "?") in f.get("error", "") and f.get("line") == i + 1 and f.get("rank") == 0,
          f"failed shard {i}: {f}")
    check(f.get("logits", "").endswith(bad_lines[i].split()[0]), f"failed shard {i} names its logits: {f}")
    check(f"shard {i} (" in r.stderr and expect_error.get(i, "?") in r.stderr, f"stderr names shard {i}: {r.stderr!r}")
ok = [0, 2, 5]
ok_l = save("ok_l.npy", np.concatenate([logits[cuts[i]:cuts[i + 1]] for i in ok]))
ok_t = save("ok_t.npy", np.concatenate([targets[cuts[i]:cuts[i + 1]] for i in ok]))
ok_b = save("ok_b.npy", np.concatenate([token_bytes[cuts[i]:cuts[i + 1]] for i in ok]))
one_ok = parse(run("score", "--logits", ok_l, "--targets", ok_t, "--bytes", ok_b, "--json"), "finished shards")
same_members(got, one_ok, "totals of the finished shards")
check(got.get("shards") == 6, "shards counts the failed ones too")
# A vocabulary that differs from the first shard's fails that shard.
save("wide_l.npy", rng.standard_normal((4, V + 1)).astype(np.float32))
save("wide_t.npy", rng.integers(0, V, 4))
r = run("score", "--manifest", write("wide.txt", f"{shards[1][0]} {shards[1][1]}\nwide_l.npy wide_t.npy\n"), "--json")
got = parse(r, "wide vocabulary")
check(r.returncode == 3 and [f.get("shard") for f in got.get("failed_shards", [])] == [1] and
      "vocabulary size 51 differs from shard 0's 50" in r.stderr, f"vocabulary mismatch: {r.stderr!r}")
# Complete: -o FILE holds exactly what stdout would.
out = os.path.join(WORK, "ok-out.json")
r = run("score", "--manifest", manifest, "--json", "-o", out)
with open(out) as f:
    written = f.read()
check(r.returncode == 0 and r.stdout == "" and written == run("score", "--manifest", manifest, "--json").stdout,
      f"-o FILE: {r.returncode} {r.stderr!r}")
r = run("score", "--manifest", manifest, "--json", "-o", out)
check(r.returncode == 1 and "exists" in r.stderr, f"existing -o without --force: {r.stderr!r}")
r = run("score", "--manifest", manifest, "--json", "-o", out, "--force")
check(r.returncode == 0 and open(out).read() == written, f"-o FILE --force: {r.stderr!r}")

# ---- progress: forced on, stderr has the line, stdout unchanged ----
quiet = run("score", "--manifest", manifest, "--json", "--no-progress")
loud = run("score", "--manifest", manifest, "--json", "--progress")
check(loud.stdout == quiet.stdout and quiet.stderr == "", "progress leaves stdout unchanged")
check("6/6 shards" in loud.stderr and "100.0%" in loud.stderr and "MiB" in loud.stderr,
      f"progress line on stderr: {loud.stderr!r}")
r = run("score", "--manifest", manifest, "--progress", "--no-progress")
check(r.returncode == 2 and "exclude each other" in r.stderr, f"--progress --no-progress: {r.stderr!r}")
# Large enough (> 16 MiB of logits) that the progress run scores in chunks: same numbers.
big_l = save("big_l.npy", rng.standard_normal((9000, 512)).astype(np.float32))
big_t = save("big_t.npy", rng.integers(0, 512, 9000))
quiet = run("score", "--logits", big_l, "--targets", big_t, "--json", "--no-progress")
loud = run("score", "--logits", big_l, "--targets", big_t, "--json", "--progress")
check(loud.returncode == 0 and loud.stdout == quiet.stdout, "score --progress (chunked): same JSON")
check("score" in loud.stderr and "100.0%" in loud.stderr, f"score progress line: {loud.stderr!r}")
# A bad row in a later chunk is named by its row in the file, with and without chunks.
nan_l = np.load(big_l)
nan_l[8500, 7] = np.nan
nan_l = save("nan_l.npy", nan_l)
for flag in ("--progress", "--no-progress"):
    r = run("score", "--logits", nan_l, "--targets", big_t, flag)
    check(r.returncode == 1 and "nan_l.npy: row 8500: " in r.stderr, f"NaN row {flag}: {r.stderr!r}")

# ---- memorization --manifest: records in document order across shards ----
MV = 40


def memorization_shard(i, documents):
    lengths = rng.integers(3, 30, documents)
    n = int(lengths.sum())
    shard_logits = (rng.standard_normal((n, MV)) * 3).astype(np.float32)
    shard_targets = rng.integers(0, MV, n)
    shard_bytes = rng.integers(1, 4, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    text = bytes(rng.choice(list(b"abcde fgh\n"), int(shard_bytes.sum())).tolist())
    return shard_logits, shard_targets, shard_bytes, offsets, text


parts = [memorization_shard(i, d) for i, d in enumerate([3, 1, 5])]
lines = []
for i, (ml, mt, mb, mo, text) in enumerate(parts):
    lines.append(" ".join([os.path.basename(save(f"ml{i}.npy", ml)), os.path.basename(save(f"mt{i}.npy", mt)),
                           os.path.basename(save(f"mb{i}.npy", mb)), os.path.basename(save(f"mo{i}.npy", mo)),
                           os.path.basename(write(f"text{i}.txt", text))]))
mem_manifest = write("memorization.txt", "# logits targets token_bytes doc_offsets text\n" + "\n".join(lines) + "\n")
shift = np.cumsum([0] + [len(p[1]) for p in parts])[:-1]
one_args = ["--logits", save("mall_l.npy", np.concatenate([p[0] for p in parts])),
            "--targets", save("mall_t.npy", np.concatenate([p[1] for p in parts])),
            "--token-bytes", save("mall_b.npy", np.concatenate([p[2] for p in parts])),
            "--doc-offsets", save("mall_o.npy", np.concatenate([p[3] + s for p, s in zip(parts, shift)])),
            "--text", write("mall.txt", b"".join(p[4] for p in parts)), "--prefix", 2, "--resamples", 200]
one = parse(run("memorization", *one_args, "--json"), "memorization one run")
r = run("memorization", "--manifest", mem_manifest, "--prefix", 2, "--resamples", 200, "--json", cwd="/")
check(r.returncode == 0, f"memorization manifest exits 0: {r.stderr!r}")
got = parse(r, "memorization manifest")
same_members(got, one, "memorization --manifest vs one run")
check(len(got.get("documents", [])) == 9 and [d["document"] for d in got.get("documents", [])] == list(range(9)),
      "documents numbered 0..8 across shards")
check(got.get("shards") == 3 and got.get("ranks") == 1 and got.get("failed_shards") == [],
      f"memorization shards/ranks/failed: {got.get('shards')} {got.get('failed_shards')}")
# Quoted paths in a memorization manifest: the text of shard 0 under a name with blanks and a quote.
with open(os.path.join(WORK, "text0.txt"), "rb") as a, open(os.path.join(odd_dir, 'text "0".txt'), "wb") as b:
    b.write(a.read())
quoted_mem = [" ".join(lines[0].split()[:4]) + ' "dir with spaces/text \\"0\\".txt"'] + lines[1:]
r = run("memorization", "--manifest", write("mem_quoted.txt", "\n".join(quoted_mem) + "\n"), "--prefix", 2,
        "--resamples", 200, "--json")
check(r.returncode == 0, f"memorization quoted manifest exits 0: {r.stderr!r}")
same_members(parse(r, "memorization quoted manifest"), one, "memorization --manifest (quoted path) vs one run")
csv_one = run("memorization", *one_args, "--csv").stdout
csv_got = run("memorization", "--manifest", mem_manifest, "--prefix", 2, "--resamples", 200, "--csv").stdout
check(csv_got == csv_one and csv_one != "", "memorization --manifest --csv equals the one run's CSV")
# The optional sixth column: reference logits, as --reference-logits in one run.
ref_lines = [line + " " + os.path.basename(save(f"mr{i}.npy", (rng.standard_normal((len(parts[i][1]), MV)) * 2)
                                                .astype(np.float32))) for i, line in enumerate(lines)]
ref_all = save("mall_r.npy", np.concatenate([np.load(os.path.join(WORK, f"mr{i}.npy")) for i in range(3)]))
one_ref = parse(run("memorization", *one_args, "--reference-logits", ref_all, "--json"), "one run with reference")
got = parse(run("memorization", "--manifest", write("mem_ref.txt", "\n".join(ref_lines) + "\n"), "--prefix", 2,
                "--resamples", 200, "--json"), "manifest with reference")
same_members(got, one_ref, "memorization --manifest with reference_logits vs one run")
check(len(got.get("documents", [])) == 9 and all(d.get("reference_bits") is not None for d in got["documents"]),
      "the reference column gives every document reference_bits")
# A bad memorization shard (text one byte short): reported, the others finish, exit 3.
write("short_text.txt", parts[1][4][:-1])
bad_lines = lines[:]
bad_lines[1] = " ".join(lines[1].split()[:4] + ["short_text.txt"])
r = run("memorization", "--manifest", write("mem_bad.txt", "\n".join(bad_lines) + "\n"), "--json",
        "-o", os.path.join(WORK, "mem-out.json"))
got = parse(r, "bad memorization manifest")
check(r.returncode == 3 and [f.get("shard") for f in got.get("failed_shards", [])] == [1] and
      "short_text.txt" in got["failed_shards"][0].get("error", "") and
      not os.path.exists(os.path.join(WORK, "mem-out.json")), f"bad memorization shard: {r.stderr!r}")
check(len(got.get("documents", [])) == 8, "the other shards' documents are there")
r = run("memorization", "--manifest", write("mem_wrong.txt", lines[0] + "\n" + " ".join(lines[1].split()[:4]) + "\n"))
check(r.returncode == 1 and "mem_wrong.txt: line 2: 4 columns; expected logits targets token_bytes doc_offsets "
      "text [reference_logits]" in r.stderr, f"memorization wrong columns: {r.stderr!r}")
# Progress of memorization (manifest and single run) and of measure and compress.
loud = run("memorization", "--manifest", mem_manifest, "--json", "--progress", "--resamples", 50)
quiet = run("memorization", "--manifest", mem_manifest, "--json", "--resamples", 50)
check(loud.stdout == quiet.stdout and "3/3 shards" in loud.stderr, f"memorization manifest progress: {loud.stderr!r}")
loud = run("memorization", *one_args, "--json", "--progress")
check(loud.stdout == run("memorization", *one_args, "--json").stdout and "docs" in loud.stderr,
      f"memorization progress: {loud.stderr!r}")
sample = write("sample.txt", "progress " * 2000)
loud = run("measure", sample, "--json", "--progress", "--model", "order0")
check(loud.returncode == 0 and "100.0%" in loud.stderr and
      loud.stdout == run("measure", sample, "--json", "--model", "order0").stdout, f"measure progress: {loud.stderr!r}")
packed = os.path.join(WORK, "sample.cl")
loud = run("compress", sample, packed, "--progress", "--force", "--model", "order0")
check(loud.returncode == 0 and "compress" in loud.stderr and "100.0%" in loud.stderr,
      f"compress progress: {loud.stderr!r}")
check(run("compress", sample, packed, "--force", "--model", "order0").stderr == "", "no progress when not asked")

finish()
