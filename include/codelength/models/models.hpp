// Umbrella of models/: built-in models.
#pragma once

#include "codelength/models/logits_replay.hpp"
