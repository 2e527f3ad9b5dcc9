"""`mpiexec -n N codelength-mpi score --manifest` against `codelength score --manifest` in one
process: every JSON number bit-identical for 1, 2 and 3 ranks and for more ranks than shards,
per-shard entries with the rank that scored them, a shard that cannot be read reported with its
path and rank while the others finish (exit status 3 on every rank, no -o file left), quoted
paths with blanks and quotes read as in one process, and an empty manifest refused without a
hang. `codelength-mpi memorization --manifest` gives the one-process records and summary on 2
and 3 ranks, and reports a bad shard the same way. --progress on 2 and 3 ranks: rank 0's line
covers the whole job (its last line says 100% and all the shards and bytes; while another
rank's shard waits on a FIFO, a line counts shards and bytes rank 0 does not own), stdout is
the run's without --progress, and without --progress no line is drawn."""
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import numpy as np

from cli_check import check, finish, path_of, save, write

CLI, WORK, MPI_CLI, MPIEXEC = sys.argv[1:5]
ENV = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
       "OMPI_MCA_mpi_yield_when_idle": "1"}
SIZES = [300, 1, 1200, 50, 777, 400, 90]


def mpi(ranks, *args, command="score"):
    return subprocess.run([MPIEXEC, "-n", str(ranks), "--oversubscribe", MPI_CLI, command, *map(str, args)],
                          capture_output=True, text=True, env=ENV, timeout=300)


# A progress line: "LABEL PHASE [###...] PCT%  K/N shards, X/Y MiB".
PROGRESS = re.compile(r"\[[#.]{30}\]\s+([\d.]+)%\s+(\d+)/(\d+) shards, ([\d.]+)/([\d.]+) MiB")


def progress_lines(stderr):
    """(percent, shards done, shards, MiB done, MiB) of each progress line on stderr."""
    return [(float(m[1]), int(m[2]), int(m[3]), m[4], m[5]) for m in map(PROGRESS.search, stderr.splitlines()) if m]


def shard_bytes(manifest):
    """Each shard's input bytes as codelength counts them: its regular files' sizes."""
    base = os.path.dirname(manifest)
    sizes = []
    for line in open(manifest).read().splitlines():
        paths = [os.path.join(base, p) for p in line.split()]
        sizes.append(sum(os.path.getsize(p) for p in paths if os.path.isfile(p)))
    return sizes


def largest_first(sizes, ranks):
    """The shards of each rank by distributed/shard_assignment.hpp's rule: largest first (ties:
    lower index) onto the least-loaded rank (ties: fewer shards, then lower rank)."""
    slots = [(0, 0, r) for r in range(ranks)]
    owned = [[] for _ in range(ranks)]
    for shard in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        load, count, rank = min(slots)
        slots[rank] = (load + sizes[shard], count + 1, rank)
        owned[rank].append(shard)
    return [sorted(o) for o in owned]


def mib(n):
    return f"{n / 1048576:.1f}"


def check_last_line(lines, sizes, what):
    """The last progress line: 100% of every shard's bytes, every shard done."""
    total, n = sum(sizes), len(sizes)
    check(lines and lines[-1] == (100.0, n, n, mib(total), mib(total)),
          f"{what}: last progress line {lines[-1:]} is not 100.0%, {n}/{n} shards, {mib(total)}/{mib(total)} MiB")


def one(*args, command="score"):
    return subprocess.run([CLI, command, *map(str, args)], capture_output=True, text=True)


def memorization_checks(rng):
    """Three shards of 3, 1 and 5 documents (logits, targets, token bytes, offsets, text)."""
    lines = []
    for i, documents in enumerate([3, 1, 5]):
        lengths = rng.integers(3, 30, documents)
        n = int(lengths.sum())
        token_bytes = rng.integers(1, 4, n)
        text = bytes(rng.choice(list(b"abcde fgh\n"), int(token_bytes.sum())).tolist())
        save(f"ml{i}.npy", (rng.standard_normal((n, 40)) * 3).astype(np.float32))
        save(f"mt{i}.npy", rng.integers(0, 40, n))
        save(f"mb{i}.npy", token_bytes)
        save(f"mo{i}.npy", np.concatenate([[0], np.cumsum(lengths)[:-1]]))
        write(f"mx{i}.txt", text)
        lines.append(f"ml{i}.npy mt{i}.npy mb{i}.npy mo{i}.npy mx{i}.txt")
    manifest = write("memorization.txt", "\n".join(lines) + "\n")
    options = ["--prefix", 2, "--resamples", 200, "--json"]
    want = one("--manifest", manifest, *options, command="memorization")
    check(want.returncode == 0, f"memorization, one process: {want.stderr}")
    want = json.loads(want.stdout)
    for ranks in (2, 3):
        got = mpi(ranks, "--manifest", manifest, *options, command="memorization")
        check(got.returncode == 0, f"memorization, {ranks} ranks: exit {got.returncode}: {got.stderr}")
        if got.returncode == 0:
            got = json.loads(got.stdout)
            check(got["ranks"] == ranks and len(got["documents"]) == 9, f"memorization, {ranks} ranks: "
                  f"ranks {got['ranks']}, {len(got['documents'])} documents")
            check({k: v for k, v in got.items() if k != "ranks"} == {k: v for k, v in want.items() if k != "ranks"},
                  f"memorization, {ranks} ranks: the one-process records and summary")
    bad = write("memorization_bad.txt", "\n".join(lines[:1] + ["ml1.npy mt1.npy mb1.npy mo1.npy nothing.txt"]
                                                  + lines[2:]) + "\n")
    got = mpi(2, "--manifest", bad, *options, command="memorization")
    check(got.returncode == 3 and "nothing.txt" in got.stderr, f"memorization, bad shard: {got.returncode} {got.stderr}")
    if got.returncode == 3:
        report = json.loads(got.stdout)
        check(len(report["documents"]) == 8 and report["failed_shards"][0]["shard"] == 1,
              f"memorization, bad shard: {len(report['documents'])} documents, {report['failed_shards']}")


def progress_checks(manifest, bad):
    """score --progress on 2 and 3 ranks: rank 0's last line is the whole job's; the report is
    the one without --progress, which draws no line. With a shard that fails (`bad`, on a rank
    other than 0 with 3 ranks) the same, and exit status 3."""
    sizes = shard_bytes(bad)
    missing = [i for i, line in enumerate(open(bad)) if "missing.npy" in line]
    check(missing and missing[0] not in largest_first(sizes, 3)[0], "bad shard: on a rank other than 0")
    for ranks in (2, 3):
        quiet = mpi(ranks, "--manifest", bad, "--json")
        loud = mpi(ranks, "--manifest", bad, "--json", "--progress")
        check(quiet.returncode == 3 and loud.returncode == 3 and loud.stdout == quiet.stdout,
              f"bad shard, --progress, {ranks} ranks: exit {loud.returncode}, stdout as without --progress")
        check_last_line(progress_lines(loud.stderr), sizes, f"bad shard, --progress, {ranks} ranks")
    sizes = shard_bytes(manifest)
    for ranks in (2, 3):
        check(largest_first(sizes, ranks)[0] != list(range(len(sizes))), f"{ranks} ranks: rank 0 owns a subset")
        quiet = mpi(ranks, "--manifest", manifest, "--json", "--per-shard")
        loud = mpi(ranks, "--manifest", manifest, "--json", "--per-shard", "--progress")
        check(quiet.returncode == 0 and loud.returncode == 0, f"progress, {ranks} ranks: {loud.stderr}")
        check(loud.stdout == quiet.stdout, f"progress, {ranks} ranks: --progress changes stdout")
        check(progress_lines(quiet.stderr) == [], f"progress, {ranks} ranks: a line without --progress")
        if quiet.returncode == 0:
            owned = sorted(i for i, s in enumerate(json.loads(quiet.stdout)["per_shard"]) if s["rank"] == 0)
            check(owned == largest_first(sizes, ranks)[0], f"{ranks} ranks: rank 0 owns {owned}")
        check_last_line(progress_lines(loud.stderr), sizes, f"score --progress, {ranks} ranks")


def run_feeding_fifo(ranks, args, fifo, text, release_when=lambda lines: True, timeout=120):
    """Runs codelength-mpi memorization while a shard's text is the FIFO `fifo` (its rank waits
    in open() until it is written): `text` goes in once release_when(progress lines so far) is
    true (or after `timeout` s). Returns (exit status, stdout, stderr, lines seen before it)."""
    proc = subprocess.Popen([MPIEXEC, "-n", str(ranks), "--oversubscribe", MPI_CLI, "memorization", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    out, err = [], []
    readers = [threading.Thread(target=lambda: out.append(proc.stdout.read())),
               threading.Thread(target=lambda: err.extend(iter(proc.stderr.readline, "")))]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    while not release_when(progress_lines("".join(err))) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    before = progress_lines("".join(err))
    while proc.poll() is None and time.monotonic() < deadline + 60:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO until the rank opens it
        except OSError:
            time.sleep(0.05)
            continue
        os.set_blocking(fd, True)
        os.write(fd, text)
        os.close(fd)
        break
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for reader in readers:
        reader.join()
    return proc.returncode, "".join(out), "".join(err), before


def progress_fifo_checks(rng):
    """memorization --progress on 2 and 3 ranks, the last shard's text a FIFO on a rank other than
    0: before it is written, rank 0 draws a line that counts shards and bytes it does not own."""
    tokens = [2400, 300, 200, 150, 100]
    lines = []
    for i, n in enumerate(tokens):
        # Few documents (four in the first shard, one in each other): each costs xz -9, zstd -19
        # and brotli -q 11 runs, slow under the sanitizers.
        lengths = np.full(max(1, n // 600), 600)
        token_bytes = rng.integers(1, 4, n)
        save(f"pl{i}.npy", (rng.standard_normal((n, 40)) * 3).astype(np.float32))
        save(f"pt{i}.npy", rng.integers(0, 40, n))
        save(f"pb{i}.npy", token_bytes)
        save(f"po{i}.npy", np.concatenate([[0], np.cumsum(lengths)[:-1]]))
        text = bytes(rng.choice(list(b"abcde fgh\n"), int(token_bytes.sum())).tolist())
        lines.append(f"pl{i}.npy pt{i}.npy pb{i}.npy po{i}.npy px{i}.txt")
        write(f"px{i}.txt", text)
    last = len(tokens) - 1
    fifo = path_of(f"px{last}.txt")
    text = open(fifo, "rb").read()
    os.remove(fifo)
    os.mkfifo(fifo)
    manifest = write("progress_fifo.txt", "\n".join(lines) + "\n")
    sizes = shard_bytes(manifest)
    options = ["--manifest", manifest, "--json", "--resamples", 50]
    for ranks in (2, 3):
        owned = largest_first(sizes, ranks)
        check(owned[0] == [0] and last not in owned[0], f"fifo, {ranks} ranks: the plan {owned}")
        own_percent = 100 * sizes[0] / sum(sizes)

        def foreign(lines):
            return [l for l in lines if l[1] > len(owned[0]) and l[0] > own_percent + 0.1]

        status, quiet, quiet_err, _ = run_feeding_fifo(ranks, options, fifo, text)
        check(status == 0 and progress_lines(quiet_err) == [], f"fifo, {ranks} ranks, no --progress: {quiet_err}")
        status, loud, loud_err, before = run_feeding_fifo(ranks, [*options, "--progress"], fifo, text, foreign)
        check(status == 0, f"fifo, {ranks} ranks, --progress: exit {status}: {loud_err}")
        check(loud == quiet and quiet.startswith("{"), f"fifo, {ranks} ranks: --progress changes stdout")
        check(foreign(before) and all(l[1] < len(tokens) for l in before),
              f"fifo, {ranks} ranks: no line before the end counts other ranks' shards: {before}")
        check_last_line(progress_lines(loud_err), sizes, f"memorization --progress, {ranks} ranks")


def main():
    if os.path.isdir(WORK):
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    rng = np.random.default_rng(20261207)
    lines = []
    for i, n in enumerate(SIZES):
        logits = rng.standard_normal((n, 64)).astype(np.float32) * 3
        targets = rng.integers(0, 64, n)
        targets[rng.random(n) < 0.05] = -100  # ignored rows
        save(f"l{i}.npy", logits)
        save(f"t{i}.npy", targets)
        save(f"b{i}.npy", rng.integers(1, 4, n))
        lines.append(f"l{i}.npy t{i}.npy b{i}.npy")
    manifest = write("shards.txt", "\n".join(lines) + "\n")

    want = one("--manifest", manifest, "--json", "--per-shard")
    check(want.returncode == 0, f"one process: {want.stderr}")
    want = json.loads(want.stdout)
    for ranks in (1, 2, 3):
        got = mpi(ranks, "--manifest", manifest, "--json", "--per-shard")
        check(got.returncode == 0, f"{ranks} ranks: exit {got.returncode}: {got.stderr}")
        if got.returncode != 0:
            continue
        got = json.loads(got.stdout)
        check(got["ranks"] == ranks, f"{ranks} ranks: ranks = {got['ranks']}")
        differ = {k: (want[k], got.get(k)) for k in want if k not in ("ranks", "per_shard") and want[k] != got.get(k)}
        check(not differ, f"{ranks} ranks: differs from one process: {differ}")
        ranks_used = sorted({s["rank"] for s in got["per_shard"]})
        check(ranks_used == list(range(ranks)), f"{ranks} ranks: shards scored by ranks {ranks_used}")
        strip = [{k: v for k, v in s.items() if k != "rank"} for s in got["per_shard"]]
        check(strip == [{k: v for k, v in s.items() if k != "rank"} for s in want["per_shard"]],
              f"{ranks} ranks: per-shard entries equal one process's")
        # Largest first onto the least-loaded rank: the largest shard (2) on rank 0.
        check(got["per_shard"][2]["rank"] == 0, f"{ranks} ranks: the largest shard on rank 0")

    # More ranks than shards: two shards, three ranks.
    two = write("two.txt", "\n".join(lines[:2]) + "\n")
    got = mpi(3, "--manifest", two, "--json")
    alone = one("--manifest", two, "--json")
    check(got.returncode == 0 and alone.returncode == 0, f"3 ranks, 2 shards: {got.stderr}")
    if got.returncode == 0:
        a, b = json.loads(alone.stdout), json.loads(got.stdout)
        check({k: v for k, v in a.items() if k != "ranks"} == {k: v for k, v in b.items() if k != "ranks"},
              "3 ranks, 2 shards: the one-process report")

    # A shard that cannot be read: named with its rank, the others finish, status 3, no -o file.
    bad = write("bad.txt", "\n".join(lines[:3] + ["missing.npy t1.npy b1.npy"] + lines[3:]) + "\n")
    out = path_of("bad.json")
    got = mpi(3, "--manifest", bad, "--json", "-o", out)
    check(got.returncode == 3, f"bad shard: exit {got.returncode}: {got.stderr}")
    check("missing.npy" in got.stderr and "rank" in got.stderr, f"bad shard named on stderr: {got.stderr}")
    check(not os.path.exists(out), "bad shard: no -o file")
    check(not [f for f in os.listdir(WORK) if f.startswith(".bad.json")], "bad shard: no temporary file")
    if got.stdout.startswith("{"):
        report = json.loads(got.stdout)
        failed = report["failed_shards"]
        check(len(failed) == 1 and failed[0]["shard"] == 3 and failed[0]["logits"].endswith("missing.npy")
              and 0 <= failed[0]["rank"] < 3, f"failed_shards: {failed}")
        check(report["tokens"] == want["tokens"], "the other shards all finished")
    else:
        check(False, f"bad shard: no report on stdout: {got.stdout[:200]}")

    # Quoted paths (a directory with a blank, names with a blank and a quote): every rank reads
    # them as codelength score --manifest does, and the totals are the plain manifest's.
    os.makedirs(path_of("odd dir"), exist_ok=True)
    quoted = []
    for i in range(len(SIZES)):
        for stem in "ltb":
            shutil.copyfile(path_of(f"{stem}{i}.npy"), path_of(f'odd dir/{stem} "{i}".npy'))
        quoted.append(" ".join(f'"odd dir/{stem} \\"{i}\\".npy"' for stem in "ltb"))
    got = mpi(2, "--manifest", write("quoted.txt", "\n".join(quoted) + "\n"), "--json")
    check(got.returncode == 0, f"quoted paths, 2 ranks: exit {got.returncode}: {got.stderr}")
    if got.returncode == 0:
        got = json.loads(got.stdout)
        differ = {k: (want[k], got.get(k)) for k in want if k not in ("ranks", "per_shard") and want[k] != got.get(k)}
        check(not differ and got["failed_shards"] == [], f"quoted paths, 2 ranks: differs from one process: {differ}")

    # An empty manifest: an error on every rank, exit status 1, and no rank waits forever.
    empty = write("empty.txt", "# nothing\n")
    got = mpi(2, "--manifest", empty, "--json")
    check(got.returncode == 1 and "no shards" in got.stderr, f"empty manifest: {got.returncode} {got.stderr}")
    got = mpi(2, "--logits", "x.npy")
    check(got.returncode == 2, f"no --manifest: usage error, exit {got.returncode}")
    memorization_checks(rng)
    progress_checks(manifest, bad)
    progress_fifo_checks(rng)
    finish()


if __name__ == "__main__":
    main()
