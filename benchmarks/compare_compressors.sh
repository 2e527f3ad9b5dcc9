#!/usr/bin/env bash
# The compressor next to the system's xz and zstd on real text and source code, measured side
# by side in one run: bits/byte and MB/s of the default context-mixing model (and PPM), of
# `xz -9` and `zstd -19` (the command-line tools, timed), with gzip -9 and brotli -q 11 sizes
# from `codelength measure`.
#   benchmarks/compare_compressors.sh [path/to/codelength]     (default build/release/tools/codelength/codelength)
# Corpora, built from Debian files in build/compare/ (vim-runtime, xz-utils and zstd are
# installed if missing):
#   english.txt  the Vim user manual (usr_*.txt), seven chapters of the Vim reference and nine of
#                Debian's common licenses: English prose, 1.18 MB
#   source.txt   the first 1 MiB of /usr/include/c++/12/bits/*.h: C++ source
#   random.bin   1 MB from /dev/urandom: incompressible input
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="${1:-$root/build/release/tools/codelength/codelength}"
work="$root/build/compare"
mkdir -p "$work"

source "$root/scripts/common.sh"
ensure_packages vim-runtime xz-utils zstd

vim_doc=$(echo /usr/share/vim/vim*/doc)
cat "$vim_doc"/usr_*.txt "$vim_doc"/{intro,starting,editing,motion,change,windows,undo}.txt \
    /usr/share/common-licenses/{Apache-2.0,Artistic,BSD,CC0-1.0,GFDL-1.3,GPL-2,GPL-3,LGPL-2.1,MPL-2.0} \
    > "$work/english.txt"
head -c 1048576 <(cat /usr/include/c++/12/bits/*.h) > "$work/source.txt"
head -c 1000000 /dev/urandom > "$work/random.bin"

/usr/bin/python3 - "$cli" "$work" <<'PY'
import json, os, subprocess, sys, time
cli, work = sys.argv[1], sys.argv[2]

def measure(path, model):
    result = subprocess.run([cli, "measure", path, "--model", model, "--json", "--timing"], check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout)["files"][0]

def tool(command, path):  # size and MB/s of a system compressor writing to a pipe
    start = time.perf_counter()
    size = len(subprocess.run(command + ["-c", path], check=True, capture_output=True).stdout)
    return size, os.path.getsize(path) / 1e6 / (time.perf_counter() - start)

print(f"{'file':<12} {'bytes':>9} | {'cm':>6} {'MB/s':>5} | {'ppm':>6} {'MB/s':>5} | {'xz -9':>6} {'MB/s':>5} "
      f"| {'zstd-19':>7} {'MB/s':>5} | {'gzip-9':>6} {'brotli-11':>9} | cm / xz")
for name in ("english.txt", "source.txt", "random.bin"):
    path = os.path.join(work, name)
    n = os.path.getsize(path)
    cm, ppm = measure(path, "cm"), measure(path, "ppm")
    xz, xz_rate = tool(["xz", "-9"], path)
    zs, zs_rate = tool(["zstd", "-19", "-q"], path)
    bpb = lambda b: 8 * b / n
    print(f"{name:<12} {n:>9} | {bpb(cm['coded_bytes']):>6.3f} {cm['mb_per_s']:>5.2f} | {bpb(ppm['coded_bytes']):>6.3f} "
          f"{ppm['mb_per_s']:>5.2f} | {bpb(xz):>6.3f} {xz_rate:>5.2f} | {bpb(zs):>7.3f} {zs_rate:>5.2f} "
          f"| {bpb(cm['baselines']['gzip_9']):>6.3f} {bpb(cm['baselines']['brotli_11']):>9.3f} | {cm['coded_bytes'] / xz:.3f}")
    print(f"{'':<12} cm: ideal {cm['ideal_bits_per_byte']:.3f} bits/byte, decompress {cm['decompress_mb_per_s']:.2f} MB/s, "
          f"size change {100 * (cm['coded_bytes'] - n) / n:+.4f}%")
print("bits/byte of the coded files (headers included); MB/s of input on one core; every codelength "
      "output was decompressed and compared with its input.")
PY
