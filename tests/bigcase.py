"""A large synthetic case (ACLED-like attacks and groups) and its expected results,
computed in plain Python without the engine."""

from __future__ import annotations

import datetime
import random

AS_OF = datetime.date(2020, 12, 31)
ACTORS = [f"g{i:03}" for i in range(300)] + ["HTS"]
TARGETS = ["TAF", "RU", "SAA", "CIV", "SDF"]

RULES = """\
ruleset: big
indicators:
  - id: taf-attacks-year
    when:
      count: {match: attack, where: {target: TAF}, within: 365d}
      at_least: __N__
  - id: taf-attacks-year-plus-one
    when:
      count: {match: attack, where: {target: TAF}, within: 365d}
      at_least: __N1__
  - id: ru-attacked-by-jihadists
    when:
      all:
        - {match: attack, as: atk, where: {target: RU}}
        - {match: group, where: {name: $atk.actor, kind: jihadist}}
    derive: {actor: $atk.actor}
  - id: hts-fatal
    when: {match: attack, where: {actor: HTS, fatalities: {gte: 10}}, within: 30d}
scenarios:
  - id: quiet-on-ru
    when: {not: {indicator: ru-attacked-by-jihadists}}
  - id: hts-surge
    when:
      all:
        - indicator: hts-fatal
        - indicator: taf-attacks-year
"""


def generate(n_attacks: int, seed: int = 7) -> tuple[str, str, dict]:
    """(case YAML, ruleset YAML, expected) for a case of n_attacks attacks plus groups."""
    rng = random.Random(seed)
    lines = ["case: big", f"as_of: {AS_OF.isoformat()}", "facts:"]
    jihadist = set()
    for i, name in enumerate(ACTORS):
        kind = "jihadist" if i % 3 == 0 else "other"
        if kind == "jihadist":
            jihadist.add(name)
        lines.append(f"  - {{id: grp-{name}, type: group, name: {name}, kind: {kind}}}")
    taf_in_window = 0
    ru_jihadist = set()
    hts_fatal = 0
    start = AS_OF - datetime.timedelta(days=730)
    for i in range(n_attacks):
        day = start + datetime.timedelta(days=rng.randrange(0, 760))
        actor = rng.choice(ACTORS)
        k = rng.choice((1, 1, 2))
        targets = rng.sample(TARGETS, k)
        fatalities = rng.randrange(0, 20)
        target = targets[0] if k == 1 else "[" + ", ".join(targets) + "]"
        lines.append(
            f"  - {{id: a{i}, type: attack, date: {day.isoformat()}, actor: {actor}, target: {target}, fatalities: {fatalities}}}"
        )
        if day > AS_OF:
            continue
        within = AS_OF - datetime.timedelta(days=365) <= day
        if "TAF" in targets and within:
            taf_in_window += 1
        if "RU" in targets and actor in jihadist:
            ru_jihadist.add(f"a{i}")
        if actor == "HTS" and fatalities >= 10 and AS_OF - datetime.timedelta(days=30) <= day:
            hts_fatal += 1
    rules = RULES.replace("__N1__", str(taf_in_window + 1)).replace("__N__", str(taf_in_window))
    expected = {
        "taf_in_window": taf_in_window,
        "ru_jihadist": len(ru_jihadist),
        "hts_fatal": hts_fatal,
        "statuses": {
            "taf-attacks-year": "triggered",
            "taf-attacks-year-plus-one": "not_triggered",
            "ru-attacked-by-jihadists": "triggered" if ru_jihadist else "not_triggered",
            "hts-fatal": "triggered" if hts_fatal else "not_triggered",
            "quiet-on-ru": "not_triggered" if ru_jihadist else "triggered",
            "hts-surge": "triggered" if hts_fatal else "not_triggered",
        },
    }
    return "\n".join(lines) + "\n", rules, expected
