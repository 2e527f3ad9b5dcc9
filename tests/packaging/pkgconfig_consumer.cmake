# Builds and runs pkgconfig_consumer/main.cpp the way a Makefile user would: the compiler,
# -std=c++20 and `pkg-config --cflags --libs <MODULE>`, nothing from CMake. MODULE is
# codelength (the headers: Cflags only, the default) or codelength-dispatch (the library).
#   cmake -DPKG_CONFIG=<pkg-config> -DPREFIX=<installed prefix> -DCXX=<compiler>
#         -DSOURCE=<main.cpp> -DOUTPUT=<program> -DEXPECT_VERSION=x.y.z -DEXPECT_XSIMD=ON|OFF
#         [-DMODULE=codelength|codelength-dispatch] [-DWARNINGS_AS_ERRORS=ON] -P pkgconfig_consumer.cmake
cmake_minimum_required(VERSION 3.23)

foreach(required PKG_CONFIG PREFIX CXX SOURCE OUTPUT EXPECT_VERSION EXPECT_XSIMD)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "pkgconfig_consumer.cmake: ${required} is not set")
  endif()
endforeach()

if(NOT DEFINED MODULE)
  set(MODULE codelength)
endif()

# Only the staged prefix: PKG_CONFIG_LIBDIR keeps the system's .pc directories out of the
# search for codelength, and lists them after it for xsimd (Requires: xsimd).
execute_process(COMMAND "${PKG_CONFIG}" --variable pc_path pkg-config
  OUTPUT_VARIABLE system_pc_path OUTPUT_STRIP_TRAILING_WHITESPACE)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_LIBDIR} "${PREFIX}/share/pkgconfig:${PREFIX}/lib/pkgconfig:${system_pc_path}")

function(pkg_config out)
  execute_process(COMMAND "${PKG_CONFIG}" ${ARGN} ${MODULE}
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE error OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config ${ARGN} ${MODULE} failed: ${error}")
  endif()
  set(${out} "${output}" PARENT_SCOPE)
endfunction()

pkg_config(version --modversion)
pkg_config(cflags --cflags)
pkg_config(libs --libs)
pkg_config(requires --print-requires)
message(STATUS "pkg-config ${MODULE} ${version}: --cflags '${cflags}', --libs '${libs}', requires '${requires}'")
if(NOT version STREQUAL EXPECT_VERSION)
  message(FATAL_ERROR "pkg-config says version ${version}, the project is ${EXPECT_VERSION}")
endif()
if(MODULE STREQUAL "codelength")
  if(NOT libs STREQUAL "")
    message(FATAL_ERROR "header-only: pkg-config --libs codelength should be empty, got '${libs}'")
  endif()
  if(cflags MATCHES "CODELENGTH_DISPATCH")
    message(FATAL_ERROR "codelength.pc is the headers-only path: no CODELENGTH_DISPATCH, got '${cflags}'")
  endif()
else()
  # The library's directory, the library, the define, and codelength's own Cflags through Requires.
  if(NOT libs MATCHES "(^| )-L[^ ]+ -lcodelength_dispatch$" OR NOT cflags MATCHES "-DCODELENGTH_DISPATCH=1"
      OR NOT requires MATCHES "(^|\n)codelength( |\n|$)")
    message(FATAL_ERROR "codelength-dispatch.pc: expected -L<libdir> -lcodelength_dispatch, "
      "-DCODELENGTH_DISPATCH=1 and Requires: codelength")
  endif()
endif()
# -I must name the staged prefix (through ${pcfiledir}, so compare real paths).
separate_arguments(cflag_list UNIX_COMMAND "${cflags}")
set(include_ok FALSE)
foreach(flag IN LISTS cflag_list)
  if(flag MATCHES "^-I(.+)$")
    file(REAL_PATH "${CMAKE_MATCH_1}" included)
    file(REAL_PATH "${PREFIX}/include" expected_include)
    if(included STREQUAL expected_include)
      set(include_ok TRUE)
    endif()
  endif()
endforeach()
if(NOT include_ok)
  message(FATAL_ERROR "pkg-config --cflags codelength does not add ${PREFIX}/include: '${cflags}'")
endif()
if(EXPECT_XSIMD)
  # (Requires: xsimd is codelength.pc's; codelength-dispatch.pc gets it through codelength.)
  if(NOT cflags MATCHES "-DCODELENGTH_USE_XSIMD=1" OR (MODULE STREQUAL "codelength" AND NOT requires MATCHES "^xsimd"))
    message(FATAL_ERROR "built with xsimd: expected -DCODELENGTH_USE_XSIMD=1 and Requires: xsimd")
  endif()
elseif(cflags MATCHES "XSIMD" OR requires MATCHES "xsimd")
  message(FATAL_ERROR "built without xsimd, but the .pc mentions it")
endif()

set(warning_flags -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast)
if(WARNINGS_AS_ERRORS)
  list(APPEND warning_flags -Werror)
endif()
separate_arguments(lib_list UNIX_COMMAND "${libs}")
set(command "${CXX}" -std=c++20 ${cflag_list} ${warning_flags} "-DCONSUMER_EXPECTED_VERSION=\"${version}\""
  "${SOURCE}" -o "${OUTPUT}" ${lib_list})
list(JOIN command " " shown)
message(STATUS "${shown}")
execute_process(COMMAND ${command} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the pkg-config consumer did not compile")
endif()
execute_process(COMMAND "${OUTPUT}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the pkg-config consumer failed (${result})")
endif()
