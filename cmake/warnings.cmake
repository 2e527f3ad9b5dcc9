# Warning flags for the project's own targets (tests, examples, benchmarks); never exported.
function(codelength_set_warnings target as_errors)
  if(MSVC)
    target_compile_options(${target} INTERFACE /W4 /permissive-)
    if(as_errors)
      target_compile_options(${target} INTERFACE /WX)
    endif()
  else()
    target_compile_options(${target} INTERFACE
      -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
      -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference
      -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
    # GCC 12 false positives: the deliberately undefined registers inside its own AVX-512
    # intrinsics (_mm512_undefined_ps) as maybe-uninitialized wherever they are inlined (GCC
    # bug 105593), and -Wrestrict on std::string concatenation and -Wnull-dereference inside
    # std::vector::resize at -O3 (GCC bug 105651 and relatives), and -Warray-bounds /
    # -Wstringop-overflow on memmove inside std::vector growth at -O3 (GCC bug 107852 and
    # relatives; the sanitizer leg checks the same code for real overflows).
    target_compile_options(${target} INTERFACE
      $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-maybe-uninitialized -Wno-restrict $<$<CONFIG:Release>:-Wno-null-dereference -Wno-array-bounds -Wno-stringop-overflow>>)
    if(as_errors)
      target_compile_options(${target} INTERFACE -Werror)
    endif()
  endif()
endfunction()
