// Umbrella of core/: errors, units, 16-bit float storage, matrix views, model concepts,
// thread counts.
#pragma once

#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/core/thread_count.hpp"
#include "codelength/core/tokenizer.hpp"
#include "codelength/core/units.hpp"
