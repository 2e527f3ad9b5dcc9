# Install rules and the CMake package (included from the root CMakeLists.txt when CODELENGTH_INSTALL).
# Layout under the prefix (<pkgdir> is <libdir>/cmake/codelength with codelength::dispatch,
# share/cmake/codelength without it; see below):
#   include/codelength/...                     the headers (FILE_SET HEADERS of the target)
#   <libdir>/libcodelength_dispatch.a          the run-time dispatched kernels (with dispatch only)
#   <pkgdir>/                                  codelengthConfig.cmake, ...ConfigVersion.cmake, ...Targets.cmake,
#                                              xsimd_xtl_workaround.cmake (with xsimd only),
#                                              codelengthDispatchTargets[-<config>].cmake (with dispatch only),
#                                              codelengthBaselinesTargets.cmake and
#                                              codelength_compressors.cmake (with baselines only)
#   share/pkgconfig/codelength.pc              Cflags only; Requires: xsimd when built with it
#   <libdir>/pkgconfig/codelength-dispatch.pc  Requires: codelength; -DCODELENGTH_DISPATCH=1, -lcodelength_dispatch
#   share/doc/codelength/LICENSE               (not DOCDIR: that is named after the top-level project)
#
# Architecture: a build with codelength::dispatch (the default) installs a compiled static
# library, so the package is architecture-specific: the CMake package goes to the libdir (where
# a multiarch or lib32/lib64 system keeps one per architecture) and the version file is not
# ARCH_INDEPENDENT (a 32-bit consumer must not pick up a 64-bit libcodelength_dispatch.a).
# A build without it (CODELENGTH_WITH_DISPATCH=OFF, or without xsimd) is headers only, as
# before: the package stays in the architecture-independent datadir and the version file is
# ARCH_INDEPENDENT. codelength.pc describes headers only either way, so it stays in
# share/pkgconfig; codelength-dispatch.pc names a library and goes to <libdir>/pkgconfig.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(codelength_package_with_dispatch OFF)
if(TARGET codelength_dispatch)
  set(codelength_package_with_dispatch ON)
endif()
# Empty: the automatic choice above. (A build tree configured before codelength::dispatch
# cached the then-default share/cmake/codelength under the old description: forget it.)
get_property(codelength_cmakedir_help CACHE CODELENGTH_INSTALL_CMAKEDIR PROPERTY HELPSTRING)
if(codelength_cmakedir_help STREQUAL "Where to install codelengthConfig.cmake, relative to the prefix")
  unset(CODELENGTH_INSTALL_CMAKEDIR CACHE)
endif()
set(CODELENGTH_INSTALL_CMAKEDIR ""
    CACHE STRING "Where to install codelengthConfig.cmake, relative to the prefix (empty: <libdir>/cmake/codelength with codelength::dispatch, share/cmake/codelength without)")
set(codelength_install_cmakedir "${CODELENGTH_INSTALL_CMAKEDIR}")
if(codelength_install_cmakedir STREQUAL "")
  if(codelength_package_with_dispatch)
    set(codelength_install_cmakedir "${CMAKE_INSTALL_LIBDIR}/cmake/codelength")
  else()
    set(codelength_install_cmakedir "${CMAKE_INSTALL_DATADIR}/cmake/codelength")
  endif()
endif()
mark_as_advanced(CODELENGTH_INSTALL_CMAKEDIR)

# The exported target carries only what a consumer needs: the include directory of the file
# set, cxx_std_20 and, if enabled, xsimd + CODELENGTH_USE_XSIMD=1. The warnings/-march target
# codelength_project_options is deliberately not linked to it and never installed.
install(TARGETS codelength
  EXPORT codelengthTargets
  FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT codelength_development)

install(EXPORT codelengthTargets
  NAMESPACE codelength::
  DESTINATION "${codelength_install_cmakedir}"
  COMPONENT codelength_development)

# codelength::dispatch has its own export set, so codelengthTargets.cmake stays the same
# header-only target it always was (codelength::codelength never links the library); the
# config loads it whenever the package has it (it needs nothing beyond xsimd, which
# codelength::codelength already brings). It exports the static library, PUBLIC
# codelength::codelength and INTERFACE CODELENGTH_DISPATCH=1; its private warning target is
# build-only ($<BUILD_INTERFACE:...>) and vanishes from the export.
if(codelength_package_with_dispatch)
  install(TARGETS codelength_dispatch
    EXPORT codelengthDispatchTargets
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT codelength_development)
  install(EXPORT codelengthDispatchTargets
    NAMESPACE codelength::
    DESTINATION "${codelength_install_cmakedir}"
    COMPONENT codelength_development)
endif()

# codelength::baselines has its own export set, loaded by the config only when the compressor
# libraries are found on the consumer's machine (codelength::codelength never needs them).
if(CODELENGTH_WITH_BASELINES)
  install(TARGETS codelength_baselines
    EXPORT codelengthBaselinesTargets
    FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT codelength_development)
  install(EXPORT codelengthBaselinesTargets
    NAMESPACE codelength::
    DESTINATION "${codelength_install_cmakedir}"
    COMPONENT codelength_development)
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/codelength_compressors.cmake"
    DESTINATION "${codelength_install_cmakedir}"
    COMPONENT codelength_development)
endif()

# The config file needs to know which optional dependencies the exported targets link.
set(CODELENGTH_PACKAGE_WITH_XSIMD ${CODELENGTH_WITH_XSIMD})
set(CODELENGTH_PACKAGE_WITH_BASELINES ${CODELENGTH_WITH_BASELINES})
set(CODELENGTH_PACKAGE_WITH_DISPATCH ${codelength_package_with_dispatch})
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/codelengthConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/codelengthConfig.cmake"
  INSTALL_DESTINATION "${codelength_install_cmakedir}"
  NO_SET_AND_CHECK_MACRO
  NO_CHECK_REQUIRED_COMPONENTS_MACRO)

# 0.x releases: SameMajorVersion means any 0.y satisfies a request for 0.x with y >= x.
# ARCH_INDEPENDENT only for a headers-only package (see the top of this file).
set(codelength_version_arch_args)
if(NOT codelength_package_with_dispatch)
  set(codelength_version_arch_args ARCH_INDEPENDENT)
endif()
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/codelengthConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion
  ${codelength_version_arch_args})

install(FILES
    "${PROJECT_BINARY_DIR}/codelengthConfig.cmake"
    "${PROJECT_BINARY_DIR}/codelengthConfigVersion.cmake"
  DESTINATION "${codelength_install_cmakedir}"
  COMPONENT codelength_development)
if(CODELENGTH_WITH_XSIMD)
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/xsimd_xtl_workaround.cmake"
    DESTINATION "${codelength_install_cmakedir}"
    COMPONENT codelength_development)
endif()

# pkg-config. codelength.pc carries only what codelength::codelength carries: the include
# directory, and with xsimd the define and `Requires: xsimd` (xsimd ships xsimd.pc on Debian,
# vcpkg and Conan). It is headers only, so it goes to the architecture-independent
# share/pkgconfig (where eigen3.pc and xtl.pc live, and where vcpkg wants a .pc without Libs).
# codelength-dispatch.pc is codelength::dispatch: Requires: codelength, the define and the
# library, in <libdir>/pkgconfig next to it.
# codelength::baselines has no .pc: its users add `pkg-config --libs zlib liblzma libzstd libbrotlienc`.
set(CODELENGTH_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
    CACHE STRING "Where to install codelength.pc, relative to the prefix")
set(CODELENGTH_INSTALL_LIB_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    CACHE STRING "Where to install codelength-dispatch.pc, relative to the prefix")
mark_as_advanced(CODELENGTH_INSTALL_PKGCONFIGDIR CODELENGTH_INSTALL_LIB_PKGCONFIGDIR)

# The prefix as seen from a .pc file installed in `pcdir`: ${pcfiledir}/../.. for
# share/pkgconfig, so the installed tree can be moved (and vcpkg's vcpkg_fixup_pkgconfig finds
# nothing to rewrite); the absolute prefix when `pcdir` is absolute.
function(codelength_pc_prefix_for pcdir out)
  if(IS_ABSOLUTE "${pcdir}")
    set(${out} "${CMAKE_INSTALL_PREFIX}" PARENT_SCOPE)
  else()
    file(RELATIVE_PATH up "/root/${pcdir}" "/root")
    string(REGEX REPLACE "/$" "" up "${up}")
    set(${out} "\${pcfiledir}/${up}" PARENT_SCOPE)
  endif()
endfunction()
# A directory variable of a .pc file: absolute as given, else under ${prefix}.
function(codelength_pc_dir_for dir out)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

codelength_pc_prefix_for("${CODELENGTH_INSTALL_PKGCONFIGDIR}" codelength_pc_prefix)
codelength_pc_dir_for("${CMAKE_INSTALL_INCLUDEDIR}" codelength_pc_includedir)
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

if(codelength_package_with_dispatch)
  codelength_pc_prefix_for("${CODELENGTH_INSTALL_LIB_PKGCONFIGDIR}" codelength_dispatch_pc_prefix)
  codelength_pc_dir_for("${CMAKE_INSTALL_LIBDIR}" codelength_dispatch_pc_libdir)
  configure_file("${CMAKE_CURRENT_LIST_DIR}/codelength-dispatch.pc.in"
    "${PROJECT_BINARY_DIR}/codelength-dispatch.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/codelength-dispatch.pc"
    DESTINATION "${CODELENGTH_INSTALL_LIB_PKGCONFIGDIR}"
    COMPONENT codelength_development)
endif()

if(EXISTS "${PROJECT_SOURCE_DIR}/LICENSE")
  install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/codelength"
    COMPONENT codelength_development)
endif()
