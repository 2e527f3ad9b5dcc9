// Umbrella of models/: built-in models.
#pragma once

#include "codelength/models/byte_tokenizer.hpp"
#include "codelength/models/context_mixing.hpp"
#include "codelength/models/logits_replay.hpp"
#include "codelength/models/ngram.hpp"
#include "codelength/models/order0.hpp"
#include "codelength/models/ppm.hpp"
