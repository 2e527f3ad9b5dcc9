// Fake xtensor 0.26 header (views/xstrided_view.hpp): forwards to the flat 0.24 path and leaves a mark,
// so tests/packaging/xtensor026 can see that xtensor_compat.hpp took the 0.26 branch.
#pragma once
#define CODELENGTH_FAKE_XTENSOR_026_XSTRIDED_VIEW 1
#include <xtensor/xstrided_view.hpp>
