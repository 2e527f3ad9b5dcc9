"""Stub of conan.tools.build: check_min_cppstd with Conan 2's semantics, can_run."""
from conan.errors import ConanInvalidConfiguration


def check_min_cppstd(conanfile, cppstd, gnu_extensions=False):
    conanfile.calls.append(("check_min_cppstd", cppstd))
    current = conanfile.settings.get_safe("compiler.cppstd")
    if current is None:
        return  # Conan then checks the compiler's default standard; not modelled here
    value = str(current).replace("gnu", "")
    # "98" sorts before "11": map to a comparable year.
    as_year = {"98": 1998}.get(value, 2000 + int(value))
    if as_year < 2000 + int(cppstd):
        raise ConanInvalidConfiguration(f"Current cppstd ({current}) is lower than the required C++ standard ({cppstd}).")


def can_run(conanfile):
    return True
