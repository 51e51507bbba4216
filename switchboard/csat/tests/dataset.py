"""A hand-written CSAT data set (14 rows) and the values it must give, worked out by hand.

Columns: kind, score, excluded?, agent, org, week, SLA, reason.
"""

from __future__ import annotations

W1, W2 = "2026-01-05", "2026-01-12"
MET, BREACHED = False, True

ROWS = [
    # kind      score        excl   agent org  week SLA       reason
    ("survey", "good", False, "A", "X", W1, MET, 0),  # 1
    ("survey", "good", False, "A", "X", W1, MET, 0),  # 2
    ("survey", "bad", False, "A", "X", W1, BREACHED, 1002),  # 3 not timely
    ("survey", "offered", False, "A", "X", W1, MET, 0),  # 4 offered, no answer
    ("survey", "unoffered", True, "A", "X", W1, None, 0),  # 5 excluded (internal org)
    ("survey", "good", False, "B", "Y", W2, MET, 0),  # 6
    ("survey", "good", False, "B", "Y", W2, MET, 0),  # 7
    ("survey", "good", False, "B", "Y", W2, BREACHED, 0),  # 8
    ("survey", "offered", False, "B", "Y", W2, MET, 0),  # 9
    ("survey", "offered", False, "B", "Y", W2, BREACHED, 0),  # 10
    ("survey", "bad", False, "B", "Y", W2, BREACHED, 1001),  # 11 product
    ("feedback", "good", False, "B", "Y", W2, MET, 0),  # 12 mid-ticket feedback
    ("logged", "bad", False, "A", "X", W2, MET, 1002),  # 13 logged by the CSM, not timely
    ("survey", "unoffered", True, "B", "Y", W2, None, 0),  # 14 excluded (merged)
]

# (eligible, offered, responded, good, bad)
EXPECTED_TOTAL = (12, 10, 7, 6, 3)
# CSAT 6/9, response 7/10, offered 10/12, Wilson lower bound of 6 of 9 at 95 %
EXPECTED_CSAT = 6 / 9  # 66.67 %
EXPECTED_RESPONSE = 0.7
EXPECTED_OFFERED = 10 / 12  # 83.33 %
EXPECTED_WILSON = 0.3542

EXPECTED_BY_AGENT = {"A": (5, 4, 3, 2, 2), "B": (7, 6, 4, 4, 1)}  # CSAT 50 % and 80 %
EXPECTED_BY_WEEK = {W1: (5, 4, 3, 2, 1), W2: (7, 6, 4, 4, 2)}  # 66.7 % both weeks
EXPECTED_BY_SLA = {MET: (6, 6, 4, 5, 1), BREACHED: (4, 4, 3, 1, 2), None: (2, 0, 0, 0, 0)}
EXPECTED_REASONS = {1002: 2, 1001: 1}
