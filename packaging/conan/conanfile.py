# Conan 2 recipe for codelength, kept in the repository next to its sources:
#   conan create packaging/conan --build=missing [-o codelength/*:with_baselines=True]
# The headers plus one static library, codelength::dispatch (the SIMD kernels compiled once
# per instruction set with their own flags, chosen at run time), so the package depends on the
# settings. The package is what `cmake --install` writes with the vcpkg port's options
# (tests/packaging checks both agree), minus the CMake and pkg-config files: Conan generates
# those from package_info() (CMakeDeps, PkgConfigDeps), with the same file and target names.
import os

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, rmdir

required_conan_version = ">=2.0"


class CodelengthConan(ConanFile):
    name = "codelength"
    version = "0.1.0"
    description = "How many bits a model needs to describe data: code lengths, coding and MDL"
    license = "MIT"
    topics = ("compression", "entropy-coding", "language-models", "mdl", "simd")
    # Always static (the library is small and its kernels are inlined by nobody else); always
    # position-independent (CMake sets POSITION_INDEPENDENT_CODE), so no shared/fPIC options.
    package_type = "static-library"
    settings = "os", "arch", "compiler", "build_type"
    # The vcpkg port's features, spelled the Conan way (eigen -> with_eigen, ...).
    options = {
        "with_eigen": [True, False],
        "with_xtensor": [True, False],
        "with_baselines": [True, False],
    }
    default_options = {
        "with_eigen": False,
        "with_xtensor": False,
        "with_baselines": False,
    }
    no_copy_source = True

    def export_sources(self):
        # The recipe lives in packaging/conan/; the sources are the repository root.
        root = os.path.join(self.recipe_folder, "..", "..")
        for pattern in ("CMakeLists.txt", "LICENSE", "cmake/*", "include/*", "src/*"):
            copy(self, pattern, src=root, dst=self.export_sources_folder)

    def layout(self):
        cmake_layout(self, src_folder=".")

    def requirements(self):
        # Our headers include every dependency's headers (transitive_headers).
        self.requires("xsimd/13.2.0", transitive_headers=True)
        if self.options.with_eigen:
            self.requires("eigen/3.4.0", transitive_headers=True)
        if self.options.with_xtensor:
            self.requires("xtensor/0.26.0", transitive_headers=True)
        if self.options.with_baselines:
            self.requires("zlib/[>=1.2.11 <2]", transitive_headers=True, transitive_libs=True)
            self.requires("xz_utils/[>=5.4.5 <6]", transitive_headers=True, transitive_libs=True)
            self.requires("zstd/[>=1.5 <1.6]", transitive_headers=True, transitive_libs=True)
            self.requires("brotli/1.1.0", transitive_headers=True, transitive_libs=True)

    # No package_id(): the settings (os, arch, compiler, build_type) and the options both
    # change the package now that it holds a compiled library, which is Conan's default id.

    def validate(self):
        check_min_cppstd(self, 20)

    def generate(self):
        tc = CMakeToolchain(self)
        tc.cache_variables.update(self._cmake_options())
        tc.generate()
        CMakeDeps(self).generate()

    def _cmake_options(self):
        # The same -D options as packaging/vcpkg/codelength/portfile.cmake.
        return {
            "CODELENGTH_BUILD_TESTS": False,
            "CODELENGTH_BUILD_EXAMPLES": False,
            "CODELENGTH_BUILD_TOOLS": False,
            "CODELENGTH_BUILD_BENCHMARKS": False,
            "CODELENGTH_INSTALL": True,
            "CODELENGTH_WITH_XSIMD": True,
            "CODELENGTH_WITH_DISPATCH": True,
            "CODELENGTH_NATIVE_ARCH": False,
            "CODELENGTH_WITH_BASELINES": bool(self.options.with_baselines),
        }

    def build(self):
        # Compiles codelength::dispatch (no -march: each kernel unit has its own flags).
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        cmake = CMake(self)
        cmake.install()
        # Conan writes its own CMake config and .pc files from package_info().
        rmdir(self, os.path.join(self.package_folder, "share"))
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "codelength")
        # The aggregate of all components; codelength::codelength is the core component below.
        self.cpp_info.set_property("cmake_target_name", "codelength::codelength_all")
        self.cpp_info.set_property("pkg_config_name", "codelength_all")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []

        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "codelength::codelength")
        core.set_property("pkg_config_name", "codelength")
        core.bindirs = []
        core.libdirs = []
        core.defines = ["CODELENGTH_USE_XSIMD=1"]
        core.requires = ["xsimd::xsimd"]
        if self.options.with_eigen:
            core.requires.append("eigen::eigen")
        if self.options.with_xtensor:
            core.requires.append("xtensor::xtensor")

        # codelength::dispatch: the kernels chosen at run time; what most users link.
        dispatch = self.cpp_info.components["dispatch"]
        dispatch.set_property("cmake_target_name", "codelength::dispatch")
        dispatch.set_property("pkg_config_name", "codelength-dispatch")
        dispatch.bindirs = []
        dispatch.libdirs = ["lib"]
        dispatch.libs = ["codelength_dispatch"]
        dispatch.defines = ["CODELENGTH_DISPATCH=1"]
        dispatch.requires = ["core"]

        if self.options.with_baselines:
            baselines = self.cpp_info.components["baselines"]
            baselines.set_property("cmake_target_name", "codelength::baselines")
            baselines.set_property("pkg_config_name", "codelength_baselines")
            baselines.bindirs = []
            baselines.libdirs = []
            baselines.requires = [
                "core",
                "zlib::zlib",
                "xz_utils::xz_utils",
                "zstd::zstdlib",
                "brotli::brotlienc",
            ]
