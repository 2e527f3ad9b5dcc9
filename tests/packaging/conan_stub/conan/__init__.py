"""A stand-in for the `conan` Python package (Conan 2 is not installable here: no PyPI).

Only what packaging/conan/conanfile.py and its test_package import. It records calls and does
the file work for real (copy, rmdir, CMake configure/install), so run_conan_recipe.py can
drive the recipe through the steps `conan create` takes. Behaviour follows the Conan 2
reference where the recipe depends on it; nothing here is Conan's own code.
"""


class _Values:
    """Attribute bag for options/settings: `self.options.with_eigen`, `settings.compiler.cppstd`."""

    def __init__(self, **values):
        for key, value in values.items():
            setattr(self, key, value)

    def get_safe(self, name, default=None):
        value = self
        for part in name.split("."):
            value = getattr(value, part, None)
            if value is None:
                return default
        return value

    def clear(self):
        self.__dict__.clear()


class _Component:
    def __init__(self):
        self._properties = {}
        self.includedirs = ["include"]
        self.libdirs = ["lib"]
        self.bindirs = ["bin"]
        self.libs = []
        self.defines = []
        self.requires = []
        self.system_libs = []

    def set_property(self, name, value):
        self._properties[name] = value

    def get_property(self, name, default=None):
        return self._properties.get(name, default)


class _CppInfo(_Component):
    def __init__(self):
        super().__init__()
        self.components = _Components()


class _Components(dict):
    def __missing__(self, key):
        self[key] = _Component()
        return self[key]


class _Info:
    def __init__(self, settings, options):
        self.settings = settings
        self.options = options
        self.cleared = False

    def clear(self):
        self.cleared = True
        self.settings.clear()
        self.options.clear()


class ConanFile:
    name = None
    version = None
    settings = ()
    options = {}
    default_options = {}
    no_copy_source = False
    package_type = None

    def __init__(self):
        self.requirements_log = []  # (reference, traits) for every self.requires()
        self.calls = []  # names of the stub tools called, in order
        self.cpp_info = _CppInfo()
        self.recipe_folder = None
        self.export_sources_folder = None
        self.source_folder = None
        self.build_folder = None
        self.package_folder = None
        self.generators_folder = None
        self.tested_reference_str = None

    def package_id(self):
        # Conan's default: the id keeps the settings and options the recipe declares.
        pass

    def requires(self, reference, **traits):
        self.requirements_log.append((reference, traits))

    def output_info(self, message):
        print(f"[conan stub] {message}")
