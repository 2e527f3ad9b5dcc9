# MPI (optional): codelength::mpi, an INTERFACE target for code that includes
# codelength/distributed/mpi.hpp (shard-ordered reductions of serialized ledgers over an
# MPI_Comm). It links codelength and FindMPI's MPI::MPI_CXX (Open MPI in Debian:
# libopenmpi-dev + openmpi-bin). Only MPI's C API is used: the deprecated MPI-2 C++ bindings
# are skipped (MPI_CXX_SKIP_MPICXX), which also keeps their warnings out of the build.
#   CODELENGTH_WITH_MPI  ON (default): use MPI if find_package(MPI) finds it, and say so either
#                        way; OFF: never look for it.
# Sets codelength_mpi_found (TRUE/FALSE) for the tests and the tools, and leaves FindMPI's
# MPIEXEC_EXECUTABLE, MPIEXEC_NUMPROC_FLAG, MPIEXEC_PREFLAGS and MPIEXEC_POSTFLAGS for the
# tests that run under mpiexec. The target is for the build tree only (not installed): a
# consumer links MPI::MPI_CXX and includes the header itself.
option(CODELENGTH_WITH_MPI "Build the MPI reductions' tests and tools when MPI is found" ON)
set(codelength_mpi_found FALSE)
if(CODELENGTH_WITH_MPI)
  set(MPI_CXX_SKIP_MPICXX ON CACHE BOOL "Do not use MPI's deprecated C++ bindings")
  set(MPI_DETERMINE_LIBRARY_VERSION TRUE) # MPI_CXX_LIBRARY_VERSION_STRING: Open MPI or not
  find_package(MPI COMPONENTS CXX QUIET)
  if(MPI_CXX_FOUND AND TARGET MPI::MPI_CXX AND MPIEXEC_EXECUTABLE)
    set(codelength_mpi_found TRUE)
    add_library(codelength_mpi INTERFACE)
    add_library(codelength::mpi ALIAS codelength_mpi)
    target_link_libraries(codelength_mpi INTERFACE codelength MPI::MPI_CXX)
    # MPI's headers are system headers even where imported targets are not treated so.
    if(MPI_CXX_INCLUDE_DIRS)
      target_include_directories(codelength_mpi SYSTEM INTERFACE ${MPI_CXX_INCLUDE_DIRS})
    endif()
    string(REGEX REPLACE "[,\n].*" "" codelength_mpi_library "${MPI_CXX_LIBRARY_VERSION_STRING}")
    message(STATUS "codelength: MPI ${MPI_CXX_VERSION} found (${codelength_mpi_library}), "
      "mpiexec ${MPIEXEC_EXECUTABLE}: building the MPI reductions' tests")
  elseif(MPI_CXX_FOUND)
    message(NOTICE "codelength: MPI found but no mpiexec (install openmpi-bin): "
      "codelength::mpi and the MPI tests are not built")
  else()
    message(NOTICE "codelength: MPI not found (install libopenmpi-dev and openmpi-bin): "
      "codelength::mpi and the MPI tests are not built")
  endif()
else()
  message(STATUS "codelength: CODELENGTH_WITH_MPI is OFF: codelength::mpi is not built")
endif()
