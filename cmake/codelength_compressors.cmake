# Finds the four compressor libraries codelength::baselines links, the same way in the build
# (root CMakeLists.txt) and in the installed package (codelengthConfig.cmake):
#   ZLIB::ZLIB, LibLZMA::LibLZMA             CMake's FindZLIB / FindLibLZMA
#   codelength_deps::zstd                    pkg-config libzstd, else find_library(zstd)
#   codelength_deps::brotlienc               pkg-config libbrotlienc, else find_library(brotlienc)
# codelength_find_compressors(<result-variable>) sets the variable to TRUE when all four were
# found (and their targets exist), FALSE otherwise, and <result-variable>_MISSING to the list
# of what is missing. It never fails itself: the caller decides (FATAL_ERROR in the build, a
# missing optional component in the package). It is a function: the Find modules' variables
# (ZLIB_FOUND, LIBLZMA_FOUND, PKG_CONFIG_FOUND, ...) stay in its scope; only the imported
# targets (directory-scoped) and the Find modules' cache entries remain visible to the caller.
include_guard(GLOBAL)

# codelength_deps::<name> from pkg-config module <module>, or from <header> + library <library>.
function(codelength_find_pkg_library name module header library)
  if(TARGET codelength_deps::${name})
    return()
  endif()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(codelength_pc_${name} QUIET IMPORTED_TARGET ${module})
    if(codelength_pc_${name}_FOUND)
      add_library(codelength_deps::${name} INTERFACE IMPORTED)
      target_link_libraries(codelength_deps::${name} INTERFACE PkgConfig::codelength_pc_${name})
      return()
    endif()
  endif()
  find_path(codelength_${name}_INCLUDE_DIR NAMES ${header})
  find_library(codelength_${name}_LIBRARY NAMES ${library})
  mark_as_advanced(codelength_${name}_INCLUDE_DIR codelength_${name}_LIBRARY)
  if(codelength_${name}_INCLUDE_DIR AND codelength_${name}_LIBRARY)
    add_library(codelength_deps::${name} INTERFACE IMPORTED)
    set_target_properties(codelength_deps::${name} PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${codelength_${name}_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${codelength_${name}_LIBRARY}")
  endif()
endfunction()

function(codelength_find_compressors result)
  set(missing "")
  if(NOT TARGET ZLIB::ZLIB)
    find_package(ZLIB QUIET)
  endif()
  if(NOT TARGET ZLIB::ZLIB)
    list(APPEND missing "zlib (zlib1g-dev)")
  endif()
  if(NOT TARGET LibLZMA::LibLZMA)
    find_package(LibLZMA QUIET)
  endif()
  if(NOT TARGET LibLZMA::LibLZMA)
    list(APPEND missing "liblzma (liblzma-dev)")
  endif()
  codelength_find_pkg_library(zstd libzstd zstd.h zstd)
  if(NOT TARGET codelength_deps::zstd)
    list(APPEND missing "libzstd (libzstd-dev)")
  endif()
  codelength_find_pkg_library(brotlienc libbrotlienc brotli/encode.h brotlienc)
  if(NOT TARGET codelength_deps::brotlienc)
    list(APPEND missing "libbrotlienc (libbrotli-dev)")
  endif()
  set(${result}_MISSING "${missing}" PARENT_SCOPE)
  if(missing)
    set(${result} FALSE PARENT_SCOPE)
  else()
    set(${result} TRUE PARENT_SCOPE)
  endif()
endfunction()
