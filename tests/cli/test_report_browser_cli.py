"""`codelength report` in a real browser: headless chromium (scripts/headless_chromium.py) loads
a report of 240 labelled documents with an online-code curve and checks, in the rendered page:
one token element per scored token of the documents shown (and the right documents), one ROC
path per score with geometry (the path passes through every point of the ROC staircase computed
here), the hostile document as text with no script, no console error or warning, no request
but the file itself, and a screenshot. A control page with a console error and a missing image
must be caught, so the checks are not vacuous. When chromium is missing or cannot start, the
test prints why and exits 77, which ctest reports as skipped."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

from cli_check import check, finish, path_of, save, write

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from headless_chromium import Browser, BrowserUnavailable  # noqa: E402

CLI = sys.argv[1]
WORK = sys.argv[2]
SKIPPED = 77
V = 64
DOCUMENTS = 240
SHOW = 10
HOSTILE = b"<script>alert(1)</script> & <img src=x onerror=alert(2)> \xff\xfe gr\xc3\xbc\xc3\x9f"


def make_inputs(rng):
    """Documents of random words (one hostile), tokens of 1-3 bytes; members' targets likelier."""
    words = [bytes(rng.integers(97, 123, int(rng.integers(2, 9)))) for _ in range(300)]
    docs, labels = [], []
    for d in range(DOCUMENTS):
        docs.append(HOSTILE if d == 0 else b" ".join(words[i] for i in rng.integers(0, 300, int(rng.integers(8, 30)))))
        labels.append("suspect" if d % 40 == 39 else "member" if d % 2 == 0 else "nonmember")
    token_bytes, offsets = [], []
    for doc in docs:
        offsets.append(len(token_bytes))
        left = len(doc)
        while left:
            n = min(left, int(rng.integers(1, 4)))
            token_bytes.append(n)
            left -= n
    T = len(token_bytes)
    targets = rng.integers(0, V, T)
    logits = rng.standard_normal((T, V)).astype(np.float32)
    bounds = offsets + [T]
    for d in range(DOCUMENTS):
        rows = np.arange(bounds[d], bounds[d + 1])
        boost = 9.0 if d == 0 else 1.5 + rng.random() if labels[d] == "member" else rng.random() * 1.5
        logits[rows, targets[rows]] += boost
    paths = {
        "logits": save("logits.npy", logits),
        "targets": save("targets.npy", targets.astype(np.int64)),
        "doc-offsets": save("offsets.npy", np.array(offsets, dtype=np.int64)),
        "token-bytes": save("bytes.npy", np.array(token_bytes, dtype=np.int32)),
        "text": write("text.bin", b"".join(docs)),
    }
    return paths, labels, bounds


def staircase(members, nonmembers):
    """ROC points (FPR, TPR) after each distinct threshold of scores where larger is member-like."""
    points, thresholds = [(0.0, 0.0)], sorted(set(members) | set(nonmembers), reverse=True)
    for t in thresholds:
        points.append((sum(n >= t for n in nonmembers) / len(nonmembers), sum(m >= t for m in members) / len(members)))
    return points


def on_polyline(point, polyline, tolerance=0.02):
    """Whether point lies on a segment of polyline (pixels)."""
    px, py = point
    for (x0, y0), (x1, y1) in zip(polyline, polyline[1:]):
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        u = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - x0) * dx + (py - y0) * dy) / length2))
        if (x0 + u * dx - px) ** 2 + (y0 + u * dy - py) ** 2 <= tolerance ** 2:
            return True
    return False


def check_roc_path(d, records, labels):
    """The drawn path of model_bits_per_byte passes through every staircase point (mapped by the
    path's own (0,0) and (1,1) corners) and has no inner point of a vertical or horizontal run."""
    polyline = [tuple(map(float, p.split(","))) for p in re.findall(r"-?[\d.]+,-?[\d.]+", d)]
    members = [-r["model_bits_per_byte"] for r, lab in zip(records, labels) if lab == "member"]
    nonmembers = [-r["model_bits_per_byte"] for r, lab in zip(records, labels) if lab == "nonmember"]
    (x0, y0), (x1, y1) = polyline[0], polyline[-1]
    missing = [p for p in staircase(members, nonmembers)
               if not on_polyline((x0 + p[0] * (x1 - x0), y0 + p[1] * (y1 - y0)), polyline)]
    check(not missing, f"ROC path misses {len(missing)} staircase points, e.g. {missing[:3]}")
    runs = [i for i in range(1, len(polyline) - 1)
            if polyline[i - 1][0] == polyline[i][0] == polyline[i + 1][0]
            or polyline[i - 1][1] == polyline[i][1] == polyline[i + 1][1]]
    check(not runs, f"ROC path keeps {len(runs)} inner points of straight runs")
    check(len(polyline) < len(members) + len(nonmembers) + 1, f"ROC path of {len(polyline)} points")


def main():
    if os.path.isdir(WORK):
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    try:
        browser = Browser()
    except BrowserUnavailable as e:
        print(f"SKIPPED: the browser test needs chromium (scripts/install_deps.sh installs it): {e}")
        sys.exit(SKIPPED)
    with browser:
        print(f"browser: {browser.version}")
        run_checks(browser)
    finish()


def run_checks(browser):
    control = write("control.html", "<!DOCTYPE html><title>c</title><script>console.error('control')</script>"
                    "<img src=\"missing.png\">")
    page = browser.open("file://" + control)
    errors = page.console_errors
    check(any("control" in e for e in errors) and len(page.requests) == 2,
          f"the control page's console error and second request are seen: {errors} {page.requests}")

    rng = np.random.default_rng(20261207)
    paths, labels, bounds = make_inputs(rng)
    base = [CLI, "report"]
    for key, value in paths.items():
        base += [f"--{key}", value]
    label_file = write("labels.txt", "\n".join(labels) + "\n")
    mdl = write("mdl.txt", "unit,bits\nvocabulary_size,64\nfirst_block_items,100\nblock,200,900\nblock,400,1500\n")
    out = path_of("report.html")
    result = subprocess.run([*base, "--labels", label_file, "--mdl", mdl, "--show", str(SHOW), "-o", out],
                            capture_output=True, text=True)
    check(result.returncode == 0, f"report: exit {result.returncode}: {result.stderr}")
    if result.returncode != 0:
        return
    memorization = [CLI, "memorization", *base[2:], "--json"]
    records = json.loads(subprocess.run(memorization, capture_output=True, text=True, check=True).stdout)["documents"]
    order = sorted(range(DOCUMENTS), key=lambda d: (records[d]["model_bits_per_byte"], d))
    shown = sorted(order[:SHOW] + order[-SHOW:])

    page = browser.open("file://" + out, width=1100, height=1400)
    print(f"report of {os.path.getsize(out)} bytes loaded in {page.load_seconds:.3f} s")
    ids = page.evaluate("[...document.querySelectorAll('h3[id^=\"doc-\"]')].map(h => +h.id.slice(4))")
    check(sorted(ids) == shown, f"heat maps of documents {sorted(ids)}, expected {shown}")
    tokens = page.evaluate("document.querySelectorAll('div.doc span.t').length")
    want = sum(bounds[d + 1] - bounds[d] for d in shown)
    check(tokens == want, f"{tokens} token elements in the DOM, expected {want}")
    check(page.evaluate("document.scripts.length") == 0, "no script element in the DOM")
    check(page.evaluate("document.images.length") == 0, "no image element in the DOM")
    texts = page.evaluate("[...document.querySelectorAll('div.doc')].map(d => d.textContent)")
    check(any("<script>alert(1)</script> & <img src=x onerror=alert(2)>" in t for t in texts),
          "the hostile document shows as text")
    known = page.evaluate("[...document.querySelectorAll('path.roc')].map(p => "
                          "[p.dataset.score, p.getTotalLength(), p.getAttribute('d')])")
    names = [k[0] for k in known]
    check(len(names) >= 8 and "model_bits_per_byte" in names, f"ROC paths: {names}")
    check(all(k[1] > 100 for k in known), f"every ROC path has geometry: {[(k[0], k[1]) for k in known]}")
    for name, _, d in known:
        if name == "model_bits_per_byte":
            check_roc_path(d, records, labels)
    check(page.evaluate("document.querySelectorAll('path.mdl').length") == 1, "the online code curve")
    check(page.console_errors == [], f"console errors: {page.console_errors}")
    check(page.requests == ["file://" + out], f"requests besides the file: {page.requests}")
    shot = path_of("report.png")
    page.screenshot(shot)
    with open(shot, "rb") as f:
        png = f.read()
    check(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10000, f"screenshot of {len(png)} bytes")


if __name__ == "__main__":
    main()
