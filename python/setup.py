"""Builds codelength._core from python/src and the library's headers in ../include.

The package is built from a checkout of the repository (the headers are not copied into it):
    python3 -m venv --system-site-packages venv
    venv/bin/pip install --no-build-isolation ./python
The kernels are compiled for the CPU that builds the package (-march=native), like the
CMake build: the module built for the compiler's baseline target (SSE2 on x86-64) scores
about 4x slower. To build for other machines, name their target: CODELENGTH_ARCH=x86-64-v3
(any -march value; CODELENGTH_ARCH=x86-64 for any x86-64 CPU).
"""

import os
import re
from pathlib import Path

import pybind11
from pybind11.setup_helpers import ParallelCompile
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parent / "include"
if not (INCLUDE / "codelength" / "codelength.hpp").is_file():
    raise SystemExit(f"codelength: the library headers are not at {INCLUDE}; build the package "
                     "from a checkout of the repository (pip install ./python)")


def version() -> str:
    text = (INCLUDE / "codelength" / "version.hpp").read_text()
    parts = [re.search(rf"#define CODELENGTH_VERSION_{p} (\d+)", text).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


class always_build_ext(build_ext):
    """Always compiles: setuptools would otherwise keep a module built before a change to the
    headers in ../include, which it does not track."""

    def finalize_options(self):
        super().finalize_options()
        self.force = True


# The sources of the one extension compile in parallel (CODELENGTH_BUILD_JOBS, default: all cores).
ParallelCompile("CODELENGTH_BUILD_JOBS", default=os.cpu_count() or 1).install()

compile_args = ["-std=c++20", "-O2", "-fvisibility=hidden",
                "-march=" + (os.environ.get("CODELENGTH_ARCH") or "native")]
macros = []
if any(Path(d, "xsimd", "xsimd.hpp").is_file() for d in ("/usr/include", "/usr/local/include")):
    macros.append(("CODELENGTH_USE_XSIMD", "1"))

sources = sorted(str(p.relative_to(HERE)) for p in (HERE / "src").glob("*.cpp"))
setup(
    name="codelength",
    version=version(),
    description="How many bits a model needs to describe data: exact cross-entropy, arithmetic "
                "coding, MDL and memorization measures",
    license="MIT",
    python_requires=">=3.9",
    packages=["codelength"],
    package_data={"codelength": ["py.typed", "*.pyi"]},
    ext_modules=[Extension(
        "codelength._core",
        sources=sources,
        include_dirs=[pybind11.get_include(), str(INCLUDE)],
        define_macros=macros,
        extra_compile_args=compile_args,
        libraries=["z", "lzma", "zstd", "brotlienc"],
        language="c++",
    )],
    cmdclass={"build_ext": always_build_ext},
    zip_safe=False,
)
