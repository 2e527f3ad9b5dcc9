"""codelength: how many bits a model needs to describe data.

Exact cross-entropy of logits held by NumPy or PyTorch (read in place), real arithmetic coding
driven by precomputed logits or by a model in the loop, a compressor, MDL and memorization
measures. Every number carries its unit in its name (total_bits, bits_per_byte, ...).

    import codelength, torch
    logits = torch.randn(2048, 32000)
    targets = torch.randint(0, 32000, (2048,))
    result = codelength.score(logits, targets)
    print(result.total_bits, result.bits_per_token)
"""

from . import _core
from ._core import *  # noqa: F401,F403  (the bindings; see _core.pyi)
from ._core import __version__

__all__ = [name for name in dir(_core) if not name.startswith("_")] + ["__version__"]
