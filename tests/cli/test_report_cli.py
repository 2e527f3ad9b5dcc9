"""`codelength report` end to end: NumPy writes logits, targets, document offsets, token byte
counts and hostile text (markup, quotes, invalid UTF-8, characters split across tokens); the HTML is
parsed with html.parser and checked: one token element per scored token of the shown documents with
its bits, the text shown exactly (escaped, U+FFFD per invalid byte), no <script> element, ROC paths
only with labels (AUROC against a pairwise count), the order, no http(s) reference, and -o writing
whole or not at all."""
import html.parser
import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np

from cli_check import check, finish, path_of, save, write

CLI = sys.argv[1]
WORK = sys.argv[2]
SEED = 20261207
V = 40

DOCUMENTS = [
    b"<script>alert(1)</script> & \"quoted\" 'single' <b>bold</b>\n",
    "gr\u00fc\u00dfe \u20ac and \U0001F600 split across tokens, line\nbreak".encode(),
    b"invalid \xff\xfe bytes, a truncated \xe2\x82 and an overlong \xc0\xaf, controls \x00\x1b[31m\x7f\xc2\x85 end",
    b"the quick brown fox jumps over the lazy dog " * 3,
    b"lorem ipsum dolor sit amet, consectetur adipiscing elit",
    b"plain ascii document number five with no surprises",
    b"a short one",
]


def run(*args):
    return subprocess.run([CLI, "report", *map(str, args)], capture_output=True, text=True)


def shown_text(raw):
    """What a heat map shows: per_byte_replacement, then control characters (C0 other than tab,
    LF and CR, DEL, C1) as U+FFFD."""
    return "".join("\ufffd" if (ord(c) < 0x20 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F else c
                   for c in per_byte_replacement(raw))


def per_byte_replacement(raw):
    """Well-formed UTF-8 characters kept, every other byte one U+FFFD (the documented rule)."""
    out, i = [], 0
    while i < len(raw):
        for length in (1, 2, 3, 4):
            try:
                out.append(raw[i:i + length].decode("utf-8"))
                i += length
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


class Report(html.parser.HTMLParser):
    """Token elements per heat map (their title and text), every tag name, ROC and MDL paths."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.docs, self.roc, self.mdl, self.attributes = [], [], {}, 0, []
        self.depth, self.in_token, self.in_path, self.headings, self.in_h3 = 0, False, None, [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attributes.extend(v or "" for _, v in attrs)
        classes = (a.get("class") or "").split()
        if tag == "div" and "doc" in classes:
            self.docs.append({"tokens": [], "text": ""})
        if self.docs and tag == "span" and "t" in classes:
            self.docs[-1]["tokens"].append({"title": a.get("title", ""), "text": ""})
            self.in_token = True
        if tag == "path" and "roc" in classes:
            self.in_path = a.get("data-score")
            self.roc[self.in_path] = ""
        if tag == "path" and "mdl" in classes:
            self.mdl += 1
        if tag == "h3":
            self.in_h3 = True
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag == "span":
            self.in_token = False
        if tag == "path":
            self.in_path = None
        if tag == "h3":
            self.in_h3 = False

    def handle_data(self, data):
        if self.in_token:
            self.docs[-1]["tokens"][-1]["text"] += data
            self.docs[-1]["text"] += data
        if self.in_path:
            self.roc[self.in_path] += data
        if self.in_h3:
            self.headings[-1] += data


def parse(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, f"{path}: not valid UTF-8: {e}")
        text = raw.decode("utf-8", "replace")
    parser = Report()
    parser.feed(text)
    parser.close()
    return parser, text


def make_inputs(rng):
    """Tokens of 1 to 4 bytes (splitting multi-byte characters); documents 3 and 4 'memorized'."""
    token_bytes, offsets = [], []
    for d, doc in enumerate(DOCUMENTS):
        offsets.append(len(token_bytes))
        left = len(doc)
        while left:
            n = min(left, int(rng.integers(1, 5)))
            token_bytes.append(n)
            left -= n
    T = len(token_bytes)
    targets = rng.integers(0, V, T)
    logits = rng.standard_normal((T, V)) * 1.5
    bounds = offsets + [T]
    for d in (3, 4):
        rows = np.arange(bounds[d], bounds[d + 1])
        logits[rows, targets[rows]] += 12.0  # nearly certain: low bits, memorized spans
    paths = {
        "logits": save("logits.npy", logits.astype(np.float32)),
        "targets": save("targets.npy", targets.astype(np.int64)),
        "doc-offsets": save("offsets.npy", np.array(offsets, dtype=np.int64)),
        "token-bytes": save("bytes.npy", np.array(token_bytes, dtype=np.int32)),
        "text": write("text.bin", b"".join(DOCUMENTS)),
    }
    return paths, logits.astype(np.float32).astype(np.float64), targets, np.array(token_bytes), bounds


def token_values(logits, targets):
    """Surprisal bits, entropy bits and rank (ties by index) of every target."""
    m = logits.max(axis=1, keepdims=True)
    logp = logits - (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))
    rows = np.arange(len(targets))
    entropy = -(np.exp(logp) * logp).sum(axis=1) / math.log(2)
    target = logits[rows, targets]
    ranks = (logits > target[:, None]).sum(axis=1) + np.array(
        [(logits[r, :targets[r]] == target[r]).sum() for r in rows])
    return -logp[rows, targets] / math.log(2), entropy, ranks


def close_title(title, bits, entropy, rank):
    """The title's numbers within rounding (float32 logits: the last digit may differ)."""
    words = title.replace(",", "").split()
    return (words[0::2] == ["bits", "entropy", "rank"] and abs(float(words[1]) - bits) <= 0.006
            and abs(float(words[3]) - entropy) <= 0.006 and int(words[5]) == rank)


def auroc(members, nonmembers):
    """Pairwise count, ties one half; larger is member-like."""
    pairs = sum(1.0 if m > n else 0.5 if m == n else 0.0 for m in members for n in nonmembers)
    return pairs / (len(members) * len(nonmembers))


def main():
    if os.path.isdir(WORK):
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    rng = np.random.default_rng(SEED)
    paths, logits, targets, token_bytes, bounds = make_inputs(rng)
    base = []
    for key, value in paths.items():
        base += [f"--{key}", value]
    spans = ["--span-min-bytes", 8, "--span-generic-ratio", 0.001]
    bits, entropy, ranks = token_values(logits, targets)
    byte_offsets = np.concatenate([[0], np.cumsum(token_bytes)])
    bpb = [bits[bounds[d]:bounds[d + 1]].sum() / len(DOCUMENTS[d]) for d in range(len(DOCUMENTS))]
    order = sorted(range(len(DOCUMENTS)), key=lambda d: (bpb[d], d))  # lower bits/byte first

    # Every document shown (default --show 20 > 7 documents), no labels: no ROC.
    out = path_of("all.html")
    result = run(*base, *spans, "-o", out)
    check(result.returncode == 0, f"report: exit {result.returncode}: {result.stderr}")
    report, text = parse(out)
    check("script" not in report.tags, f"a <script> element in the DOM: {report.tags.count('script')}")
    check("<script" not in text.lower(), "no <script in the file")
    check(not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text), "no control character in the file")
    check(any("<script>alert(1)</script>" in doc["text"] for doc in report.docs), "markup shows as text")
    check("http://" not in text and "https://" not in text, "no http(s) reference")
    check(not report.roc and "<path class=\"roc\"" not in text, "ROC paths without labels")
    check(len(report.docs) == len(DOCUMENTS), f"{len(report.docs)} heat maps, expected {len(DOCUMENTS)}")
    shown = [int(h.split("document ")[1].split()[0]) for h in report.headings]
    check(shown == order, f"heat maps in order {shown}, expected {order} (by bits/byte)")
    for doc, d in zip(report.docs, shown):
        n = bounds[d + 1] - bounds[d]
        check(len(doc["tokens"]) == n, f"document {d}: {len(doc['tokens'])} token elements, expected {n}")
        want = shown_text(DOCUMENTS[d])
        check(doc["text"] == want, f"document {d}: text {doc['text']!r}, expected {want!r}")
        for k, token in enumerate(doc["tokens"]):
            t = bounds[d] + k
            want = f"bits {bits[t]:.2f}, entropy {entropy[t]:.2f}, rank {ranks[t]}"
            if token["title"] != want and not close_title(token["title"], bits[t], entropy[t], ranks[t]):
                check(False, f"document {d} token {k}: title {token['title']!r}, expected {want!r}")
                break
            # A token shows the characters that start in its bytes (valid UTF-8 documents).
            if d != 2:
                raw = DOCUMENTS[d]
                starts = [i for i in range(len(raw)) if (raw[i] & 0xC0) != 0x80] + [len(raw)]
                begin = byte_offsets[t] - byte_offsets[bounds[d]]
                end = byte_offsets[t + 1] - byte_offsets[bounds[d]]
                first = min(i for i in starts if i >= begin)
                last = min(i for i in starts if i >= end)
                piece = raw[first:last].decode() if first < end else ""
                if token["text"] != piece:
                    check(False, f"document {d} token {k}: shows {token['text']!r}, expected {piece!r}")
                    break
    check("class=\"m\"" in text.split("id=\"documents\"")[1], "memorized spans are outlined")
    check("\ufffd" in report.docs[shown.index(2)]["text"], "invalid UTF-8 shows as U+FFFD")

    # --threads measures the documents in parallel: the same file, byte for byte.
    for threads in (2, 3):
        threaded = path_of(f"threads{threads}.html")
        result = run(*base, *spans, "--threads", threads, "-o", threaded)
        check(result.returncode == 0, f"report --threads {threads}: exit {result.returncode}: {result.stderr}")
        with open(out, "rb") as a, open(threaded, "rb") as b:
            check(a.read() == b.read(), f"report --threads {threads} differs from one thread's")

    # -o refuses to replace without -f; -f replaces.
    before = os.path.getmtime(out), open(out, "rb").read()
    result = run(*base, "-o", out)
    check(result.returncode != 0 and "exists" in result.stderr, f"-o over a file: {result.returncode} {result.stderr}")
    check(open(out, "rb").read() == before[1], "-o without -f left the file as it was")
    result = run(*base, "-o", out, "-f", "--show", 1)
    check(result.returncode == 0, f"-f: {result.stderr}")

    # --show 1: the most and the least memorized document only; the rest in the table.
    report, text = parse(out)
    shown = [int(h.split("document ")[1].split()[0]) for h in report.headings]
    check(shown == [order[0], order[-1]], f"--show 1 shows {shown}, expected {[order[0], order[-1]]}")
    tokens = sum(len(doc["tokens"]) for doc in report.docs)
    want = sum(bounds[d + 1] - bounds[d] for d in shown)
    check(tokens == want, f"--show 1: {tokens} token elements, expected {want}")
    check(text.count("<tr><td>") == len(DOCUMENTS), "every document has a row in the table")

    # Labels: one ROC path per score, AUROC as a pairwise count says.
    labels = ["member", "nonmember", "member", "member", "nonmember", "nonmember", "suspect"]
    label_file = write("labels.txt", "\n".join(labels) + "\n")
    out = path_of("labels.html")
    result = run(*base, "--labels", label_file, "-o", out)
    check(result.returncode == 0, f"--labels: {result.stderr}")
    report, text = parse(out)
    records = json.loads(subprocess.run([CLI, "memorization", *map(str, base), "--json"], capture_output=True,
                                        text=True).stdout)["documents"]
    known = ["model_bits_per_byte", "bits_per_byte", "mean_surprisal_bits", "loss_over_zlib_bytes",
             "gain_ratio_over_gzip_9", "gain_ratio_over_xz_9", "gain_ratio_over_zstd_19",
             "gain_ratio_over_brotli_11", "zlib_entropy_over_log_perplexity", "min_k_percent", "min_k_plus_plus"]
    want = sorted(k for k in known if k in records[0])
    check(sorted(report.roc) == want, f"ROC paths for {sorted(report.roc)}, expected {want}")
    m = [-r["model_bits_per_byte"] for r, lab in zip(records, labels) if lab == "member"]
    n = [-r["model_bits_per_byte"] for r, lab in zip(records, labels) if lab == "nonmember"]
    title = report.roc.get("model_bits_per_byte", "")
    total_row = re.search(r"<tr><th>total</th>(.*?)</tr>", text)
    sizes = [int(c) for c in re.findall(r"<td>(\d+)</td>", total_row.group(1))] if total_row else []
    want_sizes = [sum(r[k] for r in records) for k in ("bytes", "zlib_bytes", "gzip_9_bytes", "xz_9_bytes",
                                                       "zstd_19_bytes", "brotli_11_bytes")]
    check(sizes == want_sizes, f"compression table total: {sizes}, expected {want_sizes}")
    check(f"AUROC {auroc(m, n):.4f}" in title, f"AUROC of model_bits_per_byte: {title!r}, expected {auroc(m, n):.4f}")
    check(text.count("class=\"member\"") == 20 * len(report.roc), "member histograms")
    check("http://" not in text and "https://" not in text, "no http(s) reference (labels)")

    # A bad labels file: an error naming it, and no output file, not even a temporary one.
    bad = write("bad_labels.txt", "member\nnot-a-label\n")
    out = path_of("bad.html")
    result = run(*base, "--labels", bad, "-o", out)
    check(result.returncode == 1 and "bad_labels.txt" in result.stderr, f"bad labels: {result.returncode} {result.stderr}")
    leftovers = [f for f in os.listdir(WORK) if f.startswith(".bad.html") or f == "bad.html"]
    check(not leftovers, f"bad labels left {leftovers}")
    short = write("short_labels.txt", "member\n")
    result = run(*base, "--labels", short, "-o", out)
    check(result.returncode == 1 and "1 labels" in result.stderr and not os.path.exists(out),
          f"too few labels: {result.stderr}")

    # The online code of an mdl input: one curve.
    mdl = write("mdl.txt", "unit,bits\nvocabulary_size,40\nfirst_block_items,10\nblock,20,60\nblock,40,80\n")
    out = path_of("mdl.html")
    result = run(*base, "--mdl", mdl, "-o", out)
    check(result.returncode == 0, f"--mdl: {result.stderr}")
    report, text = parse(out)
    check(report.mdl == 1 and "70 items in 3 blocks" in text, "the online code curve")
    check(run(*base, "--mdl", write("mdl_bad.txt", "unit,bits\n"), "-o", path_of("m2.html")).returncode == 1,
          "an mdl input without blocks is an error")

    # Usage errors.
    check(run(*base, "--sort-by", "nonsense", "-o", path_of("x.html")).returncode == 2, "--sort-by nonsense")
    check(run(*base).returncode == 2, "no -o")
    result = run(*base, "--sort-by", "min_k_percent", "-o", path_of("mink.html"))
    check(result.returncode == 0, f"--sort-by min_k_percent: {result.stderr}")
    report, _ = parse(path_of("mink.html"))
    shown = [int(h.split("document ")[1].split()[0]) for h in report.headings]
    mink = sorted(range(len(records)), key=lambda d: (-records[d]["min_k_percent"], d))
    check(shown == mink, f"--sort-by min_k_percent: {shown}, expected {mink} (higher first)")
    finish()


main()
