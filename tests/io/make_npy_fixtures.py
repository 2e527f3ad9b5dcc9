#!/usr/bin/python3
"""Fixtures for the .npy reader tests, written by numpy; and a check that numpy reads the
files the C++ writer made.

    make_npy_fixtures.py generate OUT_DIR   # writes OUT_DIR/*.npy
    make_npy_fixtures.py verify DIR         # numpy.load()s DIR/written_*.npy (from npy_write_samples)

Run it with Debian's /usr/bin/python3 (python3-numpy). The expected values are simple formulas
the C++ tests recompute (tests/io/npy_test_support.hpp), so no expected data is stored.
"""

import os
import sys

try:
    import numpy as np
    from numpy.lib import format as npy_format
except ImportError:
    sys.exit("make_npy_fixtures.py: numpy is required (apt-get install python3-numpy; run with /usr/bin/python3)")

GRID_CODES = ["b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8"]
GRID_SHAPE = (3, 4)


def grid_values(code):
    """The (3, 4) grid: with k = 4 * row + column (row-major index), the value is
    bool: k % 3 == 0; signed: k - 5; unsigned: 7 * k; float: (k - 5) / 2."""
    k = np.arange(12).reshape(GRID_SHAPE)
    kind = code[0]
    if kind == "b":
        values = k % 3 == 0
    elif kind == "i":
        values = k - 5
    elif kind == "u":
        values = 7 * k
    else:
        values = (k - 5) / 2
    return values.astype(np.dtype(code))


def save(path, array, version=(1, 0)):
    with open(path, "wb") as stream:
        npy_format.write_array(stream, array, version=version, allow_pickle=False)


def header_length(path):
    with open(path, "rb") as stream:
        major = stream.read(8)[6]
        size = 2 if major == 1 else 4
        return int.from_bytes(stream.read(size), "little")


def craft(path, descr, shape, data, version, header_bytes):
    """Writes a .npy file by hand whose header text is padded to exactly header_bytes."""
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (descr, shape)
    text = text + " " * (header_bytes - len(text) - 1) + "\n"
    size = 2 if version[0] == 1 else 4
    with open(path, "wb") as stream:
        stream.write(b"\x93NUMPY" + bytes(version) + len(text).to_bytes(size, "little"))
        stream.write(text.encode("latin1"))
        stream.write(data.tobytes())


def generate(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    # Every dtype x order x byte order x format version, named grid_<code>_<C|F>_<le|be>_v<N>.npy.
    for code in GRID_CODES:
        for order in ("C", "F"):
            for endian, mark in (("le", "<"), ("be", ">")):
                base = grid_values(code)
                array = base.astype(base.dtype.newbyteorder(mark)) if base.dtype.itemsize > 1 else base
                array = np.asfortranarray(array) if order == "F" else np.ascontiguousarray(array)
                for major in (1, 2, 3):
                    name = "grid_%s_%s_%s_v%d.npy" % (code, order, endian, major)
                    save(os.path.join(out_dir, name), array, version=(major, 0))

    save(os.path.join(out_dir, "scalar_f8.npy"), np.array(3.5, dtype="<f8"))
    save(os.path.join(out_dir, "vector_i4.npy"), np.arange(5, dtype="<i4") - 2)
    save(os.path.join(out_dir, "empty_f4.npy"), np.zeros((0, 3), dtype="<f4"))
    save(os.path.join(out_dir, "cube_f4_C.npy"), np.arange(24, dtype="<f4").reshape(2, 3, 4))
    save(os.path.join(out_dir, "cube_f4_F.npy"), np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)))
    # Four dimensions in Fortran order, big-endian: element (i, j, k, l) is 60i + 20j + 5k + l.
    save(os.path.join(out_dir, "hyper_i8_F_be.npy"), np.asfortranarray(np.arange(120, dtype=">i8").reshape(2, 3, 4, 5)))
    # (B, T) = (2, 3) targets in Fortran order: element (b, t) is 10b + t.
    save(os.path.join(out_dir, "targets_i4_F.npy"), np.asfortranarray(np.array([[0, 1, 2], [10, 11, 12]], dtype="<i4")))

    # 22 dimensions: a header longer than 127 bytes (xt::load_npy mis-reads those).
    many_dims = os.path.join(out_dir, "many_dims_f4.npy")
    save(many_dims, np.arange(6, dtype="<f4").reshape((1,) * 20 + (2, 3)))
    assert header_length(many_dims) > 127

    # A version 2.0 header longer than 65535 bytes (only a uint32 length can say so).
    huge = os.path.join(out_dir, "huge_header_v2.npy")
    craft(huge, "<f8", (4,), np.array([1.5, -2.0, 0.25, 8.0], dtype="<f8"), (2, 0), 70000 - 12)
    assert header_length(huge) > 65535
    assert np.load(huge, max_header_size=1 << 20).tolist() == [1.5, -2.0, 0.25, 8.0]

    # 2 MiB: above the 1 MiB threshold at which the reader memory-maps. Value: (k % 4096) / 4.
    large = (np.arange(512 * 1024) % 4096).astype("<f4") / 4
    save(os.path.join(out_dir, "large_f4.npy"), large.reshape(512, 1024))

    # bfloat16 words as numpy has no bfloat16: the high halves of exactly representable floats.
    floats = np.array([1.0, -2.5, 0.15625, 65536.0, -np.inf], dtype="<f4")
    save(os.path.join(out_dir, "bf16_words_u2.npy"), (floats.view("<u4") >> 16).astype("<u2"))
    # The same words as torch gives them: `np.save(path, t.view(torch.int16).numpy())` is '<i2'.
    save(os.path.join(out_dir, "bf16_words_i2.npy"), (floats.view("<u4") >> 16).astype("<u2").view("<i2"))

    # IEEE half specials, big-endian: 1, -0, max normal, inf, smallest subnormal (2^-24).
    save(os.path.join(out_dir, "f2_specials_be.npy"),
         np.array([1.0, -0.0, 65504.0, np.inf, 2.0 ** -24], dtype=">f2"))

    save(os.path.join(out_dir, "targets_i2.npy"), np.array([-3, 0, 32767], dtype="<i2"))
    save(os.path.join(out_dir, "targets_u8_too_big.npy"), np.array([1, 2 ** 63], dtype="<u8"))
    print("make_npy_fixtures.py: wrote fixtures to", out_dir)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def verify(directory):
    """Checks the files tests/io/npy_write_samples.cpp wrote."""
    k = np.arange(12).reshape(GRID_SHAPE)
    bf16 = (np.array([1.0, -2.5, 0.15625], dtype="<f4").view("<u4") >> 16).astype("<u2")
    expected = {
        "written_f4.npy": (((k - 5) / 2).astype("<f4"), False),
        "written_f8_F.npy": (((k - 5) / 2).astype("<f8"), True),
        "written_i8.npy": (np.array([-(2 ** 40), -1, 0, 1, 2 ** 62], dtype="<i8"), False),
        "written_i4.npy": (np.array([[-7, 0], [7, 2 ** 31 - 1]], dtype="<i4"), False),
        "written_i2.npy": (np.array([-32768, 0, 32767], dtype="<i2"), False),
        "written_u2_bf16.npy": (bf16, False),
        "written_f2.npy": (np.array([0.5, -2.0, 65504.0], dtype="<f2"), False),
        "written_u1.npy": (np.array([0, 1, 255], dtype="|u1"), False),
        "written_b1.npy": (np.array([True, False, True], dtype="|b1"), False),
        "written_scalar_f8.npy": (np.array(3.25, dtype="<f8"), False),
        "written_empty_f4.npy": (np.zeros((0, 5), dtype="<f4"), False),
    }
    for name, (want, fortran) in expected.items():
        path = os.path.join(directory, name)
        got = np.load(path)
        expect(got.dtype.str == want.dtype.str, "%s: dtype %s, expected %s" % (name, got.dtype.str, want.dtype.str))
        expect(got.shape == want.shape, "%s: shape %s, expected %s" % (name, got.shape, want.shape))
        expect(np.array_equal(got, want), "%s: values %s, expected %s" % (name, got, want))
        with open(path, "rb") as stream:
            major, minor = npy_format.read_magic(stream)
            expect((major, minor) == (1, 0), "%s: version %d.%d, expected 1.0" % (name, major, minor))
            _, fortran_order, _ = npy_format.read_array_header_1_0(stream)
            expect(fortran_order == fortran, "%s: fortran_order %s, expected %s" % (name, fortran_order, fortran))
        expect((10 + header_length(path)) % 64 == 0, "%s: data offset is not a multiple of 64" % name)
    leftovers = [name for name in os.listdir(directory) if ".tmp-" in name]
    expect(not leftovers, "temporary files left behind: %s" % leftovers)
    print("make_npy_fixtures.py: numpy read %d files written by codelength::write_npy" % len(expected))


def main(argv):
    if len(argv) != 3 or argv[1] not in ("generate", "verify"):
        sys.exit(__doc__)
    if argv[1] == "generate":
        generate(argv[2])
    else:
        verify(argv[2])


if __name__ == "__main__":
    main(sys.argv)
