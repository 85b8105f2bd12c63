"""The effect of each type of intervention: the change beyond the matched pupils', other actions taken out.

``effect`` is one type's estimate; ``settled`` finds every type's at once (each is also taken out of
other pupils' weeks); ``figures`` is one type's row of the impact table.
"""

from __future__ import annotations

import numpy as np

from analytics.attendance_windows import WINDOWS, attendance_percent
from analytics.impact import matching, settings


def rates(arm: dict, names: list[str], effects: dict[str, float], own: str | None = None) -> dict[str, np.ndarray]:
    """Attendance (%) in each window with the estimated effect of other actions taken out.

    An action in the before-window (``earlier``) counts from it on, in the before-window and the
    after-window alike; an action inside the after-window (``later``) from it to the window's end. Pupils helped just before the date are kept as comparison pupils this way:
    leaving them out would leave the pupils whose bad spell had passed out of the comparison, and
    keep the ones whose spell was just starting. Leaving out the pupils helped a few weeks after the
    date instead would drop exactly those whose attendance went on to fall. A later action of the
    pupil's ``own`` type is part of it.
    """
    lookup = np.array([0.0] + [0.0 if x == own else effects.get(x, 0.0) for x in names]) / 100.0
    earlier = lookup[arm["earlier"]]
    out = {}
    for w in WINDOWS:
        attended = arm[f"{w}_attended"]
        if w != "prior":
            attended = attended - earlier * arm[f"earlier_{w}_possible"]
        if w == "after":
            attended = attended - lookup[arm["later"]] * arm["later_possible"]
        out[w] = attendance_percent(attended, arm[f"{w}_possible"])
    for w in WINDOWS:
        if w not in ("before", "after"):
            out[w] = np.where(np.isnan(out[w]), out["before"], out[w])
    return out


def changes(arm: dict, names: list[str], effects: dict[str, float], own: str | None = None) -> np.ndarray:
    """Change after - before, less the estimated effect of other actions (``rates``)."""
    r = rates(arm, names, effects, own)
    return r["after"] - r["before"]


def _slopes(xs: np.ndarray, ys: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares slopes of ``ys`` on ``xs`` (zeros when there are too few rows to fit)."""
    keep = (w > 0) & np.isfinite(ys)
    if keep.sum() <= 2 * (xs.shape[1] + 1):
        return np.zeros(xs.shape[1])
    root = np.sqrt(w[keep])
    design = np.column_stack([np.ones(keep.sum()), xs[keep]]) * root[:, None]
    return np.linalg.lstsq(design, ys[keep] * root, rcond=None)[0][1:]


def effect(m: dict, kind: str, effects: dict[str, float], tw: np.ndarray, counts: np.ndarray) -> tuple:
    """(effect, treated changes, comparison changes) for one type, pupils weighted ``tw`` (treated) and ``counts`` (ids).

    Each comparison change is moved to where the treated pupil started (bias-corrected matching)
    with slopes of change on ``FEATURES`` fitted on the matched pupils (each as often as matched),
    not the whole school: the school's good attenders follow another line.
    """
    arms = matching.arms(m)
    mine, theirs = rates(arms["t"], arms["names"], effects, own=kind), rates(arms["c"], arms["names"], effects)
    change = mine["after"] - mine["before"]
    cand_change = np.where(arms["valid"], theirs["after"] - theirs["before"], np.nan)
    x = np.stack([theirs[w] for w in settings.FEATURES], axis=-1)
    dx = np.stack([mine[w] for w in settings.FEATURES], axis=-1)[:, None, :] - x
    w = np.where(arms["valid"] & np.isfinite(cand_change), counts[m["ids"]].astype(float), 0.0)
    before = np.cumsum(w, axis=1) - w
    take = np.clip(settings.MATCHES - before, 0, w)  # the nearest MATCHES, counted as often as drawn
    fit_w = take * tw[:, None]
    if (fit_w > 0).sum() < settings.SLOPE_ROWS:  # a handful of pupils (or one, on a pupil's page): all their candidates
        fit_w = w * tw[:, None]
    beta = _slopes(x.reshape(-1, len(settings.FEATURES)), cand_change.reshape(-1), fit_w.reshape(-1))
    adj = cand_change + np.nan_to_num(dx) @ beta
    total = take.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        comparison = np.where(total > 0, (take * np.nan_to_num(adj)).sum(axis=1) / total, np.nan)
    ok = tw * np.isfinite(comparison) * np.isfinite(change)
    effect = float((ok * np.nan_to_num(change - comparison)).sum() / ok.sum()) if ok.sum() else np.nan
    return effect, change, comparison


def one_round(matched: dict, effects: np.ndarray, draws: dict | None = None) -> np.ndarray:
    """Every type's effect with ``effects`` (one per type, in ``matched``'s order) taken out of other actions' weeks."""
    given = dict(zip(matched, np.nan_to_num(effects), strict=True))
    return np.array(
        [
            effect(m, kind, given, *(draws[kind] if draws else (np.ones(len(m["treated"])), np.ones(m["n_ids"]))))[0]
            for kind, m in matched.items()
        ]
    )


def settled(matched: dict) -> tuple[np.ndarray, np.ndarray]:
    """Every type's effect where each is also the one taken out of other pupils' weeks (the fixed point), and
    how each moves with the others (the slope of ``one_round``).

    The effects taken out move each estimate almost in a straight line, so a few Newton steps settle
    it; repeated rounds would stop short where many comparison pupils were helped before or after
    the date (each round moves it by the same share of the rest). Where that share is 1 or more
    there is no settled value, and ``LATER_HELP_ROUNDS`` rounds from none are kept.
    """
    n = len(matched)
    effects, slope = np.zeros(n), np.zeros((n, n))
    for _ in range(settings.NEWTON_STEPS):
        now = one_round(matched, effects)
        slope = np.column_stack([one_round(matched, effects + np.eye(n)[j]) - now for j in range(n)])
        if not np.isfinite(slope).all() or np.abs(np.linalg.eigvals(slope)).max() >= 0.95:
            effects = np.zeros(n)
            for _ in range(settings.LATER_HELP_ROUNDS):
                effects = one_round(matched, effects)
            return effects, np.zeros((n, n))
        effects = effects + np.linalg.solve(np.eye(n) - slope, np.nan_to_num(now - effects))
    return effects, slope


def figures(m: dict, kind: str, effects: dict[str, float], drawn: list[float]) -> dict:
    t = m["treated"]
    value, change, comparison = effect(m, kind, effects, np.ones(len(t)), np.ones(m["n_ids"]))
    near = m["cand"][:, : settings.MATCHES]
    used = np.unique(m["ids"][:, : settings.MATCHES][near >= 0])
    drawn = [x for x in drawn if np.isfinite(x)]
    low, high = np.percentile(drawn, [2.5, 97.5]) if drawn else (np.nan, np.nan)
    return {
        "effect": value,
        "pupils": len(t),
        "before_attendance": float(t["before"].mean()),
        "after_attendance": float((t["before"] + change).mean()),
        "change": float(np.nanmean(change)),
        "comparison_pupils": len(used),
        "comparison_change": float(np.nanmean(comparison)),
        "ci_low": float(low),
        "ci_high": float(high),
    }
