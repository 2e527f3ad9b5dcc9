# vcpkg overlay port for codelength, built from the source tree it ships in:
#   vcpkg install codelength --overlay-ports=<codelength>/packaging/vcpkg
# (a registry port would replace SOURCE_PATH with vcpkg_from_github(... REF "v${VERSION}")).
# tests/packaging runs this file under stub vcpkg_* functions: the staged install it checks is
# configured with exactly the OPTIONS below.

# Header-only: one (release) configure and install; nothing differs between configurations.
set(VCPKG_BUILD_TYPE release)

get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

# "eigen" and "xtensor" only bring the dependency: the adapter headers are always installed
# and the targets never link Eigen or xtensor. "baselines" adds codelength::baselines.
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    baselines CODELENGTH_WITH_BASELINES
)

# The project's defaults are for developing it; a package wants headers and config only.
# -march=native never reaches the installed target, but nothing is built here to need it.
vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DCODELENGTH_BUILD_TESTS=OFF
    -DCODELENGTH_BUILD_EXAMPLES=OFF
    -DCODELENGTH_BUILD_TOOLS=OFF
    -DCODELENGTH_BUILD_BENCHMARKS=OFF
    -DCODELENGTH_INSTALL=ON
    -DCODELENGTH_WITH_XSIMD=ON
    -DCODELENGTH_NATIVE_ARCH=OFF
    ${FEATURE_OPTIONS}
)

vcpkg_cmake_install()

# cmake/install.cmake puts the package in share/cmake/codelength; vcpkg wants share/codelength.
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/codelength)
vcpkg_fixup_pkgconfig()

# Nothing is compiled: no lib/, no debug tree. The license goes to share/codelength/copyright
# instead of share/doc/codelength.
file(REMOVE_RECURSE
  "${CURRENT_PACKAGES_DIR}/lib"
  "${CURRENT_PACKAGES_DIR}/debug"
  "${CURRENT_PACKAGES_DIR}/share/cmake"
  "${CURRENT_PACKAGES_DIR}/share/doc")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
