"""Suggest a call: the rules measured on the labelled conversations (precision and recall)."""

from __future__ import annotations

from switchboard.calls import suggest
from switchboard.calls.tests.conversations import CONVERSATIONS

CASE_REASON = {
    "unclear": suggest.UNCLEAR,
    "no_info": suggest.NO_INFO,
    "no_progress": suggest.NO_PROGRESS,
    "frustrated": suggest.FRUSTRATED,
}


def measure() -> dict[str, float]:
    tp = fp = fn = tn = right_reason = 0
    for label, case, messages in CONVERSATIONS:
        reasons = suggest.score([suggest.Message(s == "c", text) for s, text in messages])
        flagged = bool(reasons)
        if label and flagged:
            tp += 1
            right_reason += CASE_REASON[case] in reasons
        elif label:
            fn += 1
        elif flagged:
            fp += 1
        else:
            tn += 1
    return {
        "n": len(CONVERSATIONS),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "reason_matches": right_reason / tp if tp else 0.0,
    }


def test_labelled_set_is_large_and_balanced_enough():
    assert len(CONVERSATIONS) >= 40
    positives = sum(1 for label, _, _ in CONVERSATIONS if label)
    assert 15 <= positives <= len(CONVERSATIONS) - 15
    assert {case for label, case, _ in CONVERSATIONS if label} == set(CASE_REASON)


def test_precision_and_recall_on_the_labelled_set(capsys):
    """Figures reported in docs/calls.md; run with -s to print them."""
    figures = measure()
    with capsys.disabled():
        print(
            "\nsuggest-a-call on {n} labelled conversations: precision {precision:.2f}, "
            "recall {recall:.2f} (tp {tp}, fp {fp}, fn {fn}, tn {tn}); the flagged reason "
            "matches the labelled case in {reason_matches:.0%}".format(**figures)
        )
    assert figures["precision"] >= 0.85
    assert figures["recall"] >= 0.85


def test_each_case_and_no_message():
    M = suggest.Message
    assert suggest.score([]) == []
    assert suggest.score([M(True, "It is broken.")]) == [suggest.UNCLEAR]
    frustrated = [
        M(True, "Since 17.2 the error: 500 on push. " * 3),
        M(True, "This is unacceptable!!"),
    ]
    assert suggest.FRUSTRATED in suggest.score(frustrated)
