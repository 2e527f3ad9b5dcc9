"""codelength.rolling_windows: every token scored exactly once, with the most context the model
allows, and the same windows as lm-evaluation-harness's rolling log-likelihood."""

import itertools
import math

import numpy as np
import pytest

import codelength

CASES = [(n, context, stride)
         for n in (0, 1, 2, 3, 7, 10, 64, 100, 257)
         for context in (1, 2, 3, 5, 16, 100, 300)
         for stride in sorted({1, 2, max(1, context // 2), max(1, context - 1), context})
         if stride <= context]


def lm_eval_rolling_windows(tokens, prefix_token, max_seq_len, context_len):
    """lm-evaluation-harness's get_rolling_token_windows (lm_eval/utils.py), written out here."""
    assert 1 <= context_len <= max_seq_len
    if not tokens:
        return
    pred_len = max_seq_len - context_len + 1
    predicted = 0
    first_seq_len = min(max_seq_len, len(tokens))
    yield [prefix_token] + tokens[:first_seq_len - 1], tokens[:first_seq_len]
    predicted += first_seq_len
    while predicted < len(tokens):
        window_pred_len = min(len(tokens) - predicted, pred_len)
        window_end = predicted + window_pred_len
        yield tokens[window_end - max_seq_len - 1:window_end - 1], tokens[window_end - window_pred_len:window_end]
        predicted += window_pred_len


@pytest.mark.parametrize("n,context,stride", CASES)
def test_every_token_is_scored_once_with_enough_context(n, context, stride):
    windows = codelength.rolling_windows(n, context, stride)
    assert len(windows) == (0 if n == 0 else math.ceil(max(n - context, 0) / stride) + 1)
    covered = np.zeros(n, dtype=np.int64)
    previous_end = 0
    for w in windows:
        begin, end, scored_begin = w  # a named tuple
        assert (w.begin, w.end, w.scored_begin) == (begin, end, scored_begin)
        assert 0 <= begin <= scored_begin < end <= n
        assert end - begin <= context
        assert begin == max(0, end - context)  # the most context the model allows
        assert scored_begin == previous_end      # consecutive, in order
        previous_end = end
        covered[scored_begin:end] += 1
        # The first scored target sees context - stride targets before it, or all of them.
        assert scored_begin - begin >= min(context - stride, scored_begin)
    assert np.all(covered == 1)
    assert previous_end == n


@pytest.mark.parametrize("n,context,stride", CASES)
def test_same_windows_as_lm_evaluation_harness(n, context, stride):
    tokens = list(range(n))
    expected = list(lm_eval_rolling_windows(tokens, -1, context, context - stride + 1))
    windows = codelength.rolling_windows(n, context, stride)
    assert len(windows) == len(expected)
    for w, (inputs, targets) in zip(windows, expected):
        assert [t - 1 for t in range(w.begin, w.end)] == inputs  # input of target t is token t - 1 (-1: BOS)
        assert list(range(w.scored_begin, w.end)) == targets


def test_documented_example_and_one_window_for_a_short_text():
    assert codelength.rolling_windows(10, 4, 2) == [(0, 4, 0), (2, 6, 4), (4, 8, 6), (6, 10, 8)]
    assert codelength.rolling_windows(5, 8, 3) == [codelength.TokenWindow(0, 5, 0)]
    assert codelength.rolling_windows(0, 8, 3) == []
    assert repr(codelength.rolling_windows(3, 3, 3)[0]) == "TokenWindow(begin=0, end=3, scored_begin=0)"


def test_large_documents():
    windows = codelength.rolling_windows(10**7, 4096, 1024)
    assert len(windows) == math.ceil((10**7 - 4096) / 1024) + 1
    assert windows[-1].end == 10**7 and windows[-1].begin == 10**7 - 4096


@pytest.mark.parametrize("n,context,stride,match", [
    (-1, 4, 2, "n_tokens"), (10, 0, 1, "context_tokens"), (10, 4, 0, "stride_tokens"),
    (10, 4, 5, "stride_tokens"), (10, -3, -3, "context_tokens")])
def test_bad_arguments(n, context, stride, match):
    with pytest.raises(codelength.InvalidArgumentError, match=match):
        codelength.rolling_windows(n, context, stride)
    with pytest.raises(ValueError):
        codelength.rolling_windows(n, context, stride)


def test_non_integers_are_refused():
    for args in itertools.permutations([10, 4, 2.5]):
        with pytest.raises(TypeError):
            codelength.rolling_windows(*args)
