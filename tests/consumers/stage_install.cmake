# Installs codelength into a clean staging prefix and checks what landed there.
#   cmake -DBUILD_DIR=<build tree> -DPREFIX=<stage> [-DCONFIG=<cfg>] [-DEXPECT_XSIMD=ON|OFF]
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
set(package_dir "")
foreach(candidate share/cmake/codelength lib/cmake/codelength lib64/cmake/codelength)
  if(EXISTS "${PREFIX}/${candidate}/codelengthConfig.cmake")
    set(package_dir "${PREFIX}/${candidate}")
    break()
  endif()
endforeach()
if(NOT package_dir)
  message(FATAL_ERROR "no codelengthConfig.cmake under ${PREFIX}")
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
if(targets_text MATCHES "codelength_project_options|-march|-W[a-z]")
  message(FATAL_ERROR "codelengthTargets.cmake leaks the project's private options")
endif()
file(READ "${package_dir}/codelengthConfig.cmake" config_text)
if(DEFINED EXPECT_XSIMD)
  if(EXPECT_XSIMD AND NOT targets_text MATCHES "xsimd")
    message(FATAL_ERROR "built with xsimd, but the exported target does not link it")
  elseif(NOT EXPECT_XSIMD AND targets_text MATCHES "xsimd")
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

file(GLOB_RECURSE installed RELATIVE "${PREFIX}" "${PREFIX}/*")
list(LENGTH installed count)
message(STATUS "installed ${count} files into ${PREFIX} (package: ${package_dir})")
