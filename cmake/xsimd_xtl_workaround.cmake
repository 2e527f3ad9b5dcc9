# Debian 12's libxsimd-dev 8.1 exports the imported target `xsimd` with
# INTERFACE_LINK_LIBRARIES "xtl" but its xsimdConfig.cmake never finds xtl, so anything that
# links xsimd gets a bare "-lxtl" on its link line and fails ("cannot find -lxtl"). xsimd 8
# uses xtl only under XSIMD_ENABLE_XTL_COMPLEX, which codelength never sets.
# Used by the root CMakeLists.txt and installed next to codelengthConfig.cmake, which calls it
# after find_dependency(xsimd). No-op for an xsimd that does not link xtl (vcpkg, conda, 9+)
# and when a target `xtl` already exists.
#
# It never modifies `xsimd` (a target codelength does not own): it makes the name resolve.
# The real xtl package (xtl-dev) if it can be found; otherwise an empty IMPORTED INTERFACE
# target `xtl` standing in for the header-only library xsimd does not use here, so the name
# stops being a "-lxtl" link flag. xsimd's INTERFACE_LINK_LIBRARIES stays as xsimd exported it.
function(codelength_repair_xsimd_xtl)
  if(NOT TARGET xsimd OR TARGET xtl)
    return()
  endif()
  get_target_property(links xsimd INTERFACE_LINK_LIBRARIES)
  if(NOT links OR NOT "xtl" IN_LIST links)
    return()
  endif()
  find_package(xtl CONFIG QUIET)
  if(NOT TARGET xtl)
    add_library(xtl INTERFACE IMPORTED)
  endif()
endfunction()
