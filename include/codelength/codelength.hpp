// Umbrella header: every module that needs no optional dependency (Eigen and xtensor
// adapters are included separately from codelength/adapters/).
#pragma once

#include "codelength/version.hpp"
#include "codelength/core/core.hpp"
#include "codelength/numerics/numerics.hpp"
