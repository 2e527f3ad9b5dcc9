# vcpkg overlay port for codelength, built from the source tree it ships in:
#   vcpkg install codelength --overlay-ports=<codelength>/packaging/vcpkg
# (a registry port would replace SOURCE_PATH with vcpkg_from_github(... REF "v${VERSION}")).
# tests/packaging runs this file under stub vcpkg_* functions: the staged install it checks is
# configured with exactly the OPTIONS below.

# Not header-only any more: codelength::dispatch is a static library (the SIMD kernels compiled
# once per instruction set, chosen at run time), so vcpkg builds and installs it in both its
# configurations (debug/lib and lib); the headers and the CMake package come from the release one.
vcpkg_check_linkage(ONLY_STATIC_LIBRARY)

get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

# "eigen" and "xtensor" only bring the dependency: the adapter headers are always installed
# and the targets never link Eigen or xtensor. "baselines" adds codelength::baselines.
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    baselines CODELENGTH_WITH_BASELINES
)

# The project's defaults are for developing it; a package wants the library, headers and config.
# No -march: the kernels get their instruction sets from their own per-file flags, and the
# dispatcher picks the widest at run time, so the package runs on any CPU of the triplet.
vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DCODELENGTH_BUILD_TESTS=OFF
    -DCODELENGTH_BUILD_EXAMPLES=OFF
    -DCODELENGTH_BUILD_TOOLS=OFF
    -DCODELENGTH_BUILD_BENCHMARKS=OFF
    -DCODELENGTH_INSTALL=ON
    -DCODELENGTH_WITH_XSIMD=ON
    -DCODELENGTH_WITH_DISPATCH=ON
    -DCODELENGTH_NATIVE_ARCH=OFF
    ${FEATURE_OPTIONS}
)

vcpkg_cmake_install()

# cmake/install.cmake puts the package (with its compiled library) in lib/cmake/codelength;
# vcpkg wants share/codelength, with the debug configuration's imported-target file merged in.
vcpkg_cmake_config_fixup(CONFIG_PATH lib/cmake/codelength)
# codelength-dispatch.pc in lib/pkgconfig and debug/lib/pkgconfig; the headers-only
# codelength.pc in share/pkgconfig.
vcpkg_fixup_pkgconfig()

# The debug tree keeps only its library and its .pc file. The license goes to
# share/codelength/copyright instead of share/doc/codelength.
file(REMOVE_RECURSE
  "${CURRENT_PACKAGES_DIR}/debug/include"
  "${CURRENT_PACKAGES_DIR}/debug/share"
  "${CURRENT_PACKAGES_DIR}/share/doc")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
