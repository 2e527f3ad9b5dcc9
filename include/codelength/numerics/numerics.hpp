// Umbrella of numerics/: the fused row-statistics kernel, compensated and exact sums.
#pragma once

#include "codelength/numerics/compensated_sum.hpp"
#include "codelength/numerics/dispatch.hpp"
#include "codelength/numerics/exact_sum.hpp"
#include "codelength/numerics/row_kernel.hpp"
#include "codelength/numerics/row_statistics.hpp"
