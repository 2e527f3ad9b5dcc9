// Umbrella of metrics/: the code-length ledger (bits/token, bits/byte, perplexities) and its
// bytes, word counts, Min-K%/Min-K%++, rolling windows, the scoring drivers and membership verdicts.
#pragma once

#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/metrics/ledger_bytes.hpp"
#include "codelength/metrics/mdl.hpp"
#include "codelength/metrics/mdl_report.hpp"
#include "codelength/metrics/membership.hpp"
#include "codelength/metrics/memorization.hpp"
#include "codelength/metrics/memorization_bytes.hpp"
#include "codelength/metrics/memorization_summary.hpp"
#include "codelength/metrics/min_k.hpp"
#include "codelength/metrics/prequential.hpp"
#include "codelength/metrics/rolling_windows.hpp"
#include "codelength/metrics/score.hpp"
#include "codelength/metrics/student_t.hpp"
#include "codelength/metrics/tokenized_document.hpp"
#include "codelength/metrics/word_count.hpp"
