"""Adapts a plain callable to the model protocol of encode_with_model / decode_with_model.

A callable model takes the prefix (a read-only int64 NumPy array of the tokens so far, empty
for the first token) and returns the logits of the next token. PrefixModel turns it into an
object with next_logits(), update(token) and vocabulary_size (the length of the first row).
"""

import numpy as np


class PrefixModel:
    """A callable f(prefix) -> logits seen as a model with next_logits() and update(token)."""

    def __init__(self, function):
        self._function = function
        self._tokens = np.empty(64, dtype=np.int64)
        self._length = 0
        self.vocabulary_size = None  # known after the first row
        fingerprint = getattr(function, "fingerprint", None)
        if fingerprint is not None:
            self.fingerprint = fingerprint

    def prefix(self):
        """The tokens so far, as a read-only int64 array (a view; later updates never change it)."""
        view = self._tokens[:self._length]
        view.flags.writeable = False
        return view

    def next_logits(self):
        """The callable's logits for the next token, given the prefix."""
        row = self._function(self.prefix())
        if self.vocabulary_size is None:
            self.vocabulary_size = int(np.shape(row)[-1]) if np.ndim(row) >= 1 else 0
        return row

    def update(self, token):
        """Appends token to the prefix (the buffer doubles when full; old views keep their values)."""
        if self._length == len(self._tokens):
            grown = np.empty(2 * len(self._tokens), dtype=np.int64)
            grown[:self._length] = self._tokens
            self._tokens = grown
        self._tokens[self._length] = token
        self._length += 1
