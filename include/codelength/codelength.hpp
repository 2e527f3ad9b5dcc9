// Umbrella header: every module that needs no optional dependency (Eigen and xtensor
// adapters are included separately from codelength/adapters/).
#pragma once

#include "codelength/coding/coding.hpp"
#include "codelength/compress/compress.hpp"
#include "codelength/core/core.hpp"
#include "codelength/io/io.hpp"
#include "codelength/metrics/metrics.hpp"
#include "codelength/models/models.hpp"
#include "codelength/numerics/numerics.hpp"
#include "codelength/version.hpp"
