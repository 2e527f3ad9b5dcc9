# Lint of the two compatibility rules the packages depend on (nothing compiles Catch2 v3 or a
# real xtensor 0.26 here, so the rules are checked on the sources):
#  - Catch2: the tests use only what v2 (Debian) and v3 (vcpkg, Conan) share. Catch2 comes in
#    only through tests/support/catch.hpp (tests/catch_main.cpp, the v2 main, is the one
#    exception); no CATCH_CONFIG_* elsewhere; no Catch::Detail (v2-only internals); Catch::
#    names only from the list below, each of which exists in both or is provided by the
#    compat header (Catch::Approx, Catch::Contains).
#  - xtensor: only include/codelength/adapters/xtensor_compat.hpp includes <xtensor/...>.
#   cmake -DSOURCE_DIR=<repo> -P check_sources.cmake
cmake_minimum_required(VERSION 3.23)

set(catch_compat "tests/support/catch.hpp")
set(catch_main "tests/catch_main.cpp")
set(xtensor_compat "include/codelength/adapters/xtensor_compat.hpp")
# Catch:: names the tests may use: in v2 and v3 alike, or defined by the compat header.
set(allowed_catch_names Approx Contains StringMaker Matchers::WithinAbs Matchers::WithinRel Matchers::WithinULP)

file(GLOB_RECURSE sources RELATIVE "${SOURCE_DIR}"
  "${SOURCE_DIR}/tests/*.cpp" "${SOURCE_DIR}/tests/*.hpp"
  "${SOURCE_DIR}/include/*.hpp" "${SOURCE_DIR}/examples/*.cpp" "${SOURCE_DIR}/examples/*.hpp"
  "${SOURCE_DIR}/benchmarks/*.cpp" "${SOURCE_DIR}/fuzz/*.cpp" "${SOURCE_DIR}/fuzz/*.hpp")
# The fake xtensor 0.26 tree forwards to the real headers by design.
list(FILTER sources EXCLUDE REGEX "^tests/packaging/xtensor026/")

set(failures)
set(catch_users 0)
foreach(source IN LISTS sources)
  file(STRINGS "${SOURCE_DIR}/${source}" lines)
  set(number 0)
  set(uses_catch FALSE)
  set(includes_compat FALSE)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[<\"]catch2/")
      if(NOT source STREQUAL catch_compat AND NOT source STREQUAL catch_main)
        list(APPEND failures "${source}:${number}: includes Catch2 directly, include \"support/catch.hpp\"")
      endif()
    endif()
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*\"support/catch.hpp\"")
      set(includes_compat TRUE)
    endif()
    if(line MATCHES "(^|[^A-Z_])(TEST_CASE|TEMPLATE_TEST_CASE|SCENARIO)[ \t]*\\(")
      set(uses_catch TRUE)
    endif()
    if(line MATCHES "CATCH_CONFIG_" AND NOT source STREQUAL catch_main)
      list(APPEND failures "${source}:${number}: CATCH_CONFIG_* belongs in ${catch_main} only (v3 configures at build time)")
    endif()
    if(line MATCHES "Catch::Detail" AND NOT source STREQUAL catch_compat)
      list(APPEND failures "${source}:${number}: Catch::Detail is v2-only, use the name from ${catch_compat}")
    endif()
    if(NOT source STREQUAL catch_compat)
      string(REGEX MATCHALL "Catch::[A-Za-z_][A-Za-z0-9_:]*" names "${line}")
      foreach(name IN LISTS names)
        string(REGEX REPLACE "^Catch::" "" name "${name}")
        string(REGEX REPLACE "::$" "" name "${name}")
        if(NOT name IN_LIST allowed_catch_names)
          list(APPEND failures "${source}:${number}: Catch::${name} is not in the v2/v3 subset (${catch_compat} and tests/packaging/check_sources.cmake list it)")
        endif()
      endforeach()
    endif()
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[<\"]xtensor/" AND NOT source STREQUAL xtensor_compat)
      list(APPEND failures "${source}:${number}: includes xtensor directly, include \"${xtensor_compat}\"")
    endif()
  endforeach()
  if(uses_catch)
    math(EXPR catch_users "${catch_users} + 1")
    if(NOT includes_compat)
      list(APPEND failures "${source}: has Catch2 tests but does not include \"support/catch.hpp\"")
    endif()
  endif()
endforeach()

if(catch_users EQUAL 0)
  list(APPEND failures "found no Catch2 test sources under ${SOURCE_DIR}/tests (wrong SOURCE_DIR?)")
endif()
if(failures)
  list(JOIN failures "\n  " shown)
  message(FATAL_ERROR "compatibility lint:\n  ${shown}")
endif()
list(LENGTH sources count)
message(STATUS "compatibility lint: ${count} sources, ${catch_users} Catch2 test files: OK")
