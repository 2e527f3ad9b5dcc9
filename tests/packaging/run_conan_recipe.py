#!/usr/bin/env python3
"""Drives packaging/conan/conanfile.py through the steps of `conan create`, under the stub
`conan` module in conan_stub/ (the Conan client cannot be installed here), and checks it.

  run_conan_recipe.py --recipe conanfile.py --vcpkg-json vcpkg.json --portfile-options FILE
                      --work DIR [--generator G] [--cxx-compiler C]

1. The recipe's metadata: name, version, static-library, the four settings, no_copy_source,
   options named after the vcpkg features (with_<feature>, none on by default),
   check_min_cppstd(20) in validate(), a package id that keeps the settings.
2. For every option combination: requirements() and package_info() (CMake file/target names,
   components -- core headers-only, dispatch the static library -- defines, component requires
   that name a declared requirement), and the CMake options the recipe passes, which must equal
   the vcpkg portfile's for the same features.
3. With the default options, the real thing: export_sources, generate, build (cmake configure
   and build), package (cmake --install) into DIR/package, whose content is checked; then DIR/generators
   gets what CMakeDeps would write for the consumer (codelength-config.cmake made from
   package_info(), and the xsimd config pointing at this machine's xsimd), for ctest to build
   test_package against.
"""
import argparse
import importlib.util
import itertools
import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (the stub, the recipe)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "conan_stub"))

from conan import _Values  # noqa: E402  (the stub)
from conan.errors import ConanInvalidConfiguration  # noqa: E402

# vcpkg feature -> (Conan option, vcpkg ports it brings, Conan references it brings)
FEATURES = {
    "eigen": ("with_eigen", ["eigen3"], ["eigen"]),
    "xtensor": ("with_xtensor", ["xtensor"], ["xtensor"]),
    "baselines": ("with_baselines", ["brotli", "liblzma", "zlib", "zstd"], ["brotli", "xz_utils", "zlib", "zstd"]),
}
ALWAYS = (["xsimd"], ["xsimd"])  # (vcpkg ports, Conan references) without any feature

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}")
    return condition


def load_recipe(path):
    spec = importlib.util.spec_from_file_location("codelength_conanfile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__]
    assert len(classes) == 1, "conanfile.py should define exactly one ConanFile class"
    return module, classes[0]


def instantiate(cls, recipe_path, options, cppstd="20"):
    conanfile = cls()
    conanfile.recipe_folder = os.path.dirname(os.path.abspath(recipe_path))
    conanfile.options = _Values(**options)
    conanfile.settings = _Values(
        os="Linux", arch="x86_64", build_type="Release",
        compiler=_Values(cppstd=cppstd, version="12", libcxx="libstdc++11"))
    conanfile.info = None
    return conanfile


def package_name(reference):
    return reference.split("/")[0]


def check_metadata(module, cls, recipe_path, vcpkg):
    check(cls.name == vcpkg["name"] == "codelength", f"names: conan {cls.name!r}, vcpkg {vcpkg['name']!r}")
    check(cls.version == vcpkg["version"], f"versions: conan {cls.version}, vcpkg.json {vcpkg['version']}")
    check(cls.package_type == "static-library", f"package_type is {cls.package_type!r} (codelength::dispatch is a static library)")
    check(tuple(cls.settings) == ("os", "arch", "compiler", "build_type"), f"settings {cls.settings}")
    check(cls.no_copy_source is True, "no_copy_source should be True")
    check(getattr(module, "required_conan_version", "").startswith(">=2"), "required_conan_version >=2")
    check(cls.license == vcpkg.get("license") == "MIT", "license: MIT in both recipes")
    expected_options = {option for option, _, _ in FEATURES.values()}
    check(set(cls.options) == expected_options, f"options {sorted(cls.options)} != {sorted(expected_options)}")
    check(set(vcpkg.get("features", {})) == set(FEATURES), f"vcpkg features {sorted(vcpkg.get('features', {}))}")
    check(all(cls.default_options.get(o) is False for o in expected_options), "every option defaults to False")
    check("default-features" not in vcpkg, "vcpkg.json: no default features")
    # validate(): C++20 required, gnu20 accepted.
    for cppstd, ok in (("17", False), ("gnu17", False), ("20", True), ("gnu20", True), ("23", True)):
        conanfile = instantiate(cls, recipe_path, dict(cls.default_options), cppstd)
        try:
            conanfile.validate()
            passed = True
        except ConanInvalidConfiguration:
            passed = False
        check(passed == ok, f"validate() with cppstd={cppstd} should {'pass' if ok else 'raise'}")
        check(("check_min_cppstd", 20) in conanfile.calls, "validate() calls check_min_cppstd(self, 20)")
    # package_id(): a compiled library depends on the settings and the options, Conan's default
    # id for a static-library; a package_id() that clears either (the header-only recipe's) is wrong.
    conanfile = instantiate(cls, recipe_path, dict(cls.default_options))
    conanfile.info = type("Info", (), {})()
    conanfile.info.settings = _Values(os="Linux", arch="x86_64")
    conanfile.info.options = _Values(**cls.default_options)
    conanfile.package_id()
    check(vars(conanfile.info.settings) == {"os": "Linux", "arch": "x86_64"}, "package_id() must keep the settings")
    check(vars(conanfile.info.options) == dict(cls.default_options), "package_id() must keep the options")


def vcpkg_dependencies(vcpkg, features):
    names = set()
    for entry in vcpkg["dependencies"]:
        name = entry if isinstance(entry, str) else entry["name"]
        if isinstance(entry, dict) and entry.get("host"):
            continue
        names.add(name)
    for feature in features:
        for entry in vcpkg["features"][feature].get("dependencies", []):
            names.add(entry if isinstance(entry, str) else entry["name"])
    return names


def portfile_options(path, features):
    with open(path) as f:
        recorded = json.load(f)
    key = ",".join(sorted(features)) or "(none)"
    return recorded.get(key)


def check_combination(cls, recipe_path, vcpkg, options_file, features):
    options = {option: (feature in features) for feature, (option, _, _) in FEATURES.items()}
    label = ",".join(sorted(features)) or "no features"
    conanfile = instantiate(cls, recipe_path, options)
    conanfile.requirements()
    requires = {package_name(ref): traits for ref, traits in conanfile.requirements_log}
    expected = set(ALWAYS[1]) | {ref for f in features for ref in FEATURES[f][2]}
    check(set(requires) == expected, f"[{label}] Conan requirements {sorted(requires)} != {sorted(expected)}")
    check(all(t.get("transitive_headers") for t in requires.values()),
          f"[{label}] every requirement needs transitive_headers=True (our headers include theirs)")
    expected_ports = set(ALWAYS[0]) | {p for f in features for p in FEATURES[f][1]}
    check(vcpkg_dependencies(vcpkg, features) == expected_ports,
          f"[{label}] vcpkg dependencies {sorted(vcpkg_dependencies(vcpkg, features))} != {sorted(expected_ports)}")

    conanfile.package_info()
    info = conanfile.cpp_info
    check(info.get_property("cmake_file_name") == "codelength", f"[{label}] cmake_file_name")
    components = dict(info.components)
    core = components.get("core")
    if check(core is not None, f"[{label}] a 'core' component"):
        check(core.get_property("cmake_target_name") == "codelength::codelength", f"[{label}] core target name")
        check(core.get_property("pkg_config_name") == "codelength", f"[{label}] core pkg-config name")
        check(core.defines == ["CODELENGTH_USE_XSIMD=1"], f"[{label}] core defines {core.defines}")
        check(core.libdirs == [] and core.bindirs == [] and core.libs == [],
              f"[{label}] core: the headers only, no libs, lib/bin dirs")
    dispatch = components.get("dispatch")
    if check(dispatch is not None, f"[{label}] a 'dispatch' component"):
        check(dispatch.get_property("cmake_target_name") == "codelength::dispatch", f"[{label}] dispatch target name")
        check(dispatch.get_property("pkg_config_name") == "codelength-dispatch", f"[{label}] dispatch pkg-config name")
        check(dispatch.libs == ["codelength_dispatch"], f"[{label}] dispatch libs {dispatch.libs}")
        check(dispatch.libdirs == ["lib"] and dispatch.bindirs == [], f"[{label}] dispatch: lib/, no bin/")
        check(dispatch.defines == ["CODELENGTH_DISPATCH=1"], f"[{label}] dispatch defines {dispatch.defines}")
        check(dispatch.requires == ["core"], f"[{label}] dispatch requires {dispatch.requires}")
    check(info.get_property("cmake_target_name") not in ("codelength::codelength", "codelength::baselines",
                                                         "codelength::dispatch"),
          f"[{label}] the aggregate target must not take a component's name")
    check(("baselines" in components) == ("baselines" in features), f"[{label}] baselines component iff the option")
    if "baselines" in components:
        baselines = components["baselines"]
        check(baselines.get_property("cmake_target_name") == "codelength::baselines", f"[{label}] baselines target")
        check("core" in baselines.requires, f"[{label}] baselines requires core")
    for name, component in components.items():
        for requirement in component.requires:
            if "::" in requirement:
                check(requirement.split("::")[0] in requires,
                      f"[{label}] component {name} requires {requirement}, which is not a requirement")
            else:
                check(requirement in components, f"[{label}] component {name} requires unknown {requirement}")

    # The CMake options: those of the portfile run with the same features.
    with tempfile.TemporaryDirectory() as generators:
        conanfile.generators_folder = generators
        conanfile.generate()
        with open(os.path.join(generators, "cache_variables.json")) as f:
            recipe_options = json.load(f)
    recorded = portfile_options(options_file, features)
    if recorded is not None:
        check(recipe_options == recorded,
              f"[{label}] Conan CMake options {recipe_options} != portfile options {recorded}")
    return recorded is not None


def create(cls, recipe_path, work, generator, extra_args):
    """conan create with the default options: export, build, package; then CMakeDeps' output."""
    shutil.rmtree(work, ignore_errors=True)
    conanfile = instantiate(cls, recipe_path, dict(cls.default_options))
    conanfile.export_sources_folder = os.path.join(work, "export_sources")
    conanfile.export_sources()
    conanfile.source_folder = conanfile.export_sources_folder
    conanfile.build_folder = os.path.join(work, "build")
    conanfile.generators_folder = os.path.join(work, "build", "generators")
    conanfile.package_folder = os.path.join(work, "package")
    conanfile.stub_extra_cmake_args = extra_args + (["-G", generator] if generator else [])
    conanfile.layout()
    conanfile.requirements()
    conanfile.validate()
    write_dependency_configs(conanfile.generators_folder)
    conanfile.generate()
    conanfile.build()
    conanfile.package()

    # Headers, the static library and the license only: Conan generates the CMake and
    # pkg-config files itself.
    found = sorted(os.path.relpath(os.path.join(r, f), conanfile.package_folder)
                   for r, _, files in os.walk(conanfile.package_folder) for f in files)
    stray = [p for p in found if not (p.startswith("include/codelength/") and p.endswith(".hpp"))
             and p not in ("licenses/LICENSE", "lib/libcodelength_dispatch.a")]
    check(not stray, f"package holds more than headers, lib/libcodelength_dispatch.a and licenses/LICENSE: {stray}")
    check("lib/libcodelength_dispatch.a" in found, "package lacks lib/libcodelength_dispatch.a")
    check(("CMake.build",) in conanfile.calls, "build() must compile (cmake.build()), not only configure")
    check("include/codelength/codelength.hpp" in found, "package lacks include/codelength/codelength.hpp")
    check(not any(p.startswith("include/codelength/baselines/") for p in found),
          "baselines headers packaged although with_baselines=False")

    conanfile.package_info()
    consumer_generators = os.path.join(work, "consumer_generators")
    shutil.rmtree(consumer_generators, ignore_errors=True)
    write_dependency_configs(consumer_generators)
    write_package_config(conanfile, consumer_generators)
    print(f"[conan stub] package in {conanfile.package_folder}; consumer configs in {consumer_generators}")


def write_dependency_configs(folder):
    # What CMakeDeps writes for conan-center's xsimd: file and target name "xsimd". Its headers
    # are this machine's (Debian's xsimd, in the default include path).
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "xsimd-config.cmake"), "w") as f:
        f.write("# Written by tests/packaging/run_conan_recipe.py in place of Conan's CMakeDeps.\n"
                "if(NOT TARGET xsimd)\n  add_library(xsimd INTERFACE IMPORTED)\nendif()\n"
                "set(xsimd_FOUND TRUE)\n")


def write_package_config(conanfile, folder):
    """codelength-config.cmake as CMakeDeps would make it from package_info() (targets,
    include directories, defines and requires; nothing else of CMakeDeps is modelled)."""
    info = conanfile.cpp_info
    file_name = info.get_property("cmake_file_name")
    targets_of_dependencies = {"xsimd::xsimd": ("xsimd", "xsimd")}  # requirement -> (package, target)
    lines = [f"# {file_name}-config.cmake: written by tests/packaging/run_conan_recipe.py from",
             "# package_info(), the way Conan's CMakeDeps would.", "include(CMakeFindDependencyMacro)"]
    components = dict(info.components)
    for name, component in components.items():
        target = component.get_property("cmake_target_name")
        if component.libs:
            # CMakeDeps imports each library of a component as its own target; one library here.
            assert len(component.libs) == 1 and len(component.libdirs) == 1, "one library per component"
            library = os.path.join(conanfile.package_folder, component.libdirs[0], f"lib{component.libs[0]}.a")
            lines.append(f"if(NOT TARGET {target})\n  add_library({target} STATIC IMPORTED)")
            lines.append(f"  set_property(TARGET {target} PROPERTY IMPORTED_LOCATION \"{library}\")")
        else:
            lines.append(f"if(NOT TARGET {target})\n  add_library({target} INTERFACE IMPORTED)")
        includes = [os.path.join(conanfile.package_folder, d) for d in component.includedirs]
        lines.append(f"  set_property(TARGET {target} PROPERTY INTERFACE_INCLUDE_DIRECTORIES \"{';'.join(includes)}\")")
        if component.defines:
            lines.append(f"  set_property(TARGET {target} PROPERTY INTERFACE_COMPILE_DEFINITIONS \"{';'.join(component.defines)}\")")
        links = []
        for requirement in component.requires:
            if requirement in components:
                links.append(components[requirement].get_property("cmake_target_name"))
            elif requirement in targets_of_dependencies:
                package, dep_target = targets_of_dependencies[requirement]
                lines.append(f"  find_dependency({package} CONFIG)")
                links.append(dep_target)
            else:
                raise SystemExit(f"no stand-in for requirement {requirement} (only the default options are built)")
        if links:
            lines.append(f"  set_property(TARGET {target} PROPERTY INTERFACE_LINK_LIBRARIES \"{';'.join(links)}\")")
        lines.append("endif()")
    root = info.get_property("cmake_target_name")
    all_targets = ";".join(c.get_property("cmake_target_name") for c in components.values())
    lines.append(f"if(NOT TARGET {root})\n  add_library({root} INTERFACE IMPORTED)\n"
                 f"  set_property(TARGET {root} PROPERTY INTERFACE_LINK_LIBRARIES \"{all_targets}\")\nendif()")
    lines.append(f"set({file_name}_VERSION {conanfile.version})")
    with open(os.path.join(folder, f"{file_name}-config.cmake"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(folder, f"{file_name}-config-version.cmake"), "w") as f:
        f.write(f'set(PACKAGE_VERSION "{conanfile.version}")\n'
                "if(PACKAGE_FIND_VERSION AND PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)\n"
                "  set(PACKAGE_VERSION_COMPATIBLE FALSE)\nelse()\n  set(PACKAGE_VERSION_COMPATIBLE TRUE)\nendif()\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipe", required=True)
    parser.add_argument("--vcpkg-json", required=True)
    parser.add_argument("--portfile-options", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--generator", default="")
    parser.add_argument("--cmake-arg", action="append", default=[])
    args = parser.parse_args()

    with open(args.vcpkg_json) as f:
        vcpkg = json.load(f)
    module, cls = load_recipe(args.recipe)
    check_metadata(module, cls, args.recipe, vcpkg)
    compared = 0
    for count in range(len(FEATURES) + 1):
        for features in itertools.combinations(sorted(FEATURES), count):
            compared += check_combination(cls, args.recipe, vcpkg, args.portfile_options, set(features))
    check(compared >= 2, f"only {compared} option sets had portfile options to compare with")
    if not failures:
        create(cls, args.recipe, args.work, args.generator, args.cmake_arg)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print(f"conan recipe: metadata, {2 ** len(FEATURES)} option sets ({compared} compared with the portfile) and create: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
