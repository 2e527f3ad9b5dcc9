"""How every command of the CLI treats the paths it is given:

- outputs that are special files: a character device (/dev/null, and a private null device made
  with mknod where allowed) or a FIFO is written through and stays what it was, with or without
  --force; a socket is refused; nothing is left beside them;
- an output that is one of the command's inputs (also through a symbolic or a hard link, or as
  stdin) is refused even with --force, and the input is unchanged; score --per-token needs
  --force to replace an existing file, as the other commands do; a symbolic link is followed;
- directories, missing, unreadable and unwritable paths fail with exit 1 and a message that
  names the path and the reason (strerror), with no temporary file left anywhere;
- `-` is stdin or stdout wherever a file is read or written, and stdin named twice is a usage
  error; wall-clock seconds appear only with --timing, so equal runs print equal --json.
"""
import glob
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading

import numpy as np

from cli_check import check, failures

CLI = os.path.abspath(sys.argv[1])
WORK = os.path.abspath(sys.argv[2])
SEED = 20261206


def run(*args, stdin=None, timeout=120):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, input=stdin, timeout=timeout)


def path(name):
    return os.path.join(WORK, name)


def read(name_or_path):
    with open(name_or_path if os.path.isabs(name_or_path) else path(name_or_path), "rb") as f:
        return f.read()


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)
    return path(name)


def leftovers(directory=WORK):
    return glob.glob(os.path.join(directory, ".*.tmp-*"))


def expect_failure(label, args, needles, status=1, stdin=None):
    """The command exits with `status`, prints nothing on stdout, and its message holds every needle."""
    r = run(*args, stdin=stdin)
    message = r.stderr.decode(errors="replace")
    check(r.returncode == status, f"{label}: exit {r.returncode}, expected {status}: {message!r}")
    check(r.stdout == b"", f"{label}: printed {r.stdout[:200]!r} on stdout")
    for needle in needles:
        check(needle in message, f"{label}: the message lacks {needle!r}: {message!r}")
    check("bad_alloc" not in message and "std::" not in message, f"{label}: internal message {message!r}")
    return r


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
os.chmod(WORK, 0o755)
rng = np.random.default_rng(SEED)
print("seed", SEED)

# Inputs for every command.
TEXT = b"the cat sat\nthe cat\n" * 200
write("g3.txt", TEXT)
logits = (rng.standard_normal((40, 12)) * 2).astype(np.float32)
targets = rng.integers(0, 12, size=40).astype(np.int64)
np.save(path("L.npy"), logits)
np.save(path("T.npy"), targets)
np.save(path("B.npy"), np.ones(40, dtype=np.int64))
write("model.arpa", b"\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0 <unk>\n-99 <s>\n-0.5 </s>\n-0.3 the\n\n\\end\\\n")
write("mdl.csv", b"unit,bits\nvocabulary_size,4\nfirst_block_items,10\nblock,10,15.5\nblock,20,28\n")
ORIGINALS = {name: read(name) for name in ["g3.txt", "L.npy", "T.npy", "B.npy"]}

r = run("compress", path("g3.txt"), path("g3.cl"))
check(r.returncode == 0, f"compress g3.txt: {r.stderr!r}")
r = run("encode", "--logits", path("L.npy"), "--targets", path("T.npy"), "-o", path("s.clen"))
check(r.returncode == 0, f"encode: {r.stderr!r}")
ORIGINALS["g3.cl"] = read("g3.cl")
ORIGINALS["s.clen"] = read("s.clen")

# Each command with an output: its arguments with the output (and extra flags) spliced in, and
# the bytes it writes to a fresh regular file (the reference for what a device or FIFO gets).
WRITERS = {
    "compress": lambda out: ["compress", path("g3.txt"), out],
    "decompress": lambda out: ["decompress", path("g3.cl"), out],
    "encode": lambda out: ["encode", "--logits", path("L.npy"), "--targets", path("T.npy"), "-o", out, "--json"],
    "decode": lambda out: ["decode", "--logits", path("L.npy"), "-i", path("s.clen"), "-o", out, "--json"],
    "score": lambda out: ["score", "--logits", path("L.npy"), "--targets", path("T.npy"), "--per-token", out,
                          "--json"],
}
EXPECTED = {}
for command, arguments in WRITERS.items():
    out = path(f"ref_{command}.out")
    r = run(*arguments(out))
    check(r.returncode == 0, f"{command} into a new file: {r.stderr!r}")
    EXPECTED[command] = read(out) if os.path.exists(out) else None
check(EXPECTED["decompress"] == TEXT, "decompress restores g3.txt")
check(EXPECTED["decode"] is not None and np.array_equal(np.load(path("ref_decode.out")), targets),
      "decode writes the targets")
check(EXPECTED["compress"] == ORIGINALS["g3.cl"] and EXPECTED["encode"] == ORIGINALS["s.clen"],
      "the reference outputs equal the first runs")


def inputs_unchanged(label):
    for name, data in ORIGINALS.items():
        check(read(name) == data, f"{label}: the input {name} changed")


# ---- character devices and FIFOs are written through, never replaced -------------------

def check_char_device(label, device, rdev):
    st = os.lstat(device)
    check(stat.S_ISCHR(st.st_mode) and st.st_rdev == rdev,
          f"{label}: {device} is no longer the character device it was (mode {oct(st.st_mode)})")
    return stat.S_ISCHR(st.st_mode)


null_rdev = os.stat("/dev/null").st_rdev
private_null = path("null")
private_ok = False
try:
    os.mknod(private_null, stat.S_IFCHR | 0o666, null_rdev)
    private_ok = True
except OSError as e:
    print(f"skipped: cannot make a private null device ({e}); /dev/null only")

devices = ([private_null] if private_ok else [])
# /dev/null itself only once a private device has survived every command (so a regression
# cannot replace the machine's /dev/null), or when we could not replace it anyway (not root).
for device in [private_null, "/dev/null"]:
    if device == private_null and not private_ok:
        continue
    if device == "/dev/null" and private_ok and failures:
        print("skipped: /dev/null (the private device was not kept)")
        continue
    if device == "/dev/null" and not private_ok and os.geteuid() == 0:
        print("skipped: /dev/null as root without a private device to try first")
        continue
    for command, arguments in WRITERS.items():
        for force in ([], ["--force"]):
            label = f"{command} -> {device} {' '.join(force)}"
            r = run(*arguments(device), *force)
            check(r.returncode == 0, f"{label}: exit {r.returncode} {r.stderr!r}")
            if not check_char_device(label, device, null_rdev):
                break
    check(not glob.glob(os.path.join(os.path.dirname(device), ".null.tmp-*")),
          f"temporary files beside {device}")
inputs_unchanged("device outputs")


def through_fifo(label, arguments, expected):
    """Runs the command with a FIFO as its output while a thread reads it; checks the bytes."""
    fifo = path("fifo")
    if os.path.lexists(fifo):
        os.remove(fifo)
    os.mkfifo(fifo)
    received = {}

    def reader():
        with open(fifo, "rb") as f:
            received["bytes"] = f.read()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        r = run(*arguments(fifo), timeout=60)
    except subprocess.TimeoutExpired:
        check(False, f"{label}: timed out")
        return
    thread.join(timeout=10)
    if thread.is_alive():  # the command never opened the FIFO: let the reader go
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        thread.join(timeout=10)
    check(r.returncode == 0, f"{label}: exit {r.returncode} {r.stderr!r}")
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), f"{label}: the FIFO was replaced by a regular file")
    check(received.get("bytes") == expected,
          f"{label}: the reader got {len(received.get('bytes') or b'')} bytes, expected {len(expected or b'')}")
    check(not leftovers(), f"{label}: temporary files left: {leftovers()}")


for command, arguments in WRITERS.items():
    through_fifo(f"{command} -> FIFO --force", lambda out, a=arguments: a(out) + ["--force"], EXPECTED[command])
    through_fifo(f"{command} -> FIFO", arguments, EXPECTED[command])

# Other special files (a socket) are refused, and stay what they were.
sock_path = path("sock")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sock_path)
for command, arguments in WRITERS.items():
    expect_failure(f"{command} -> socket", arguments(sock_path) + ["--force"], [sock_path, "socket"])
    check(stat.S_ISSOCK(os.lstat(sock_path).st_mode), f"{command} replaced the socket")
server.close()
check(not leftovers(), f"temporary files after the socket: {leftovers()}")

# ---- existing files need --force; an input is never an output -----------------------------
existing = write("existing.npy", b"keep me")
expect_failure("score --per-token onto an existing file",
               WRITERS["score"](existing), [existing, "exists", "--force"])
check(read(existing) == b"keep me", "score --per-token without --force kept the existing file")
r = run(*WRITERS["score"](existing), "--force")
check(r.returncode == 0 and read(existing) == EXPECTED["score"], f"score --per-token --force replaces: {r.stderr!r}")
r = run(*WRITERS["score"](existing), "-f")
check(r.returncode == 0, f"score -f: {r.stderr!r}")

os.symlink(path("L.npy"), path("L_link.npy"))
os.link(path("T.npy"), path("T_hard.npy"))
os.symlink(path("g3.txt"), path("g3_link.txt"))
SAME = [
    ("score --per-token L.npy", WRITERS["score"](path("L.npy")), "L.npy"),
    ("score --per-token T.npy", WRITERS["score"](path("T.npy")), "T.npy"),
    ("score --per-token B.npy (--bytes)", WRITERS["score"](path("B.npy")) + ["--bytes", path("B.npy")], "B.npy"),
    ("score --per-token symlink to L.npy", WRITERS["score"](path("L_link.npy")), "L.npy"),
    ("score --per-token hard link to T.npy", WRITERS["score"](path("T_hard.npy")), "T.npy"),
    ("encode -o L.npy", WRITERS["encode"](path("L.npy")), "L.npy"),
    ("encode -o hard link to T.npy", WRITERS["encode"](path("T_hard.npy")), "T.npy"),
    ("decode -o L.npy", WRITERS["decode"](path("L.npy")), "L.npy"),
    ("decode -o the stream", WRITERS["decode"](path("s.clen")), "s.clen"),
    ("compress g3.txt g3.txt", WRITERS["compress"](path("g3.txt")), "g3.txt"),
    ("compress g3.txt symlink to it", WRITERS["compress"](path("g3_link.txt")), "g3.txt"),
    ("decompress g3.cl g3.cl", WRITERS["decompress"](path("g3.cl")), "g3.cl"),
]
for label, arguments, name in SAME:
    expect_failure(label + " --force", arguments + ["--force"], ["same file as the input", name])
inputs_unchanged("outputs that are inputs")
check(os.path.islink(path("L_link.npy")), "the symbolic link is still a link")
# Stdin is an input too.
victim = write("victim.cl", ORIGINALS["g3.cl"])
with open(victim, "rb") as stdin_file:
    r = subprocess.run([CLI, "decompress", "-", victim, "--force"], stdin=stdin_file, capture_output=True)
check(r.returncode == 1 and b"same file as the input stdin" in r.stderr, f"stdin as the output: {r.stderr!r}")
check(read(victim) == ORIGINALS["g3.cl"], "decompress - OUT < OUT kept OUT")

# A symbolic link to a regular file is followed: the file is replaced, the link is kept.
write("target.bin", b"old")
os.symlink(path("target.bin"), path("link.bin"))
r = run(*WRITERS["compress"](path("link.bin")), "--force")
check(r.returncode == 0 and os.path.islink(path("link.bin")) and read("target.bin") == EXPECTED["compress"],
      f"compress through a symbolic link: {r.stderr!r}")
check(not leftovers(), f"temporary files after the input/output cases: {leftovers()}")

# ---- directories, missing, unreadable and unwritable paths ------------------------------
directory = path("dir")
os.makedirs(directory)
IS_DIR = "Is a directory"
for command, arguments in WRITERS.items():
    for force in ([], ["--force"]):
        expect_failure(f"{command} -> a directory {' '.join(force)}", arguments(directory) + force, [directory, IS_DIR])
check(not leftovers(), f"temporary files beside the directory: {leftovers()}")
check(os.listdir(directory) == [], "nothing was written into the directory")
READERS = [
    ("ngram --text DIR", ["ngram", "--arpa", path("model.arpa"), "--text", directory, "--json"]),
    ("ngram --arpa DIR", ["ngram", "--arpa", directory, "--text", path("g3.txt")]),
    ("mdl --input DIR --json", ["mdl", "--input", directory, "--json"]),
    ("compress DIR OUT", ["compress", directory, path("never.cl")]),
    ("decompress DIR OUT", ["decompress", directory, path("never.out")]),
    ("measure DIR", ["measure", directory, "--json"]),
    ("decode -i DIR", ["decode", "--logits", path("L.npy"), "-i", directory, "-o", path("never.npy")]),
    ("score --logits DIR", ["score", "--logits", directory, "--targets", path("T.npy")]),
]
for label, arguments in READERS:
    expect_failure(label, arguments, [directory, IS_DIR])
missing = path("missing")
for label, arguments in [("ngram --text missing", ["ngram", "--arpa", path("model.arpa"), "--text", missing]),
                         ("ngram --arpa missing", ["ngram", "--arpa", missing, "--text", path("g3.txt")]),
                         ("compress missing", ["compress", missing, path("never.cl")]),
                         ("decode -i missing", ["decode", "--logits", path("L.npy"), "-i", missing, "-o",
                                                path("never.npy")])]:
    expect_failure(label, arguments, [missing, "No such file or directory"])
# A path under a regular file: "Not a directory", for root as for anyone.
under_file = os.path.join(path("g3.txt"), "out")
for command, arguments in WRITERS.items():
    expect_failure(f"{command} -> FILE/out", arguments(under_file) + ["--force"], [under_file, "Not a directory"])
under_missing = os.path.join(path("no_such_dir"), "out")
for command, arguments in WRITERS.items():
    expect_failure(f"{command} -> MISSING/out", arguments(under_missing), [under_missing, "No such file or directory"])
check(not any(os.path.exists(path(n)) for n in ["never.cl", "never.out", "never.npy"]), "failures wrote outputs")

# Permission: root reads and writes everything, so as root the commands run as `nobody`.
secret = write("secret.txt", b"the cat\n")
os.chmod(secret, 0)
locked = path("locked")
os.makedirs(locked)
os.chmod(locked, 0o555)
prefix = []
if os.geteuid() == 0:
    setpriv = shutil.which("setpriv")
    probe = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", CLI, "--version"],
                           capture_output=True) if setpriv else None
    if probe is not None and probe.returncode == 0:
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    else:
        print("skipped: permission cases (running as root, and cannot run the CLI as nobody)")
        prefix = None
if prefix is not None:
    def run_as(*args):
        return subprocess.run(prefix + [CLI, *map(str, args)], capture_output=True)

    for label, arguments in [("ngram --text unreadable", ["ngram", "--arpa", path("model.arpa"), "--text", secret]),
                             ("mdl --input unreadable", ["mdl", "--input", secret, "--json"]),
                             ("compress unreadable", ["compress", secret, "-"]),
                             ("measure unreadable", ["measure", secret])]:
        r = run_as(*arguments)
        check(r.returncode == 1 and secret.encode() in r.stderr and b"Permission denied" in r.stderr
              and r.stdout == b"", f"{label}: exit {r.returncode} {r.stderr!r}")
    for command, arguments in WRITERS.items():
        out = os.path.join(locked, "out")
        r = run_as(*arguments(out))
        check(r.returncode == 1 and out.encode() in r.stderr and b"Permission denied" in r.stderr,
              f"{command} into a directory it cannot write: exit {r.returncode} {r.stderr!r}")
    check(os.listdir(locked) == [], "nothing was written into the locked directory")

# ---- `-` for stdin and stdout; stdin named twice; no wall-clock time unless asked ----------
r_file = run("ngram", "--arpa", path("model.arpa"), "--text", path("g3.txt"), "--json")
r_stdin = run("ngram", "--arpa", path("model.arpa"), "--text", "-", "--json", stdin=TEXT)
check(r_stdin.returncode == 0 and r_file.returncode == 0 and r_stdin.stdout == r_file.stdout,
      f"ngram --text - reads stdin like the file: {r_stdin.stderr!r}")
check(r_file.returncode == 0 and json.loads(r_file.stdout)["sentences"] == 400, "ngram counts 400 sentences")
r_stdin = run("ngram", "--arpa", "-", "--text", path("g3.txt"), "--json", stdin=read("model.arpa"))
check(r_stdin.returncode == 0 and r_stdin.stdout == r_file.stdout, f"ngram --arpa - reads stdin: {r_stdin.stderr!r}")
for label, arguments in [("measure - -", ["measure", "-", "-"]),
                         ("measure FILE - -", ["measure", path("g3.txt"), "-", "-", "--json"]),
                         ("ngram --arpa - --text -", ["ngram", "--arpa", "-", "--text", "-"])]:
    expect_failure(label, arguments, ["stdin", "once"], status=2, stdin=TEXT)

# .npy inputs from stdin (`-`) give what the same files give; stdin named twice is a usage error.
reference = run("score", "--logits", path("L.npy"), "--targets", path("T.npy"), "--bytes", path("B.npy"), "--json")
for label, arguments, stdin_name in [
        ("score --logits -", ["score", "--logits", "-", "--targets", path("T.npy"), "--bytes", path("B.npy")], "L.npy"),
        ("score --targets -", ["score", "--logits", path("L.npy"), "--targets", "-", "--bytes", path("B.npy")], "T.npy"),
        ("score --bytes -", ["score", "--logits", path("L.npy"), "--targets", path("T.npy"), "--bytes", "-"], "B.npy")]:
    r = run(*arguments, "--json", stdin=read(stdin_name))
    check(r.returncode == 0 and r.stdout == reference.stdout, f"{label}: {r.stderr[:300]!r}")
r = run("encode", "--logits", path("L.npy"), "--targets", "-", "-o", path("stdin.clen"), stdin=read("T.npy"))
check(r.returncode == 0 and read("stdin.clen") == ORIGINALS["s.clen"], f"encode --targets -: {r.stderr[:300]!r}")
r = run("decode", "--logits", "-", "-i", path("s.clen"), "-o", path("stdin_targets.npy"), stdin=read("L.npy"))
check(r.returncode == 0 and np.array_equal(np.load(path("stdin_targets.npy")), targets),
      f"decode --logits -: {r.stderr[:300]!r}")
expect_failure("score with a truncated .npy on stdin", ["score", "--logits", "-", "--targets", path("T.npy")],
               ["stdin"], stdin=read("L.npy")[:100])
for label, arguments in [("score --logits - --targets -", ["score", "--logits", "-", "--targets", "-"]),
                         ("decode --logits - -i -", ["decode", "--logits", "-", "-i", "-", "-o",
                                                      path("never.npy")])]:
    expect_failure(label, arguments, ["stdin", "once"], status=2, stdin=read("L.npy"))
check(not os.path.exists(path("never.clen")) and not os.path.exists(path("never.npy")), "usage errors wrote outputs")
# Counts read as English: "1 row", not "1 rows".
np.save(path("L1.npy"), logits[:1])
expect_failure("decode with one row of logits", ["decode", "--logits", path("L1.npy"), "-i", path("s.clen"), "-o",
                                                  path("never.npy")], ["holds 40 targets", "has 1 row"])
r = run("decode", "--logits", path("L.npy"), "-i", "-", "-o", path("from_stdin.npy"), stdin=ORIGINALS["s.clen"])
check(r.returncode == 0 and np.array_equal(np.load(path("from_stdin.npy")), targets), f"decode -i -: {r.stderr!r}")
# With the data on stdout, the report goes to stderr.
r = run("encode", "--logits", path("L.npy"), "--targets", path("T.npy"), "-o", "-", "--json")
check(r.returncode == 0 and r.stdout == ORIGINALS["s.clen"], f"encode -o - writes the stream on stdout: {r.stderr[:300]!r}")
check(r.returncode == 0 and json.loads(r.stderr)["tokens"] == 40, "encode -o -: the report is on stderr")
r = run("decode", "--logits", path("L.npy"), "-i", path("s.clen"), "-o", "-")
check(r.returncode == 0 and r.stdout == EXPECTED["decode"] and b"tokens" in r.stderr,
      f"decode -o - writes the .npy on stdout: {r.stderr!r}")
r = run("score", "--logits", path("L.npy"), "--targets", path("T.npy"), "--per-token", "-", "--json")
check(r.returncode == 0 and r.stdout == EXPECTED["score"] and b"bits_per_token" in r.stderr,
      f"score --per-token - writes the .npy on stdout: {r.stderr!r}")

TIMED = {
    "encode": ["encode", "--logits", path("L.npy"), "--targets", path("T.npy"), "-o", "-"],
    "decode": ["decode", "--logits", path("L.npy"), "-i", path("s.clen"), "-o", "-"],
    "score": ["score", "--logits", path("L.npy"), "--targets", path("T.npy")],
    "measure": ["measure", path("g3.txt"), "--model", "order0"],
    "ngram": ["ngram", "--arpa", path("model.arpa"), "--text", path("g3.txt")],
}
for command, arguments in TIMED.items():
    report_of = (lambda r: r.stderr) if "-o" in arguments else (lambda r: r.stdout)
    first, second = run(*arguments, "--json"), run(*arguments, "--json")
    check(first.returncode == 0 and report_of(first) == report_of(second),
          f"{command} --json: two equal runs print different reports")
    check(b"seconds" not in report_of(first) and b"mb_per_s" not in report_of(first),
          f"{command} --json reports wall-clock time without --timing: {report_of(first)[:300]!r}")
    table = run(*arguments)
    check(table.returncode == 0 and b"seconds" not in report_of(table) and b"MB/s" not in report_of(table),
          f"{command} table reports wall-clock time without --timing")
    timed = run(*arguments, "--json", "--timing")
    report = json.loads(report_of(timed)) if timed.returncode == 0 else {}
    rows = report.get("files", [report])
    check(timed.returncode == 0 and all(isinstance(row.get("seconds"), float) for row in rows),
          f"{command} --json --timing reports seconds: {timed.stderr!r}")
    timed = run(*arguments, "--timing")
    check(timed.returncode == 0 and (b"seconds" in report_of(timed) or b"MB/s" in report_of(timed)),
          f"{command} --timing table reports the time")
    help_text = run(command, "--help").stdout
    check(b"--timing" in help_text, f"{command} --help documents --timing")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all file-handling CLI checks passed")
