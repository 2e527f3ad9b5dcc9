# codelength_require_march(<target>): stops the configure with a clear message when the
# compiler does not accept -march=<target> (CODELENGTH_ARCH, CODELENGTH_ISA_CHECKS).
include_guard(GLOBAL)
include(CheckCXXCompilerFlag)

function(codelength_require_march target)
  string(MAKE_C_IDENTIFIER "codelength_has_march_${target}" result)
  check_cxx_compiler_flag("-march=${target}" ${result})
  if(NOT ${result})
    message(FATAL_ERROR "${CMAKE_CXX_COMPILER} does not accept -march=${target} "
      "(CODELENGTH_ARCH / CODELENGTH_ISA_CHECKS); x86-64-v3 and x86-64-v4 need GCC 11 or clang 12")
  endif()
endfunction()
