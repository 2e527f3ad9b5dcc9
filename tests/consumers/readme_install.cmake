# The README's install route, as written: takes the ```sh block of "Installed package" in the
# section "Using codelength in your project", checks that it configures, builds and installs
# (in that order), runs its configure step on a fresh build tree (the README's options, this
# build's generator and compiler), and checks that the install it would perform includes the
# command-line tool bin/codelength. (consumers/install installs this build tree, with the tool
# built, and runs the installed bin/codelength.)
#   cmake -DREADME=<README.md> -DSOURCE_DIR=<src> -DBUILD_DIR=<scratch> -DGENERATOR=<gen>
#         -DCXX=<compiler> -P readme_install.cmake
cmake_minimum_required(VERSION 3.23)

foreach(required README SOURCE_DIR BUILD_DIR GENERATOR CXX)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "readme_install.cmake: ${required} is not set")
  endif()
endforeach()

file(READ "${README}" text)
string(FIND "${text}" "## Using codelength in your project" section_at)
if(section_at LESS 0)
  message(FATAL_ERROR "${README}: no section 'Using codelength in your project'")
endif()
string(SUBSTRING "${text}" ${section_at} -1 text)
string(FIND "${text}" "**Installed package" route_at)
if(route_at LESS 0)
  message(FATAL_ERROR "${README}: no 'Installed package' route")
endif()
string(SUBSTRING "${text}" ${route_at} -1 text)
if(NOT text MATCHES "```sh\n([^`]*)```")
  message(FATAL_ERROR "${README}: the 'Installed package' route has no ```sh block")
endif()
string(REPLACE ";" "," block "${CMAKE_MATCH_1}")
string(REPLACE "\n" ";" block_lines "${block}")

set(steps)
set(configure_args)
foreach(line IN LISTS block_lines)
  string(STRIP "${line}" line)
  if(line STREQUAL "")
    continue()
  endif()
  separate_arguments(words UNIX_COMMAND "${line}")
  list(GET words 0 program)
  if(NOT program STREQUAL "cmake")
    message(FATAL_ERROR "${README}: unexpected step in the install route: ${line}")
  endif()
  list(GET words 1 verb)
  if(verb STREQUAL "-S")
    list(APPEND steps configure)
    # cmake -S . -B build <options>: the options are what the user configures with.
    list(SUBLIST words 5 -1 configure_args)
    list(GET words 2 source)
    list(GET words 4 binary)
    if(NOT source STREQUAL "." OR NOT binary STREQUAL "build")
      message(FATAL_ERROR "${README}: the route should configure with 'cmake -S . -B build': ${line}")
    endif()
  elseif(verb STREQUAL "--build")
    list(APPEND steps build)
  elseif(verb STREQUAL "--install")
    list(APPEND steps install)
  else()
    message(FATAL_ERROR "${README}: unexpected cmake step in the install route: ${line}")
  endif()
endforeach()
if(NOT steps STREQUAL "configure;build;install")
  message(FATAL_ERROR "${README}: the install route's steps are '${steps}', expected configure, build, install "
    "(the command-line tool must be built before cmake --install can install it)")
endif()
message(STATUS "README install route: cmake -S . -B build ${configure_args}; --build; --install")

file(REMOVE_RECURSE "${BUILD_DIR}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BUILD_DIR}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX}" ${configure_args}
  RESULT_VARIABLE result OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the README's configure step failed (${result})")
endif()

# What `cmake --install build` would install: the tool's rule must be there.
file(GLOB_RECURSE install_scripts "${BUILD_DIR}/cmake_install.cmake")
set(cli_rule FALSE)
foreach(script IN LISTS install_scripts)
  file(READ "${script}" rules)
  if(rules MATCHES "/bin\" TYPE EXECUTABLE [^)]*/codelength\"")
    set(cli_rule TRUE)
  endif()
endforeach()
if(NOT cli_rule)
  message(FATAL_ERROR "the README's install route does not install bin/codelength "
    "(no install rule for the command-line tool in ${BUILD_DIR})")
endif()
message(STATUS "the README's install route installs bin/codelength")
