# Installs codelength into a clean staging prefix and checks what landed there.
#   cmake -DBUILD_DIR=<build tree> -DPREFIX=<stage> [-DCONFIG=<cfg>] [-DEXPECT_XSIMD=ON|OFF] [-DEXPECT_CLI=ON]
#         [-DEXPECT_DISPATCH=ON|OFF]
#         [-DSOURCE_DIR=<src> -DGENERATOR=<gen> -DCONFIGURE_OPTIONS=a|b|c]   (configure BUILD_DIR first)
#         -P stage_install.cmake
cmake_minimum_required(VERSION 3.23)

foreach(required BUILD_DIR PREFIX)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "stage_install.cmake: ${required} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (${result}): ${command}")
  endif()
endfunction()

set(config_args)
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

if(DEFINED SOURCE_DIR)
  # A fresh build tree, configured like a user who only wants to install the headers.
  file(REMOVE_RECURSE "${BUILD_DIR}")
  string(REPLACE "|" ";" configure_options "${CONFIGURE_OPTIONS}")
  set(build_type_args)
  if(CONFIG)
    set(build_type_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
  endif()
  run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BUILD_DIR}" -G "${GENERATOR}" ${build_type_args}
      ${configure_options})
  run("${CMAKE_COMMAND}" --build "${BUILD_DIR}" ${config_args})
endif()

file(REMOVE_RECURSE "${PREFIX}")
run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args})

# What a consumer relies on: the headers, the package files, the license.
file(GLOB_RECURSE configs RELATIVE "${PREFIX}" "${PREFIX}/*/codelengthConfig.cmake")
list(LENGTH configs config_count)
if(NOT config_count EQUAL 1)
  message(FATAL_ERROR "expected one codelengthConfig.cmake under ${PREFIX}, found: '${configs}'")
endif()
get_filename_component(package_rel "${configs}" DIRECTORY)
set(package_dir "${PREFIX}/${package_rel}")

# codelength::dispatch (a static library) makes the package architecture-specific: the CMake
# package then lives in the libdir and its version file checks the pointer size; without it
# the package is headers only, in the datadir, ARCH_INDEPENDENT (cmake/install.cmake).
# (write_basic_package_version_file writes the pointer-size check either way, skipped by an
# `if("TRUE") return()` when ARCH_INDEPENDENT.)
file(READ "${package_dir}/codelengthConfigVersion.cmake" version_text)
set(arch_independent OFF)
if(version_text MATCHES "no architecture check[^\n]*\nif\\(\"TRUE\"\\)\n +return\\(\\)")
  set(arch_independent ON)
endif()
set(lib_dir "")
if(DEFINED EXPECT_DISPATCH)
  file(GLOB_RECURSE archives RELATIVE "${PREFIX}" "${PREFIX}/*codelength_dispatch*")
  if(EXPECT_DISPATCH)
    if(NOT package_rel MATCHES "^(lib[^/]*(/[^/]+)?)/cmake/codelength$")
      message(FATAL_ERROR "with codelength::dispatch the package belongs in <libdir>/cmake/codelength, not ${package_rel}")
    endif()
    set(lib_dir "${CMAKE_MATCH_1}")
    if(NOT EXISTS "${PREFIX}/${lib_dir}/libcodelength_dispatch.a")
      message(FATAL_ERROR "missing from the install: ${lib_dir}/libcodelength_dispatch.a (found: '${archives}')")
    endif()
    if(arch_independent OR NOT version_text MATCHES "CMAKE_SIZEOF_VOID_P")
      message(FATAL_ERROR "a package with a compiled library must not have an ARCH_INDEPENDENT version file")
    endif()
    set(dispatch_targets "${package_dir}/codelengthDispatchTargets.cmake")
    if(NOT EXISTS "${dispatch_targets}")
      message(FATAL_ERROR "missing from the install: ${dispatch_targets}")
    endif()
    file(READ "${dispatch_targets}" dispatch_text)
    if(NOT dispatch_text MATCHES "add_library\\(codelength::dispatch STATIC IMPORTED\\)"
        OR NOT dispatch_text MATCHES "INTERFACE_COMPILE_DEFINITIONS \"CODELENGTH_DISPATCH=1\""
        OR NOT dispatch_text MATCHES "INTERFACE_LINK_LIBRARIES \"codelength::codelength[;\"]")
      message(FATAL_ERROR "codelengthDispatchTargets.cmake should import codelength::dispatch as a static library "
        "linking codelength::codelength and defining CODELENGTH_DISPATCH=1:\n${dispatch_text}")
    endif()
    file(GLOB dispatch_config_files "${package_dir}/codelengthDispatchTargets*.cmake")
    foreach(file IN LISTS dispatch_config_files)
      file(READ "${file}" text)
      if(text MATCHES "codelength_project_options|codelength_warnings|-march|-W[a-z]")
        message(FATAL_ERROR "${file} leaks the project's private options")
      endif()
    endforeach()
  else()
    if(NOT package_rel STREQUAL "share/cmake/codelength" OR archives
        OR EXISTS "${package_dir}/codelengthDispatchTargets.cmake")
      message(FATAL_ERROR "without codelength::dispatch the package is headers only in share/cmake/codelength "
        "(package in ${package_rel}, libraries '${archives}')")
    endif()
    if(NOT arch_independent)
      message(FATAL_ERROR "a headers-only package should have an ARCH_INDEPENDENT version file")
    endif()
  endif()
endif()
foreach(file
    "${package_dir}/codelengthConfigVersion.cmake"
    "${package_dir}/codelengthTargets.cmake"
    "${PREFIX}/include/codelength/codelength.hpp"
    "${PREFIX}/include/codelength/version.hpp"
    "${PREFIX}/share/doc/codelength/LICENSE")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "missing from the install: ${file}")
  endif()
endforeach()

# The exported target must not carry the project's private warning/-march target, and links
# xsimd exactly when the build was configured with it.
file(STRINGS "${package_dir}/codelengthTargets.cmake" targets_text)
if(targets_text MATCHES "codelength_project_options|codelength_warnings|-march|-W[a-z]")
  message(FATAL_ERROR "codelengthTargets.cmake leaks the project's private options")
endif()
file(READ "${package_dir}/codelengthConfig.cmake" config_text)
if(DEFINED EXPECT_XSIMD)
  # (the link and the define, not header names such as detail/xsimd_compat.hpp)
  if(EXPECT_XSIMD AND NOT targets_text MATCHES "INTERFACE_LINK_LIBRARIES \"[^\"]*xsimd")
    message(FATAL_ERROR "built with xsimd, but the exported target does not link it")
  elseif(NOT EXPECT_XSIMD AND targets_text MATCHES "INTERFACE_(LINK_LIBRARIES|COMPILE_DEFINITIONS) \"[^\"]*(xsimd|XSIMD)")
    message(FATAL_ERROR "built without xsimd, but the exported target mentions it")
  endif()
  if(EXPECT_XSIMD)
    set(expected_flag ON)
  else()
    set(expected_flag OFF)
  endif()
  if(NOT config_text MATCHES "set\\(codelength_WITH_XSIMD ${expected_flag}\\)")
    message(FATAL_ERROR "codelengthConfig.cmake should say codelength_WITH_XSIMD ${expected_flag}")
  endif()
endif()

# pkg-config: Cflags only (the include directory, and the xsimd define and requirement
# exactly when built with xsimd), relocatable through ${pcfiledir}.
set(pc_file "${PREFIX}/share/pkgconfig/codelength.pc")
if(NOT EXISTS "${pc_file}")
  message(FATAL_ERROR "missing from the install: ${pc_file}")
endif()
file(READ "${pc_file}" pc_text)
if(NOT pc_text MATCHES "\nprefix=\\\${pcfiledir}/" OR pc_text MATCHES "\nLibs")
  message(FATAL_ERROR "codelength.pc should have a relocatable prefix and no Libs:\n${pc_text}")
endif()
if(DEFINED EXPECT_XSIMD)
  if(EXPECT_XSIMD AND NOT (pc_text MATCHES "\nRequires: xsimd\n" AND pc_text MATCHES "-DCODELENGTH_USE_XSIMD=1"))
    message(FATAL_ERROR "codelength.pc should require xsimd and define CODELENGTH_USE_XSIMD=1:\n${pc_text}")
  elseif(NOT EXPECT_XSIMD AND pc_text MATCHES "xsimd|XSIMD")
    message(FATAL_ERROR "codelength.pc mentions xsimd in a build without it:\n${pc_text}")
  endif()
endif()

# codelength-dispatch.pc: requires codelength, adds the define and the library.
if(EXPECT_DISPATCH)
  set(dispatch_pc "${PREFIX}/${lib_dir}/pkgconfig/codelength-dispatch.pc")
  if(NOT EXISTS "${dispatch_pc}")
    message(FATAL_ERROR "missing from the install: ${dispatch_pc}")
  endif()
  file(READ "${dispatch_pc}" dispatch_pc_text)
  if(NOT dispatch_pc_text MATCHES "\nprefix=\\\${pcfiledir}/"
      OR NOT dispatch_pc_text MATCHES "\nRequires: codelength = [0-9.]+\n"
      OR NOT dispatch_pc_text MATCHES "\nCflags: -DCODELENGTH_DISPATCH=1\n"
      OR NOT dispatch_pc_text MATCHES "\nLibs: -L\\\${libdir} -lcodelength_dispatch\n")
    message(FATAL_ERROR "codelength-dispatch.pc should be relocatable, require codelength, define "
      "CODELENGTH_DISPATCH=1 and link -lcodelength_dispatch:\n${dispatch_pc_text}")
  endif()
endif()

# The command-line tool: installed as bin/codelength by a build with CODELENGTH_BUILD_TOOLS
# (EXPECT_CLI, the default of a top-level build and so of the README's install route), and it
# runs from the prefix and reports the headers' version.
if(EXPECT_CLI)
  set(cli "${PREFIX}/bin/codelength")
  if(NOT EXISTS "${cli}")
    message(FATAL_ERROR "built with CODELENGTH_BUILD_TOOLS, but the install has no bin/codelength")
  endif()
  execute_process(COMMAND "${cli}" --version RESULT_VARIABLE cli_result OUTPUT_VARIABLE cli_output)
  file(READ "${PREFIX}/include/codelength/version.hpp" version_text)
  string(REGEX MATCH "version_string = \"([^\"]*)\"" _ "${version_text}")
  set(expected_version_line "codelength ${CMAKE_MATCH_1}\n")
  string(FIND "${cli_output}" "${expected_version_line}" version_at)
  if(NOT cli_result EQUAL 0 OR NOT version_at EQUAL 0)
    message(FATAL_ERROR "${cli} --version: exit ${cli_result}, '${cli_output}' (expected 'codelength ${CMAKE_MATCH_1}' first)")
  endif()
  # Built with codelength::dispatch (and without -march by default), it names the kernels it runs.
  if(EXPECT_DISPATCH)
    if(NOT cli_output MATCHES "\nkernels: (scalar|sse2|avx2|avx512|neon)")
      message(FATAL_ERROR "${cli} --version does not name the dispatched kernels: '${cli_output}'")
    endif()
    message(STATUS "installed bin/codelength runs the ${CMAKE_MATCH_1} kernels")
  endif()
  # Built with LibTorch, its lm-* commands are a plugin in <libdir>/codelength, found from the
  # staged prefix (relative to bin/) and loaded: lm-score --help runs in the plugin.
  if(cli_output MATCHES "\nlanguage models: LibTorch")
    execute_process(COMMAND "${cli}" lm-score --help RESULT_VARIABLE lm_result OUTPUT_VARIABLE lm_output
      ERROR_VARIABLE lm_error)
    if(cli_output MATCHES "is missing" OR NOT lm_result EQUAL 0 OR NOT lm_output MATCHES "^usage: codelength lm-score")
      message(FATAL_ERROR "the installed lm-* plugin: ${cli} --version: '${cli_output}'; lm-score --help: "
        "exit ${lm_result}, '${lm_error}'")
    endif()
  endif()
endif()

# Headers, the CMake package, the pkg-config files, the license and, with dispatch, its static
# library: nothing else (no test data, no private cmake modules outside the package
# directory). The command-line tools (and the CLI's plugins: its language-model commands and
# their SentencePiece tokenizer) are installed only by a build with the tools (EXPECT_CLI),
# never by a package's options.
file(GLOB_RECURSE installed RELATIVE "${PREFIX}" "${PREFIX}/*")
set(unexpected)
foreach(path IN LISTS installed)
  if(NOT (path MATCHES "^include/codelength/.+\\.hpp$"
      OR path MATCHES "^${package_rel}/[A-Za-z_-]+\\.cmake$"
      OR path STREQUAL "share/pkgconfig/codelength.pc"
      OR path STREQUAL "share/doc/codelength/LICENSE"
      OR (EXPECT_DISPATCH AND path STREQUAL "${lib_dir}/libcodelength_dispatch.a")
      OR (EXPECT_DISPATCH AND path STREQUAL "${lib_dir}/pkgconfig/codelength-dispatch.pc")
      OR (EXPECT_CLI AND path STREQUAL "bin/codelength")
      # Built only when MPI, or LibTorch (and SentencePiece), are found.
      OR (EXPECT_CLI AND path STREQUAL "bin/codelength-mpi")
      OR (EXPECT_CLI AND path MATCHES "^lib[^/]*(/[^/]+)?/codelength/codelength-(lm|sentencepiece)\\.so$")))
    list(APPEND unexpected "${path}")
  endif()
endforeach()
if(unexpected)
  message(FATAL_ERROR "the install holds more than headers, config, pkg-config and license: ${unexpected}")
endif()
list(LENGTH installed count)
message(STATUS "installed ${count} files into ${PREFIX} (package: ${package_dir})")
