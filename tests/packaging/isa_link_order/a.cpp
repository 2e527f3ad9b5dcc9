// The wide unit: compiled with -mavx2 -mfma (or -mavx512f ...), called only behind a CPU check.
#define FUNCTION(name) a_##name
#include "compute.ipp"

#if !defined(__AVX2__) && !defined(__AVX512F__)
#error "a.cpp is the AVX2 / AVX-512 unit (see CMakeLists.txt)"
#endif
