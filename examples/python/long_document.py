#!/usr/bin/env python3
"""Scores a long text two ways with the small byte model of lm_compress.py: one pass with the
whole document as context, and codelength.rolling_windows with a short context (as a model
with a maximum context length must), printing bits/byte for each.

    PYTHONPATH=build/python python3 examples/python/long_document.py [--model weights.pt]

--model loads weights saved by `lm_compress.py --save-model`; without it a model is trained
for --train-seconds. Each rolling window starts from a fresh GRU state, so a target is
predicted from at most --context bytes; the windows are scored together as one (B, T, V)
batch whose context-only targets are -100 (ignored), so every byte is scored exactly once.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import byte_model  # noqa: E402

import codelength  # noqa: E402


@torch.no_grad()
def rolling_window_bits(model, data, context, stride):
    """Total bits of data scored with rolling windows of at most `context` bytes."""
    array = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    inputs_of = np.concatenate([[byte_model.BOS], array[:-1]])  # input of target t: byte t - 1
    windows = codelength.rolling_windows(len(array), context, stride)
    width = max(w.end - w.begin for w in windows)
    inputs = np.full((len(windows), width), byte_model.BOS, dtype=np.int64)
    targets = np.full((len(windows), width), -100, dtype=np.int64)  # -100: not scored here
    for i, w in enumerate(windows):
        inputs[i, :w.end - w.begin] = inputs_of[w.begin:w.end]
        scored = slice(w.scored_begin - w.begin, w.end - w.begin)
        targets[i, scored] = array[w.scored_begin:w.end]
    logits, _ = model(torch.from_numpy(inputs))
    result = codelength.score(logits, targets)
    assert result.tokens == len(array) and result.ignored_tokens == targets.size - len(array)
    return result.total_bits, len(windows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="weights saved by lm_compress.py --save-model")
    parser.add_argument("--train-seconds", type=float, default=30.0,
                        help="training budget when no --model is given (default 30)")
    parser.add_argument("--context", type=int, default=32, help="the short context, in bytes (default 32)")
    parser.add_argument("--stride", type=int, default=16, help="bytes between windows (default 16)")
    parser.add_argument("--held-out-fraction", type=float, default=0.1)
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(1)  # see lm_compress.py --threads
    text = byte_model.load_text()
    cut = int(len(text) * (1 - args.held_out_fraction))
    model = byte_model.ByteGru()
    if args.model:
        model.load_state_dict(torch.load(args.model))
        model.eval()
    else:
        steps, _ = byte_model.train(model, text[:cut], args.train_seconds, log=lambda *a: None)
        print(f"trained {steps} steps")
    document = text[cut:]
    full = codelength.score(byte_model.sequence_logits(model, document), np.frombuffer(document, dtype=np.uint8))
    rolling_bits, count = rolling_window_bits(model, document, args.context, args.stride)
    print(f"document: {len(document)} bytes (held out from training)")
    print(f"{'full context (one pass)':<52} {full.total_bits / len(document):.4f} bits/byte")
    print(f"{f'rolling windows: context {args.context}, stride {args.stride} ({count} windows)':<52} "
          f"{rolling_bits / len(document):.4f} bits/byte")
    disjoint_bits, disjoint_count = rolling_window_bits(model, document, args.context, args.context)
    print(f"{f'disjoint windows: context {args.context} ({disjoint_count} windows)':<52} "
          f"{disjoint_bits / len(document):.4f} bits/byte")


if __name__ == "__main__":
    main()
