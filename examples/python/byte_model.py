"""A small byte-level language model (a GRU) for the examples: training on a text, an
incremental next-byte model for codelength.encode_with_model, and whole-sequence logits for
codelength.score.

Everything is seeded; the number of training steps is bounded by time (and optionally by a
count), so runs of the same length on the same machine train the same model.
"""

import hashlib
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

BOS = 256          # the beginning-of-text input symbol
VOCABULARY = 256   # one token per byte value
LICENSE = Path("/usr/share/common-licenses/GPL-3")


def load_text(min_bytes=20000, seed=0):
    """The GPL-3 text Debian ships, or (elsewhere) a seeded pseudo-English text of min_bytes."""
    if LICENSE.is_file():
        return LICENSE.read_bytes()
    rng = np.random.default_rng(seed)
    words = ("the of and to a in that is for it as with be on not this by are or program "
             "license software free source code work copy you may under terms any each").split()
    out = []
    while sum(len(w) + 1 for w in out) < min_bytes:
        sentence = rng.choice(words, size=int(rng.integers(4, 14)))
        out.extend(list(sentence[:-1]) + [sentence[-1] + ".\n" if rng.random() < 0.2 else sentence[-1] + "."])
    return " ".join(out).encode()


class ByteGru(nn.Module):
    """Embedding -> one GRU layer -> linear head over the 256 byte values."""

    def __init__(self, hidden=192, embedding=32):
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY + 1, embedding)
        self.gru = nn.GRU(embedding, hidden, batch_first=True)
        self.head = nn.Linear(hidden, VOCABULARY)

    def forward(self, inputs, state=None):
        """Logits (B, T, 256) for inputs (B, T) of byte values or BOS."""
        output, state = self.gru(self.embedding(inputs), state)
        return self.head(output), state


def train(model, data, seconds, seed=0, max_steps=None, sequence=64, batch=32, log=print, bos=BOS):
    """Trains on random windows of data (bytes) for `seconds` of wall-clock time (or max_steps).

    Each window starts from input `bos` (BOS by default; examples/torch uses 0, the id the
    codelength lm-* commands start a byte text from)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    array = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    started = time.monotonic()
    step = 0
    loss_bits = float("nan")
    while time.monotonic() - started < seconds and (max_steps is None or step < max_steps):
        starts = rng.integers(0, len(array) - sequence, size=batch)
        targets = torch.from_numpy(np.stack([array[s:s + sequence] for s in starts]))
        inputs = torch.cat([torch.full((batch, 1), bos), targets[:, :-1]], dim=1)
        logits, _ = model(inputs)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCABULARY), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        loss_bits = loss.item() / np.log(2)
        if step % 50 == 0:
            log(f"  step {step:5d}  {time.monotonic() - started:6.1f} s  train loss {loss_bits:.3f} bits/byte")
    model.eval()
    return step, loss_bits


def fingerprint(model):
    """A 64-bit hash of the weights (never 0): streams name the model they were coded with."""
    digest = hashlib.blake2b(digest_size=8)
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    return int.from_bytes(digest.digest(), "little") or 1


class NextByteModel:
    """The model of codelength.encode_with_model: one GRU step per byte, logits as a torch tensor.

    next_logits() runs the step for the last byte (BOS first) and returns its 256 float32
    logits (read in place by codelength); update(byte) keeps that state. The same calls give
    the same logits only with the same weights, torch build, thread count and CPU kind.
    """

    vocabulary_size = VOCABULARY

    def __init__(self, model):
        self.model = model
        self.cell = nn.GRUCell(model.gru.input_size, model.gru.hidden_size)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(self.cell, name).copy_(getattr(model.gru, name + "_l0"))
        self.fingerprint = fingerprint(model)
        self.state = torch.zeros(1, model.gru.hidden_size)
        self.last = BOS
        self.pending = None

    @torch.no_grad()
    def next_logits(self):
        self.pending = self.cell(self.model.embedding(torch.tensor([self.last])), self.state)
        return self.model.head(self.pending)[0]

    def update(self, token):
        self.state = self.pending
        self.last = int(token)


@torch.no_grad()
def sequence_logits(model, data):
    """Logits (len(data), 256) of every byte given all the bytes before it (one pass)."""
    array = torch.from_numpy(np.frombuffer(data, dtype=np.uint8).astype(np.int64))
    inputs = torch.cat([torch.tensor([BOS]), array[:-1]])[None]
    logits, _ = model(inputs)
    return logits[0]
