"""Stub of conan.tools.cmake: the toolchain's cache variables are kept, and CMake runs the real
cmake with them (configure and install), as Conan's CMake helper does through its presets."""
import json
import os
import subprocess

# The cmake of the build that runs the test (tests/packaging sets it), else the one on PATH.
_CMAKE = os.environ.get("CODELENGTH_CMAKE_COMMAND", "cmake")


def _cmake_value(value):
    # Conan writes Python booleans as ON/OFF into the presets' cacheVariables.
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    return str(value)


class CMakeToolchain:
    def __init__(self, conanfile):
        self._conanfile = conanfile
        self.cache_variables = {}
        self.variables = {}

    def generate(self):
        self._conanfile.calls.append(("CMakeToolchain.generate",))
        os.makedirs(self._conanfile.generators_folder, exist_ok=True)
        values = {k: _cmake_value(v) for k, v in {**self.variables, **self.cache_variables}.items()}
        with open(os.path.join(self._conanfile.generators_folder, "cache_variables.json"), "w") as f:
            json.dump(values, f, indent=1, sort_keys=True)


class CMakeDeps:
    def __init__(self, conanfile):
        self._conanfile = conanfile

    def generate(self):
        # The dependencies' config files are written by run_conan_recipe.py (see there).
        self._conanfile.calls.append(("CMakeDeps.generate",))


class CMake:
    def __init__(self, conanfile):
        self._conanfile = conanfile

    def _run(self, command):
        print("[conan stub] " + " ".join(command), flush=True)
        subprocess.run(command, check=True)

    def configure(self, variables=None):
        conanfile = self._conanfile
        conanfile.calls.append(("CMake.configure",))
        with open(os.path.join(conanfile.generators_folder, "cache_variables.json")) as f:
            values = json.load(f)
        values.update({k: _cmake_value(v) for k, v in (variables or {}).items()})
        command = [_CMAKE, "-S", conanfile.source_folder, "-B", conanfile.build_folder,
                   "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_PREFIX_PATH={conanfile.generators_folder}"]
        command += [f"-D{k}={v}" for k, v in sorted(values.items())]
        command += getattr(conanfile, "stub_extra_cmake_args", [])
        self._run(command)

    def build(self, target=None):
        self._conanfile.calls.append(("CMake.build",))
        command = [_CMAKE, "--build", self._conanfile.build_folder]
        if target:
            command += ["--target", target]
        self._run(command)

    def install(self):
        self._conanfile.calls.append(("CMake.install",))
        self._run([_CMAKE, "--install", self._conanfile.build_folder, "--prefix", self._conanfile.package_folder])


def cmake_layout(conanfile, src_folder=".", build_folder="build"):
    conanfile.calls.append(("cmake_layout", src_folder))
