# LibTorch (optional): codelength::torch, an INTERFACE target for code that includes
# codelength/adapters/torch.hpp (the TorchScript model adapter). It links codelength and
# LibTorch's imported `torch` target, whose include directories CMake treats as SYSTEM (so
# the project's warnings do not fire inside LibTorch's headers).
#   CODELENGTH_WITH_TORCH  ON (default): use LibTorch if find_package(Torch) finds it, and say
#                          so either way; OFF: never look for it.
# Sets codelength_torch_found (TRUE/FALSE) for the tests and the tool. The target is for the
# build tree only (not installed): a consumer links `torch` and includes the header itself.
option(CODELENGTH_WITH_TORCH "Build the LibTorch adapter's tests and tools when LibTorch is found" ON)
set(codelength_torch_found FALSE)
if(CODELENGTH_WITH_TORCH)
  find_package(Torch CONFIG QUIET)
  # LibTorch before 2.1 uses std::vector<c10::IValue> while IValue is incomplete (ATen/core/List.h),
  # which C++20's constexpr std::vector makes ill-formed; GCC accepts it, Clang refuses it
  # (pytorch/pytorch#93978; taken as fixed from 2.1). The library is C++20, so Clang skips older LibTorch.
  set(codelength_torch_compiler_ok TRUE)
  if(Torch_FOUND AND CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND Torch_VERSION VERSION_LESS 2.1)
    set(codelength_torch_compiler_ok FALSE)
    message(NOTICE "codelength: LibTorch ${Torch_VERSION} found, but its headers do not compile as C++20 "
      "with ${CMAKE_CXX_COMPILER_ID} (pytorch/pytorch#93978): the LibTorch adapter's "
      "tests and the lm-* commands are not built; use GCC or LibTorch >= 2.1")
  endif()
  if(Torch_FOUND AND TARGET torch AND codelength_torch_compiler_ok)
    set(codelength_torch_found TRUE)
    add_library(codelength_torch INTERFACE)
    add_library(codelength::torch ALIAS codelength_torch)
    target_link_libraries(codelength_torch INTERFACE codelength torch)
    # Mark LibTorch's headers as system headers even where the imported target is not
    # treated so (e.g. CMake's NO_SYSTEM_FROM_IMPORTED): -isystem, not -I.
    get_target_property(codelength_torch_includes torch INTERFACE_INCLUDE_DIRECTORIES)
    if(codelength_torch_includes)
      target_include_directories(codelength_torch SYSTEM INTERFACE ${codelength_torch_includes})
    endif()
    message(STATUS "codelength: LibTorch ${Torch_VERSION} found: building the LibTorch adapter's tests")
  elseif(codelength_torch_compiler_ok)
    message(NOTICE "codelength: LibTorch not found (install libtorch-dev or set Torch_DIR): "
      "the LibTorch adapter's tests and the lm-* commands are not built")
  endif()
else()
  message(STATUS "codelength: CODELENGTH_WITH_TORCH is OFF: the LibTorch adapter is not built")
endif()
