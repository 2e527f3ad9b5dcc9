"""Per-rank ledgers merged with torch.distributed: two processes (gloo backend, this machine)
each score their shard of a corpus, all_gather_object carries the pickled codelength.Ledger
(its versioned, checksummed bytes) to every rank, and the ledgers are merged in rank order.
The sums inside a Ledger are exact, so the merged totals are bit-identical to one process
scoring everything, wherever the shards are cut; rank 0 checks that and prints the totals.

    python3 examples/python/distributed_ledger.py [--world-size 2]
"""

import argparse
import os
import socket

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import codelength


def corpus(rows=6000, vocabulary=257, seed=20261207):
    """A seeded stand-in for a model's logits and the targets, as every rank would load them."""
    rng = np.random.default_rng(seed)
    logits = torch.from_numpy(rng.normal(0.0, 3.0, size=(rows, vocabulary)).astype(np.float32))
    targets = torch.from_numpy(rng.integers(0, vocabulary, size=rows))
    targets[::13] = -100  # ignore_index rows are counted apart, as in PyTorch
    return logits, targets


def run(rank, world_size, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    logits, targets = corpus()
    # Uneven shards on purpose: rank r scores rows [cuts[r], cuts[r + 1]).
    cuts = [0, *sorted(np.random.default_rng(7).choice(len(targets), world_size - 1, replace=False)), len(targets)]
    mine = slice(int(cuts[rank]), int(cuts[rank + 1]))
    ledger = codelength.score(logits[mine], targets[mine]).ledger

    ledgers = [None] * world_size
    dist.all_gather_object(ledgers, ledger)  # pickles through Ledger.to_bytes / from_bytes
    total = codelength.Ledger()
    for shard in ledgers:  # rank order; any order gives the same bits
        total += shard

    if rank == 0:
        whole = codelength.score(logits, targets).ledger
        assert total == whole, "merged ledger differs from the single pass"
        assert total.total_bits.hex() == whole.total_bits.hex()
        print(f"ranks {world_size}: rows {[int(b - a) for a, b in zip(cuts, cuts[1:])]}")
        print(f"tokens {total.tokens}, ignored {total.ignored_tokens}, total_bits {total.total_bits!r}, "
              f"bits_per_token {total.bits_per_token!r}")
        print(f"bit-identical to one process: total_bits {total.total_bits.hex()} == {whole.total_bits.hex()}")
    dist.barrier()
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world-size", type=int, default=2)
    args = parser.parse_args()
    mp.spawn(run, args=(args.world_size, free_port()), nprocs=args.world_size, join=True)
