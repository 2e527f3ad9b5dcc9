#!/usr/bin/env python3
"""Trains the small byte-level GRU of examples/python/byte_model.py and exports it with
TorchScript for `codelength lm-score`, `lm-compress` and `lm-decompress`.

    /usr/bin/python3 examples/torch/train_byte_model.py --output-dir build/example-torch

Writes, in --output-dir:
  byte_gru.pt        the TorchScript module (torch.jit.script): forward(ids (1, T) int64) ->
                     logits (1, T, 256) float32, row t predicting the byte after position t;
                     initial_state() and step(ids (1, 1), state) -> (logits (1, 1, 256), state)
                     for O(1) incremental logits. Input id 0 (NUL) begins the text: the
                     lm-* commands' default BOS for byte models, so no --bos is needed.
  held_out.txt       the final part of the text, never trained on
  summary.json       steps, training seconds, held-out bits/byte of the eager model, checks

Training is seeded and bounded by --max-steps (default 400: the same weights on every run with
the same torch build and CPU kind) and by --train-seconds as a safety cap. torch runs with one
thread: with Debian's reference BLAS, two threads on a shared 2-core machine were slower.
After export the file is loaded back and its forward and step logits are compared with the
eager model's, and step-by-step logits with forward's rows; a mismatch beyond --tolerance
exits with status 1.

--smoke trains 10 steps and holds out 1,000 bytes: a CI check of the whole path in seconds.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Tuple

import numpy as np
import torch
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
import byte_model  # noqa: E402

# The input that begins a text. Not byte_model.BOS (256): codelength's TorchScript adapter needs
# a BOS id inside the output vocabulary [0, 256), and 0 is its default for byte models. NUL
# does not occur in the text, so it is as good a start symbol (embedding row 256 stays unused).
BOS = 0


class ScriptableByteGru(nn.Module):
    """The TorchScript face of byte_model.ByteGru: shares its submodules (no copy of weights)."""

    def __init__(self, model: byte_model.ByteGru):
        super().__init__()
        self.embedding = model.embedding
        self.gru = model.gru
        self.head = model.head
        self.hidden_size: int = model.gru.hidden_size
        # For people and tools that want them (module.attr("bos_id") in C++).
        self.bos_id: int = BOS
        self.vocabulary_size: int = byte_model.VOCABULARY

    def forward(self, ids: Tensor) -> Tensor:
        """Logits (B, T, 256) for ids (B, T); row t predicts the byte after position t."""
        output, _ = self.gru(self.embedding(ids))
        return self.head(output)

    @torch.jit.export
    def initial_state(self) -> Tensor:
        """The GRU state before any input: zeros (layers = 1, batch = 1, hidden)."""
        return torch.zeros(1, 1, self.hidden_size)

    @torch.jit.export
    def step(self, ids: Tensor, state: Tensor) -> Tuple[Tensor, Tensor]:
        """Logits (1, 1, 256) after one more input id (1, 1), and the new state."""
        output, state = self.gru(self.embedding(ids), state)
        return self.head(output), state


def bos_inputs(data: bytes) -> Tensor:
    """Inputs (1, len(data)) of the model: BOS, then every byte but the last."""
    array = torch.from_numpy(np.frombuffer(data, dtype=np.uint8).astype(np.int64))
    return torch.cat([torch.tensor([BOS]), array[:-1]])[None]


@torch.no_grad()
def held_out_bits(model: byte_model.ByteGru, data: bytes) -> float:
    """Ideal code length in bits of data under the eager model (one forward pass, BOS first)."""
    targets = torch.from_numpy(np.frombuffer(data, dtype=np.uint8).astype(np.int64))
    logits, _ = model(bos_inputs(data))
    nats = nn.functional.cross_entropy(logits[0].double(), targets, reduction="sum").item()
    return nats / math.log(2)


@torch.no_grad()
def check_export(model: byte_model.ByteGru, scripted, data: bytes) -> dict:
    """Max abs differences of logits: scripted vs eager (forward, step), step vs forward rows."""
    inputs = bos_inputs(data)
    eager_forward, _ = model(inputs)
    scripted_forward = scripted(inputs)
    if scripted_forward.shape != (1, inputs.shape[1], byte_model.VOCABULARY) or scripted_forward.dtype != torch.float32:
        raise SystemExit(f"scripted forward gave {tuple(scripted_forward.shape)} {scripted_forward.dtype}, "
                         f"expected (1, {inputs.shape[1]}, {byte_model.VOCABULARY}) float32")
    state = scripted.initial_state()
    eager_state = None
    step_rows, eager_step_rows = [], []
    for t in range(inputs.shape[1]):
        ids = inputs[:, t:t + 1]
        logits, state = scripted.step(ids, state)
        step_rows.append(logits[0, 0])
        eager_logits, eager_state = model(ids, eager_state)
        eager_step_rows.append(eager_logits[0, 0])
    steps = torch.stack(step_rows)
    eager_steps = torch.stack(eager_step_rows)
    return {
        "bytes_checked": int(inputs.shape[1]),
        "forward_scripted_vs_eager": (scripted_forward[0] - eager_forward[0]).abs().max().item(),
        "step_scripted_vs_eager": (steps - eager_steps).abs().max().item(),
        "step_vs_forward_rows": (steps - scripted_forward[0]).abs().max().item(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=Path("example-torch"),
                        help="where byte_gru.pt, held_out.txt and summary.json go (default ./example-torch)")
    parser.add_argument("--max-steps", type=int, default=400, help="training steps (default 400)")
    parser.add_argument("--train-seconds", type=float, default=600.0,
                        help="wall-clock cap on training (default 600; the step count normally ends it)")
    parser.add_argument("--held-out-fraction", type=float, default=0.1,
                        help="the final part of the text kept for scoring and compression (default 0.1)")
    parser.add_argument("--held-out-bytes", type=int, default=None,
                        help="keep only the first N bytes of the held-out part (default: all of it)")
    parser.add_argument("--check-bytes", type=int, default=512,
                        help="held-out bytes on which exported and eager logits are compared (default 512)")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="largest allowed max abs logit difference in the checks (default 1e-4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true",
                        help="CI smoke mode: 10 steps, 1,000 held-out bytes, 128 checked bytes")
    args = parser.parse_args()
    if args.smoke:
        args.max_steps = min(args.max_steps, 10)
        args.held_out_bytes = min(args.held_out_bytes or 1000, 1000)
        args.check_bytes = min(args.check_bytes, 128)

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    text = byte_model.load_text()
    cut = int(len(text) * (1 - args.held_out_fraction))
    train_text, held_out = text[:cut], text[cut:]
    if args.held_out_bytes is not None:
        held_out = held_out[:args.held_out_bytes]
    source = "GPL-3" if byte_model.LICENSE.is_file() else "generated"
    print(f"text: {len(text)} bytes ({source}); training on the first {len(train_text)}, "
          f"holding out {len(held_out)}")

    model = byte_model.ByteGru()
    started = time.monotonic()
    steps, loss_bits = byte_model.train(model, train_text, args.train_seconds, args.seed, args.max_steps, bos=BOS)
    train_seconds = time.monotonic() - started
    print(f"trained {steps} steps in {train_seconds:.1f} s (last batch {loss_bits:.3f} bits/byte)")
    if steps < args.max_steps:
        print(f"note: --train-seconds {args.train_seconds:g} stopped training before --max-steps "
              f"{args.max_steps}; the weights depend on the machine's speed")

    started = time.monotonic()
    bits = held_out_bits(model, held_out)
    score_seconds = time.monotonic() - started
    print(f"eager model on the held-out text: {bits:.1f} bits, {bits / len(held_out):.4f} bits/byte "
          f"({len(held_out)} bytes, {score_seconds:.2f} s)")

    args.output_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.output_dir / "byte_gru.pt"
    held_out_path = args.output_dir / "held_out.txt"
    scripted = torch.jit.script(ScriptableByteGru(model))
    scripted.save(str(model_path))
    held_out_path.write_bytes(held_out)

    # Check what C++ will load: the file, not the in-memory scripted module.
    loaded = torch.jit.load(str(model_path))
    loaded.eval()
    checks = check_export(model, loaded, held_out[:args.check_bytes])
    print(f"export checks on {checks['bytes_checked']} bytes (max abs logit difference):")
    worst = 0.0
    for key in ("forward_scripted_vs_eager", "step_scripted_vs_eager", "step_vs_forward_rows"):
        print(f"  {key:<28} {checks[key]:.3g}")
        worst = max(worst, checks[key])

    summary = {
        "model": str(model_path),
        "held_out": str(held_out_path),
        "text_source": source,
        "train_bytes": len(train_text),
        "held_out_bytes": len(held_out),
        "seed": args.seed,
        "steps": steps,
        "train_seconds": train_seconds,
        "last_batch_bits_per_byte": loss_bits,
        "held_out_bits": bits,
        "held_out_bits_per_byte": bits / len(held_out),
        "bos_id": BOS,
        "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "checks": checks,
        "tolerance": args.tolerance,
    }
    (args.output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {model_path}, {held_out_path} and {args.output_dir / 'summary.json'}")
    if not worst <= args.tolerance:  # also catches NaN
        print(f"error: exported logits differ by {worst:.3g} > --tolerance {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
