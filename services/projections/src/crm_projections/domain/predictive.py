"""Predictive scoring as Odoo's (`crm_lead.py` `_pls_get_naive_bayes_probabilities`): the
probability of winning by naive Bayes over how often each of an item's values came up among
won and among lost items, +0.1 smoothing on every frequency, clamped to [0.01, 99.99] %
(Odoo PR #127470). Used for leads (ADR 31) and deals (ADR 30's third layer)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

SMOOTHING = 0.1
LOWEST, HIGHEST = 0.01, 99.99


def naive_bayes(
    item: dict[str, Any],
    history: Iterable[dict[str, Any]],
    values_of: Callable[[dict[str, Any]], dict[str, str]],
) -> dict[str, Any] | None:
    """P(won) for `item` from the others whose `outcome` is won or lost, over the values
    `values_of` reads (Odoo's predictive scoring); None without both won and lost."""
    closed = [h for h in history if h["outcome"] in ("won", "lost") and h["_id"] != item["_id"]]
    won = [values_of(h) for h in closed if h["outcome"] == "won"]
    lost = [values_of(h) for h in closed if h["outcome"] == "lost"]
    if not won or not lost:
        return None
    s_won, s_lost = len(won) / len(closed), len(lost) / len(closed)
    contributions = []
    for name, value in values_of(item).items():
        p_won = (sum(1 for v in won if v[name] == value) + SMOOTHING) / len(won)
        p_lost = (sum(1 for v in lost if v[name] == value) + SMOOTHING) / len(lost)
        s_won, s_lost = s_won * p_won, s_lost * p_lost
        contributions.append(
            {"variable": name, "value": value, "likelihood_ratio": round(p_won / p_lost, 2)}
        )
    probability = 100 * s_won / (s_won + s_lost)
    return {
        "probability": round(min(HIGHEST, max(LOWEST, probability)), 2),
        "won": len(won),
        "lost": len(lost),
        "contributions": sorted(contributions, key=lambda c: -abs(c["likelihood_ratio"] - 1)),
    }
