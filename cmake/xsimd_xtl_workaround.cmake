# Debian 12's libxsimd-dev 8.1 exports the imported target `xsimd` with
# INTERFACE_LINK_LIBRARIES "xtl" but its xsimdConfig.cmake never finds xtl, so anything that
# links xsimd gets a bare "-lxtl" on its link line and fails ("cannot find -lxtl"). xsimd 8
# uses xtl only under XSIMD_ENABLE_XTL_COMPLEX, which codelength never sets.
# Used by the root CMakeLists.txt and installed next to codelengthConfig.cmake, which calls it
# after find_dependency(xsimd). No-op for an xsimd that does not link xtl (vcpkg, conda, 9+).
function(codelength_repair_xsimd_xtl)
  if(NOT TARGET xsimd OR TARGET xtl)
    return()
  endif()
  get_target_property(links xsimd INTERFACE_LINK_LIBRARIES)
  if(NOT links OR NOT "xtl" IN_LIST links)
    return()
  endif()
  # Prefer the real xtl target (xtl-dev); without it, drop the dangling name.
  find_package(xtl CONFIG QUIET)
  if(NOT TARGET xtl)
    list(REMOVE_ITEM links xtl)
    set_property(TARGET xsimd PROPERTY INTERFACE_LINK_LIBRARIES "${links}")
  endif()
endfunction()
