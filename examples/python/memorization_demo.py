"""Does a model memorize what it was trained on? A small byte-level PyTorch language model is
trained on some paragraphs of Debian's license texts ("seen") and not on others ("held out");
its teacher-forced logits are dumped to .npy and `codelength memorization` reports, per
document, code lengths and memorization scores. Seen documents should need far fewer bits
than generic compressors do, and than held-out ones. `codelength membership` then says how
well each score tells seen from held-out paragraphs (AUROC, TPR at low FPR, thresholds), and
`codelength report` writes WORKDIR/report.html with heat maps, ROC curves and histograms.

    /usr/bin/python3 examples/python/memorization_demo.py build/release/tools/codelength/codelength [WORKDIR]

Needs Debian's python3-torch and python3-numpy (installed with apt-get if missing; root or
sudo). Trains for a few minutes on two cores; seeded, so the numbers repeat on a machine.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile


def ensure_packages():
    try:
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "install", "-y", "python3-torch", "python3-numpy"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def paragraphs():
    """Paragraphs of 300-900 bytes from the license texts every Debian system has."""
    found = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.islink(path):
            continue
        with open(path, "rb") as f:
            for block in f.read().split(b"\n\n"):
                block = b" ".join(block.split())
                if 300 <= len(block) <= 900:
                    found.append(block)
    return found


def main():
    cli = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="codelength-memorization-")
    os.makedirs(work, exist_ok=True)
    ensure_packages()
    import numpy as np
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(2)
    docs = paragraphs()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(docs))
    seen = [docs[i] for i in order[:24]]
    held_out = [docs[i] for i in order[24:48]]

    class ByteModel(torch.nn.Module):  # a GRU over bytes: predicts byte t+1 from bytes <= t
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(256, 64)
            self.gru = torch.nn.GRU(64, 256, batch_first=True)
            self.out = torch.nn.Linear(256, 256)

        def forward(self, x):
            h, _ = self.gru(self.embed(x))
            return self.out(h)

    model = ByteModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    tensors = [torch.tensor(list(d), dtype=torch.long) for d in seen]
    steps, window = 500, 160
    for step in range(steps):  # train on windows of the seen paragraphs only, until memorized
        starts = [(i, int(rng.integers(0, len(tensors[i]) - window + 1)))
                  for i in rng.choice(len(tensors), 8, replace=False)]
        x = torch.stack([tensors[i][s:s + window] for i, s in starts])
        loss = torch.nn.functional.cross_entropy(model(x[:, :-1]).reshape(-1, 256), x[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:4d}  training loss {loss.item() / np.log(2):.3f} bits/byte", file=sys.stderr)

    # Teacher-forced logits of every document: row t predicts byte t+1 (the first byte is not scored).
    logits, targets, offsets, text = [], [], [], bytearray()
    with torch.no_grad():
        for doc in seen + held_out:
            x = torch.tensor([list(doc)], dtype=torch.long)
            offsets.append(sum(len(t) for t in targets))
            logits.append(model(x[:, :-1])[0].numpy().astype(np.float32))
            targets.append(np.frombuffer(doc[1:], dtype=np.uint8).astype(np.int64))
            text += doc[1:]
    np.save(os.path.join(work, "logits.npy"), np.concatenate(logits))
    np.save(os.path.join(work, "targets.npy"), np.concatenate(targets))
    np.save(os.path.join(work, "doc_offsets.npy"), np.array(offsets, dtype=np.int64))
    np.save(os.path.join(work, "token_bytes.npy"), np.ones(len(text), dtype=np.int64))  # bytes as tokens
    with open(os.path.join(work, "text.bin"), "wb") as f:
        f.write(bytes(text))

    inputs = ["--logits", os.path.join(work, "logits.npy"), "--targets", os.path.join(work, "targets.npy"),
              "--doc-offsets", os.path.join(work, "doc_offsets.npy"), "--text", os.path.join(work, "text.bin"),
              "--token-bytes", os.path.join(work, "token_bytes.npy"), "--prefix", "32"]
    result = subprocess.run([cli, "memorization", *inputs, "--json"], check=True, capture_output=True, text=True)
    report = json.loads(result.stdout)
    records = os.path.join(work, "records.json")
    with open(records, "w") as f:
        f.write(result.stdout)
    summarize(report, len(seen))

    # Verdicts: how well each score separates the seen paragraphs (members) from the held-out
    # ones (non-members), and the HTML report with heat maps, ROC curves and histograms.
    labels = os.path.join(work, "labels.txt")
    with open(labels, "w") as f:
        f.write("member\n" * len(seen) + "nonmember\n" * len(held_out))
    print()
    subprocess.run([cli, "membership", records, "--labels", labels], check=True)
    html = os.path.join(work, "report.html")
    subprocess.run([cli, "report", *inputs, "--labels", labels, "--show", "4", "--force", "-o", html], check=True)
    print(f"\nreport: {html}")


def summarize(report, seen_count):
    """Means over the seen and the held-out documents of the per-document metrics."""
    documents = report["documents"]
    keys = ["model_bits_per_byte", "gain_ratio_over_gzip_9", "gain_ratio_over_xz_9", "min_k_percent",
            "min_k_plus_plus", "zlib_entropy_over_log_perplexity", "loss_over_zlib_bytes", "greedy_extractable",
            "memorized_bytes", "bytes"]
    print(f"{'mean over documents':<34}{'seen (trained on)':>18}{'held out':>12}")
    for key in keys:
        def mean(group):
            values = [float(d[key]) for d in group if d.get(key) is not None]
            return sum(values) / len(values) if values else float("nan")
        print(f"{key:<34}{mean(documents[:seen_count]):>18.3f}{mean(documents[seen_count:]):>12.3f}")


if __name__ == "__main__":
    main()
