// Umbrella of compress/: the lossless compressor, where the built-in adaptive byte models
// drive the coders, and its checked file format.
#pragma once

#include "codelength/compress/byte_codec.hpp"
#include "codelength/compress/byte_model_names.hpp"
