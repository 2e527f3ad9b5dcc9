// The baseline unit: compiled with no -m flag, called always.
#define FUNCTION(name) b_##name
#include "compute.ipp"

#if defined(__AVX__)
#error "b.cpp is the baseline unit (see CMakeLists.txt)"
#endif
