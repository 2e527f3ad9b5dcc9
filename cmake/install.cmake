# Install rules and the CMake package (included from the root CMakeLists.txt when CODELENGTH_INSTALL).
# Layout under the prefix:
#   include/codelength/...                     the headers (FILE_SET HEADERS of the target)
#   share/cmake/codelength/                    codelengthConfig.cmake, ...ConfigVersion.cmake, ...Targets.cmake,
#                                              xsimd_xtl_workaround.cmake (with xsimd only),
#                                              codelengthBaselinesTargets.cmake and
#                                              codelength_compressors.cmake (with baselines only)
#   share/pkgconfig/codelength.pc              Cflags only; Requires: xsimd when built with it
#   share/doc/codelength/LICENSE               (not DOCDIR: that is named after the top-level project)
# Header-only, so the package goes to the architecture-independent datadir and the version file
# is ARCH_INDEPENDENT (a 32-bit consumer may use a package installed by a 64-bit build).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CODELENGTH_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/codelength"
    CACHE STRING "Where to install codelengthConfig.cmake, relative to the prefix")
mark_as_advanced(CODELENGTH_INSTALL_CMAKEDIR)

# The exported target carries only what a consumer needs: the include directory of the file
# set, cxx_std_20 and, if enabled, xsimd + CODELENGTH_USE_XSIMD=1. The warnings/-march target
# codelength_project_options is deliberately not linked to it and never installed.
install(TARGETS codelength
  EXPORT codelengthTargets
  FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT codelength_development)

install(EXPORT codelengthTargets
  NAMESPACE codelength::
  DESTINATION "${CODELENGTH_INSTALL_CMAKEDIR}"
  COMPONENT codelength_development)

# codelength::baselines has its own export set, loaded by the config only when the compressor
# libraries are found on the consumer's machine (codelength::codelength never needs them).
if(CODELENGTH_WITH_BASELINES)
  install(TARGETS codelength_baselines
    EXPORT codelengthBaselinesTargets
    FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT codelength_development)
  install(EXPORT codelengthBaselinesTargets
    NAMESPACE codelength::
    DESTINATION "${CODELENGTH_INSTALL_CMAKEDIR}"
    COMPONENT codelength_development)
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/codelength_compressors.cmake"
    DESTINATION "${CODELENGTH_INSTALL_CMAKEDIR}"
    COMPONENT codelength_development)
endif()

# The config file needs to know which optional dependencies the exported targets link.
set(CODELENGTH_PACKAGE_WITH_XSIMD ${CODELENGTH_WITH_XSIMD})
set(CODELENGTH_PACKAGE_WITH_BASELINES ${CODELENGTH_WITH_BASELINES})
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/codelengthConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/codelengthConfig.cmake"
  INSTALL_DESTINATION "${CODELENGTH_INSTALL_CMAKEDIR}"
  NO_SET_AND_CHECK_MACRO
  NO_CHECK_REQUIRED_COMPONENTS_MACRO)

# 0.x releases: SameMajorVersion means any 0.y satisfies a request for 0.x with y >= x.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/codelengthConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)

install(FILES
    "${PROJECT_BINARY_DIR}/codelengthConfig.cmake"
    "${PROJECT_BINARY_DIR}/codelengthConfigVersion.cmake"
  DESTINATION "${CODELENGTH_INSTALL_CMAKEDIR}"
  COMPONENT codelength_development)
if(CODELENGTH_WITH_XSIMD)
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/xsimd_xtl_workaround.cmake"
    DESTINATION "${CODELENGTH_INSTALL_CMAKEDIR}"
    COMPONENT codelength_development)
endif()

# pkg-config: header-only, so the file goes to the architecture-independent share/pkgconfig
# (where eigen3.pc and xtl.pc live, and where vcpkg expects it from a header-only port).
# It carries only what codelength::codelength carries: the include directory, and with xsimd
# the define and `Requires: xsimd` (xsimd ships xsimd.pc on Debian, vcpkg and Conan).
# codelength::baselines has no .pc: its users add `pkg-config --libs zlib liblzma libzstd libbrotlienc`.
set(CODELENGTH_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
    CACHE STRING "Where to install codelength.pc, relative to the prefix")
mark_as_advanced(CODELENGTH_INSTALL_PKGCONFIGDIR)
if(IS_ABSOLUTE "${CODELENGTH_INSTALL_PKGCONFIGDIR}")
  set(codelength_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  # ${pcfiledir}/../.. for share/pkgconfig: the prefix is found from the file's own location.
  file(RELATIVE_PATH codelength_pc_up "/root/${CODELENGTH_INSTALL_PKGCONFIGDIR}" "/root")
  string(REGEX REPLACE "/$" "" codelength_pc_up "${codelength_pc_up}")
  set(codelength_pc_prefix "\${pcfiledir}/${codelength_pc_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(codelength_pc_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(codelength_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(codelength_pc_requires "")
set(codelength_pc_cflags "")
if(CODELENGTH_WITH_XSIMD)
  set(codelength_pc_requires "xsimd")
  string(APPEND codelength_pc_cflags " -DCODELENGTH_USE_XSIMD=1")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/codelength.pc.in" "${PROJECT_BINARY_DIR}/codelength.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/codelength.pc"
  DESTINATION "${CODELENGTH_INSTALL_PKGCONFIGDIR}"
  COMPONENT codelength_development)

if(EXISTS "${PROJECT_SOURCE_DIR}/LICENSE")
  install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/codelength"
    COMPONENT codelength_development)
endif()
