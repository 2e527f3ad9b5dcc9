#!/usr/bin/env python3
"""Compresses text with a small byte-level language model in the coding loop, and back.

Trains a GRU on most of the GPL-3 text Debian ships (seeded, --threads threads, --train-seconds of
training), compresses the held-out rest with codelength.encode_with_model to a file,
decompresses the file with codelength.decode_with_model and checks it byte for byte, and
prints bits/byte next to xz -9 and zstd -19 on the same bytes, with the coding ledger.

    PYTHONPATH=build/python python3 examples/python/lm_compress.py [--train-seconds 100]

The stream decodes only with the same model computing the same logits: the same weights
(the stream's fingerprint checks them), torch build, thread count and kind of CPU.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import byte_model  # noqa: E402

import codelength  # noqa: E402


def baseline_bits_per_byte(command, data):
    """bits/byte of an external compressor on data, or None when it is not installed."""
    if shutil.which(command[0]) is None:
        return None
    result = subprocess.run(command, input=data, capture_output=True, check=True)
    return 8 * len(result.stdout) / len(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-seconds", type=float, default=100.0,
                        help="wall-clock training budget (default 100)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop training after this many steps")
    parser.add_argument("--held-out-fraction", type=float, default=0.1,
                        help="the final part of the text that is compressed, not trained on (default 0.1)")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the compressed stream (default: a temporary file)")
    parser.add_argument("--save-model", type=Path, default=None, help="save the trained weights here")
    parser.add_argument("--seed", type=int, default=0)
    # One thread by default: Debian's torch multiplies with the reference BLAS (one thread
    # anyway), and with 2 OpenMP threads on a 2-core machine that also runs other work, training
    # made 44 steps in 100 s against 218 with one thread.
    parser.add_argument("--threads", type=int, default=1, help="torch threads while training (default 1)")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    text = byte_model.load_text()
    cut = int(len(text) * (1 - args.held_out_fraction))
    train_text, held_out = text[:cut], text[cut:]
    print(f"text: {len(text)} bytes ({'GPL-3' if byte_model.LICENSE.is_file() else 'generated'}); "
          f"training on {len(train_text)}, compressing the last {len(held_out)}")

    model = byte_model.ByteGru()
    started = time.monotonic()
    steps, loss_bits = byte_model.train(model, train_text, args.train_seconds, args.seed, args.max_steps)
    print(f"trained {steps} steps in {time.monotonic() - started:.1f} s (last batch {loss_bits:.3f} bits/byte)")
    if args.save_model:
        torch.save(model.state_dict(), args.save_model)

    # One thread while coding: a 1 x 192 step gains nothing from more, and the decoder must use
    # the same count as the encoder.
    torch.set_num_threads(1)
    tokens = list(held_out)
    with tempfile.TemporaryDirectory() as temporary:
        path = args.output or Path(temporary) / "held_out.cl"
        started = time.monotonic()
        encoded = codelength.encode_with_model(byte_model.NextByteModel(model), tokens)
        encode_seconds = time.monotonic() - started
        path.write_bytes(encoded.data)

        started = time.monotonic()
        decoded = codelength.decode_with_model(byte_model.NextByteModel(model), path.read_bytes())
        decode_seconds = time.monotonic() - started
    restored = bytes(decoded.astype("uint8"))
    assert restored == held_out, "the decompressed text differs from the original"
    print(f"compressed {len(held_out)} bytes to {encoded.total_bytes} bytes and back, byte for byte "
          f"(encode {encode_seconds:.2f} s, decode {decode_seconds:.2f} s)")

    print()
    print(f"{'compressor':<28} {'bytes':>8} {'bits/byte':>10}")
    print(f"{'codelength + GRU (file)':<28} {encoded.total_bytes:>8} {8 * encoded.total_bytes / len(held_out):>10.3f}")
    print(f"{'  model ideal (-log2 p)':<28} {encoded.ideal_bits / 8:>8.0f} {encoded.ideal_bits / len(held_out):>10.3f}")
    for name, command in (("xz -9", ["xz", "-9", "-c"]), ("zstd -19", ["zstd", "-19", "-c", "-q"])):
        rate = baseline_bits_per_byte(command, held_out)
        if rate is None:
            print(f"{name:<28} {'(not installed)':>19}")
        else:
            print(f"{name:<28} {rate * len(held_out) / 8:>8.0f} {rate:>10.3f}")
    print()
    print("ledger (codelength encode --json fields):")
    for key, value in encoded.to_dict().items():
        print(f"  {key:<26} {value}")


if __name__ == "__main__":
    main()
