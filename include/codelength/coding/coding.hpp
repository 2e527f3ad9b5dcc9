// Umbrella of coding/: quantization of distributions into integer CDFs, the range and binary
// coders, the checked stream format, and sequence/top-k coding with an exact bit ledger.
#pragma once

#include "codelength/coding/binary_coder.hpp"
#include "codelength/coding/byte_io.hpp"
#include "codelength/coding/checksum.hpp"
#include "codelength/coding/coding_ledger.hpp"
#include "codelength/coding/coding_totals.hpp"
#include "codelength/coding/decoding_limits.hpp"
#include "codelength/coding/fingerprint.hpp"
#include "codelength/coding/frequency_model.hpp"
#include "codelength/coding/quantize.hpp"
#include "codelength/coding/range_coder.hpp"
#include "codelength/coding/sequence_coder.hpp"
#include "codelength/coding/stream_errors.hpp"
#include "codelength/coding/stream_format.hpp"
#include "codelength/coding/symbol_interval.hpp"
#include "codelength/coding/top_k_coder.hpp"
