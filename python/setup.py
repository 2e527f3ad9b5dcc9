"""Builds codelength._core from python/src and the library's headers in ../include.

The package is built from a checkout of the repository (the headers are not copied into it):
    python3 -m venv --system-site-packages venv
    venv/bin/pip install --no-build-isolation ./python
The module uses codelength::dispatch, like the CMake build: src/numerics/dispatch.cpp and one
kernel unit per instruction set (src/numerics/kernels_<isa>.cpp, each with its own -m flags and
-O3, as src/CMakeLists.txt compiles them) become static libraries (build_clib), and the bindings
are compiled with CODELENGTH_DISPATCH=1, so the wheel runs the widest kernels of any CPU
(codelength.kernels() says which) without -march=native. CODELENGTH_ARCH=<-march value>
still compiles the bindings themselves for a fixed target; the kernels never need it.
"""

import os
import platform
import re
from pathlib import Path

import pybind11
from pybind11.setup_helpers import ParallelCompile
from setuptools import Extension, setup
from setuptools.command.build_clib import build_clib
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
INCLUDE = HERE.parent / "include"
KERNEL_SOURCES = HERE.parent / "src" / "numerics"
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


class build_clib_in_temp(build_clib):
    """Creates build_temp first: the kernel units' sources are ../src/..., so their objects are
    build_temp/../src/..., which the compiler can only write when build_temp exists."""

    def run(self):
        self.mkpath(self.build_temp)
        super().run()


# The sources of the one extension compile in parallel (CODELENGTH_BUILD_JOBS, default: all cores).
ParallelCompile("CODELENGTH_BUILD_JOBS", default=os.cpu_count() or 1).install()

compile_args = ["-std=c++20", "-O2", "-fvisibility=hidden"]
if os.environ.get("CODELENGTH_ARCH"):
    compile_args.append("-march=" + os.environ["CODELENGTH_ARCH"])
if not any(Path(d, "xsimd", "xsimd.hpp").is_file() for d in ("/usr/include", "/usr/local/include")):
    raise SystemExit("codelength: xsimd is missing (Debian: apt-get install libxsimd-dev; scripts/install_deps.sh "
                     "installs it); the run-time dispatched kernels are written with it")
macros = [("CODELENGTH_USE_XSIMD", "1"), ("CODELENGTH_DISPATCH", "1")]

# The kernel paths of this processor family and the flags of their units: the same table as
# src/CMakeLists.txt (python/tests/test_kernels.py checks that they agree).
KERNEL_FLAGS = {
    "x86_64": {"sse2": [], "avx2": ["-march=x86-64-v3"], "avx512": ["-march=x86-64-v4"]},
    "aarch64": {"neon": []},
}
machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
kernel_paths = {"scalar": [], **KERNEL_FLAGS.get(machine, {})}
headers = sorted(str(p) for p in INCLUDE.rglob("*.hpp")) + sorted(str(p) for p in KERNEL_SOURCES.glob("*.hpp"))


def relative(path: Path) -> str:
    # setuptools wants source paths relative to setup.py's directory.
    return os.path.relpath(path, HERE)


# One static library per kernel unit (build_clib compiles a library's sources with one set of
# flags), then the dispatcher, which names the paths it may choose. -O3 (-O2 for the
# dispatcher) comes after the interpreter's own CFLAGS, so it wins, as in src/CMakeLists.txt;
# the objects are position-independent (CCSHARED).
kernel_macros = [("CODELENGTH_USE_XSIMD", "1"), ("CODELENGTH_KERNEL_UNIT", "1")]
libraries = [("codelength_dispatch", {
    "sources": [relative(KERNEL_SOURCES / "dispatch.cpp")],
    "include_dirs": [str(INCLUDE)],
    "macros": [("CODELENGTH_USE_XSIMD", "1")] + [(f"CODELENGTH_KERNELS_{p.upper()}", "1")
                                                  for p in kernel_paths if p != "scalar"],
    "cflags": ["-std=c++20", "-O2", "-fvisibility=hidden"],
    "obj_deps": {"": headers},
})]
for path, flags in kernel_paths.items():
    libraries.append((f"codelength_kernels_{path}", {
        "sources": [relative(KERNEL_SOURCES / f"kernels_{path}.cpp")],
        "include_dirs": [str(INCLUDE)],
        "macros": kernel_macros,
        "cflags": ["-std=c++20", "-O3", "-fvisibility=hidden", *flags],
        "obj_deps": {"": headers},
    }))

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
    # Linked after the extension's own libraries, in this order (the dispatcher first: it
    # refers to the kernel tables).
    libraries=libraries,
    ext_modules=[Extension(
        "codelength._core",
        sources=sources,
        include_dirs=[pybind11.get_include(), str(INCLUDE)],
        define_macros=macros,
        extra_compile_args=compile_args,
        libraries=["z", "lzma", "zstd", "brotlienc"],
        language="c++",
    )],
    cmdclass={"build_clib": build_clib_in_temp, "build_ext": always_build_ext},
    zip_safe=False,
)
