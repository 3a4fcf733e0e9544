"""What a report says in sentences: the bottom line of a run, of several runs and of a
diff, and what each mark of a report means.

Everything here is plain text made from a result, never a second evaluation, so the
terminal report, Markdown, HTML and JSON (`summary`) all say the same sentences. No
sentence that holds a likelihood word also holds an evidence grade (ICD 203).
"""

from __future__ import annotations

import re
from typing import Optional

from .model import CREDIBILITY_WORDS, RELIABILITY_WORDS, SHAKY_WORDS, UNGRADED_WORDS
from .result import ItemResult, RunResult
from .words import value_text

NEAR_MISSES_SAID = 3  # near misses the bottom line names before "N more below"
CASES_NAMED = 5  # cases named in a sentence of the bottom line of several runs
MISSING_SAID = 5  # what a near miss lacks, said before "and N more" (an `of` may list thousands)

# `fact.present = true`, as a run says a hypothesis about whether a fact happened
_PRESENT = re.compile(r"\b([a-z0-9][a-z0-9-]*)\.present = (true|false)\b")
# how a run says that no simple combination of hypotheses describes where an item holds
_NO_SIMPLE = re.compile(r"in (\d+) of (\d+) worlds, under no simple combination of hypotheses")


# -- words shared by every format --------------------------------------------------

# a status as a report says it: the ones that matter shout
STATUS_WORDS = {
    "triggered": "TRIGGERED",
    "contested": "CONTESTED",
    "near_miss": "NEAR MISS",
    "not_triggered": "not triggered",
}


def status_key(r: ItemResult) -> str:
    """`near_miss` for a near miss, else the item's status."""
    return "near_miss" if r.status == "not_triggered" and r.near_miss else r.status


def holds_in(n: int, worlds: int) -> str:
    """`holds in 2 of 4 combinations of hypotheses`: what a world count means to a reader."""
    return f"holds in {n} of {worlds} combinations of hypotheses"


def percent(p: float) -> str:
    """A probability as a whole percentage; never 0% or 100% unless it is exactly that."""
    whole = round(p * 100)
    if whole == 0 and p > 0:
        return "<1%"
    if whole == 100 and p < 1:
        return ">99%"
    return f"{whole}%"


def likelihood(r: ItemResult) -> Optional[str]:
    """`likely, 62%` for an item with a likelihood word; None otherwise (no `p` in the
    case, or a probability of 0 or 1, which its status says)."""
    if r.probability is None or r.likelihood is None:
        return None
    return f"{r.likelihood}, {percent(r.probability)}"


def hypothesis(text: str) -> str:
    """A hypothesis as a run words it (`convoy-attack.actor = HTS`), with the ones about
    whether a fact happened said so: `strike happened`, `strike did not happen`."""
    return _PRESENT.sub(lambda m: f"{m.group(1)} {'happened' if m.group(2) == 'true' else 'did not happen'}", text)


def alternative(key: str, value_words: str) -> str:
    """One alternative of a contested key in words: `HTS`, or for `present`,
    `happened` / `did not happen`."""
    if key == "present" and value_words in ("true", "false"):
        return "happened" if value_words == "true" else "did not happen"
    return value_words


def assumption(key: str, value_words: str) -> str:
    """What a piece of evidence assumes, in words: `actor = HTS`, or `it happened`."""
    if key == "present" and value_words in ("true", "false"):
        return "it happened" if value_words == "true" else "it did not happen"
    return f"{key} = {value_words}"


def ways(holds_if: list) -> str:
    """The ways a contested item holds, any one enough, in words."""
    said = [hypothesis(_NO_SIMPLE.sub(r"in \1 of the \2 combinations of hypotheses, no simpler to say", w)) for w in holds_if]
    return (" — or — " if any(" and " in w for w in said) else " or ").join(said)  # `and` binds first, visibly


def holds_only_if(holds_if: list) -> str:
    """`holds only if convoy-attack.actor = HTS`; for an item whose combinations no
    simple choice of hypotheses describes, `holds in 3 of the 8 combinations...`."""
    if len(holds_if) == 1 and _NO_SIMPLE.fullmatch(holds_if[0]):
        return "holds " + ways(holds_if)
    return "holds only if " + ways(holds_if)


def hypothesis_rows(result: RunResult) -> list:
    """Each contested key as a report lists it: (its label, [(alternative in words,
    grade, source name, contested scenarios it leads to under every combination, and
    under some as `id (1 of 2)`)]). A scenario triggered under every combination
    leads from every hypothesis: the board says so once, and it is left out here."""
    contested = {r.id for r in result.scenarios if r.status == "contested"}
    matrix = [(iid, cells) for iid, cells in result.matrix if iid in contested]
    out = []
    n = 0  # the matrix has a column an alternative, in the order of the hypotheses
    for h in result.hypotheses:
        alternatives = []
        for k, (value, source, name, grade) in enumerate(h.alternatives):
            every = [iid for iid, cells in matrix if n < len(cells) and cells[n][0] == cells[n][1] > 0]
            some = [f"{iid} ({cells[n][0]} of {cells[n][1]}{_given(result, iid, n)})" for iid, cells in matrix if n < len(cells) and 0 < cells[n][0] < cells[n][1]]
            words = alternative(h.key, value_text(value))
            if h.p is not None:  # the analyst's probability of this hypothesis
                words += f", {percent(h.p[k])}"
            alternatives.append((words, grade, name or source, every, some))
            n += 1
        out.append((h.fact if h.key == "present" else f"{h.fact}.{h.key}", alternatives))
    return out


def _given(result: RunResult, iid: str, column: int) -> str:
    """`, 62% if so`: with p, how likely the item is given the column's hypothesis."""
    given = result.matrix_given.get(iid)
    if not given or given[column] is None:
        return ""
    return f", {percent(given[column])} if so"


def leads_to(every: list, some: list) -> str:
    """`leads to a, b; in some combinations c (1 of 2)`, or nothing."""
    parts = []
    if every:
        parts.append("leads to " + ", ".join(every))
    if some:
        parts.append(("in some combinations " if every else "leads in some combinations to ") + ", ".join(some))
    return "; ".join(parts)


def _title(r) -> str:
    return (r.title or r.id).rstrip(". ")


def _listed(names: list) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _some(names: list, limit: int = CASES_NAMED) -> str:
    if len(names) <= limit:
        return _listed(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


# -- the bottom line of a run ------------------------------------------------------


def bottom_line(result: RunResult) -> list:
    """The sentences a report opens with: what is triggered, what is contested and on
    which hypotheses it turns (with the likelihood when the case gives `p`), and the
    nearest misses with what they lack. With `--explain`, the explained item alone."""
    if result.explanation is not None:
        r = result.find(result.explanation.item)
        return item_sentences(r, result.worlds) if r is not None else []
    scenarios = result.scenarios
    out = []
    triggered = [r for r in scenarios if r.status == "triggered"]
    if triggered:
        every = " under every combination of hypotheses" if result.worlds > 1 else ""
        out.append(f"Triggered{every}: " + "; ".join(_title(r) for r in triggered) + ".")
    groups: dict = {}
    for r in scenarios:
        if r.status == "contested":
            groups.setdefault(tuple(r.holds_if), []).append(r)
    for holds, items in groups.items():
        named = []
        for r in items:
            odds = likelihood(r)
            named.append(_title(r) + (f" ({odds})" if odds else ""))
        said = holds_only_if(list(holds))
        out.append(said[0].upper() + said[1:] + ": " + "; ".join(named) + ".")
    if not triggered and not groups:
        out.append("No scenario is triggered" + ("" if any(r.near_miss for r in scenarios) else ", and none is a near miss") + ".")
    misses = sorted((r for r in scenarios if r.near_miss), key=lambda r: len(r.missing))
    for r in misses[:NEAR_MISSES_SAID]:
        out.append(near_miss_sentence(r))
    if len(misses) > NEAR_MISSES_SAID:
        more = len(misses) - NEAR_MISSES_SAID
        out.append(f"{more} more near miss{'es are' if more > 1 else ' is'} listed below.")
    return out


def near_miss_sentence(r: ItemResult) -> str:
    return f"Near miss: {_title(r)}; missing: {lacking(r.missing) or 'some of its conditions'}."


def lacking(missing: list) -> str:
    """What a near miss lacks, in a sentence: the first few, then how many more."""
    said = "; ".join(line.rstrip(". ") for line in missing[:MISSING_SAID])
    if len(missing) > MISSING_SAID:
        said += f"; and {len(missing) - MISSING_SAID:,} more"
    return said


def item_sentences(r: ItemResult, worlds: int) -> list:
    """The bottom line of one item, as `--explain` opens with it."""
    kind = r.kind
    if r.status == "triggered":
        every = " under every combination of hypotheses" if worlds > 1 else ""
        return [f"The {kind} {r.id} is triggered{every}: {_title(r)}."]
    if r.status == "contested":
        odds = likelihood(r)
        return [f"The {kind} {r.id} is contested: {_title(r)} {holds_only_if(r.holds_if)}" + (f" ({odds})" if odds else "") + "."]
    if r.near_miss:
        return [f"The {kind} {r.id} is a near miss: {_title(r)}.", "Missing: " + lacking(r.missing) + "."]
    return [f"The {kind} {r.id} is not triggered: {_title(r)}."]


# -- the bottom line of several runs -----------------------------------------------


def cases_bottom_line(results: list) -> list:
    """The sentences that open the board of a run of several cases: for each scenario
    triggered, contested or a near miss somewhere, where it is which."""
    found: dict = {}
    order: list = []
    for result in results:
        for r in result.scenarios:
            key = status_key(r)
            if key == "not_triggered":
                continue
            if r.id not in found:
                found[r.id] = (_title(r), {})
                order.append(r.id)
            odds = likelihood(r)
            found[r.id][1].setdefault(key, []).append(result.case + (f" ({odds})" if odds else ""))
    if not order:
        return [f"No scenario is triggered, contested or a near miss in any of the {len(results)} cases."]
    rank = {"triggered": 0, "contested": 1, "near_miss": 2}
    order.sort(key=lambda iid: (min(rank[k] for k in found[iid][1]), -len(found[iid][1].get("triggered", ())), iid))
    out = []
    for iid in order:
        title, where = found[iid]
        parts = []
        for key, words in (("triggered", "triggered"), ("contested", "contested"), ("near_miss", "a near miss")):
            cases = where.get(key)
            if not cases:
                continue
            every = len(cases) == len(results) and len(results) > 1
            parts.append(f"{words} in every case" if every and key == "triggered" else f"{words} in {_some(cases)}")
        out.append(f"{title}: " + "; ".join(parts) + ".")
    return out


# -- the bottom line of a diff -----------------------------------------------------


def diff_bottom_line(diff) -> list:
    """The sentences that open a diff or a what-if: each scenario whose status changed,
    and the facts behind the change, then how many indicators and facts changed."""
    changed_keys = {f.id: [k.key for k in f.keys] for f in diff.changed}
    out = []
    if diff.counterfactual:
        out.append("What if: " + "; ".join(diff.counterfactual) + ".")
        lead = ""
    else:
        lead = f"Since {diff.old.as_of}" + (f" ({diff.old.case})" if diff.old.case != diff.new.case else "") + ": "
    first = len(out)
    scenarios = [c for c in diff.items if c.kind == "scenario"]
    for c in scenarios:
        sentence = f"{_title(c)} {_change_words(c)}"
        why = _because(c, changed_keys)
        if why:
            sentence += f", because {why}"
        out.append(sentence + ".")
    if not scenarios:
        out.append(("no" if lead else "No") + " scenario changed status.")
    out[first] = lead + out[first]
    indicators = sum(1 for c in diff.items if c.kind == "indicator")
    if indicators:
        out.append(f"{indicators} indicator{'s' if indicators != 1 else ''} changed status too.")
    counts = [(len(diff.added), "added"), (len(diff.removed), "gone"), (len(diff.changed), "changed")]
    said = [f"{n} {word}" for n, word in counts if n]
    if said:
        out.append("Facts: " + ", ".join(said) + ".")
    return out


def _change_words(c) -> str:
    old = said_status(c.old_status, c.old_near_miss)
    if c.change == "newly_triggered":
        return f"is newly triggered (was {old})"
    if c.change == "newly_contested":
        return f"is now contested: it {holds_only_if(c.holds_if)} (was {old})"
    if c.change == "cleared":
        return f"no longer holds (was {old}" + ("; now a near miss)" if c.new_near_miss else ")")
    if c.change == "new_near_miss":
        return "is now a near miss; missing: " + lacking(c.missing)
    return f"is no longer a near miss (now {said_status(c.new_status, c.new_near_miss)})"


def said_status(status: Optional[str], near: bool) -> str:
    """A status as a sentence says it: `triggered`, `a near miss`, `not in the rulesets`."""
    if status is None:
        return "not in the rulesets"
    if near:
        return "a near miss"
    return status.replace("_", " ")


def _because(c, changed_keys: dict) -> str:
    """`of the new fact a, the loss of b and a change to c (date), through x`."""
    parts = []
    if c.added:
        parts.append(("the new fact " if len(c.added) == 1 else "the new facts ") + _listed(c.added))
    if c.removed:
        parts.append("the loss of " + _listed(c.removed))
    for fid in c.changed:
        keys = changed_keys.get(fid) or []
        parts.append(f"a change to {fid}" + (f" ({', '.join(keys)})" if keys else ""))
    if parts and c.through:
        return "of " + _listed(parts) + ", through " + _listed(c.through)
    if parts:
        return "of " + _listed(parts)
    if c.through:
        return _listed(c.through) + " changed status"
    return ""


# -- what the marks mean -----------------------------------------------------------

STATUS_MEANINGS = {
    "triggered": "holds under every combination of the competing hypotheses",
    "contested": "holds under some combinations only: 'holds only if' says which",
    "near_miss": "does not hold, but some of the conditions it needs do: 'missing' says what is lacking",
    "not_triggered": "does not hold",
}


def grades_of(result: RunResult, annex: bool = False) -> list:
    """Every grade a report of this run prints, in a fixed order; with `annex`, the
    grades of the facts annex of a briefing too."""
    grades: list = []
    if result.explanation is not None:
        for e in result.explanation.evidence:
            grades.append(e.grade)
            grades.extend(a.grade for a in e.assumes)
        return grades
    for r in result.scenarios:
        if r.status in ("triggered", "contested"):
            for e in r.evidence:
                grades.append(e.grade)
                grades.extend(a.grade for a in e.assumes)
    for r in result.items():
        if r.weakest is not None and r.status != "not_triggered":
            grades.append(r.weakest.grade)
    for h in result.hypotheses:
        grades.extend(alt[3] for alt in h.alternatives)
    if annex:
        grades.extend(e.grade for e in result.facts)
    return grades


def grade_scale() -> str:
    """The Admiralty scale in one sentence, from the one vocabulary of the model."""
    letters = ", ".join(f"{k} {v}" for k, v in RELIABILITY_WORDS.items())
    digits = ", ".join(f"{k} {v}" for k, v in CREDIBILITY_WORDS.items())
    return f"Admiralty grades: the letter rates the source: {letters}; the digit rates the information: {digits}"


def legend(result: RunResult, annex: bool = False) -> list:
    """(mark, meaning) for every mark the report of this run prints: its status words,
    combinations of hypotheses, likelihood, grades and their `?`, ⚠, `ungraded`, and
    with `--explain` ✓ ✗ ?; with `annex`, the marks of a briefing's facts annex too."""
    out = []
    if result.explanation is not None:
        found = result.find(result.explanation.item)
        statuses = [status_key(found) if found is not None else result.explanation.status]
        items: list = []
    else:
        items = result.items()
        statuses = [status_key(r) for r in items]
    for key in ("triggered", "contested", "near_miss", "not_triggered"):
        if key in statuses:
            meaning = STATUS_MEANINGS[key] if result.worlds > 1 or key in ("near_miss", "not_triggered") else "holds"
            out.append((STATUS_WORDS[key], meaning))
    if any(r.status == "contested" for r in items):
        out.append((f"in n of {result.worlds}", f"holds in n of the {result.worlds} combinations of the competing hypotheses"))
    example = next((likelihood(r) for r in result.items() if likelihood(r)), None)
    if example:
        out.append((example, "how likely it is to hold, weighing each combination of hypotheses by the analysts' probabilities (p); the words are those of ICD 203"))
    grades = grades_of(result, annex)
    if grades:
        out.append(("A1 … F6", grade_scale()))
    meanings = {str(g): g.meaning for g in grades if g.reliability is None or g.credibility is None}
    out += [(text, meanings[text]) for text in sorted(meanings)]  # `?` is a part not given
    if any(g.shaky for g in grades):
        out.append(("⚠", SHAKY_WORDS))
    if any(ungraded(r) for r in items):
        out.append(("ungraded", UNGRADED_WORDS))
    if result.explanation is not None:
        out += _condition_marks(result.explanation.tree)
    return out


def ungraded(r: ItemResult) -> bool:
    """An item that holds on evidence none of which can be graded: `ungraded` in a board."""
    return r.weakest is None and bool(r.evidence) and r.status != "not_triggered"


def _condition_marks(tree) -> list:
    seen = set()
    stack = [tree]
    while stack:
        n = stack.pop()
        seen.add(n.holds)
        stack.extend(n.children)
    words = {True: ("✓", "this part holds"), False: ("✗", "this part does not hold"), None: ("?", "this part depends on names bound elsewhere in the condition")}
    return [words[k] for k in (True, False, None) if k in seen]


# -- a timeline ---------------------------------------------------------------------------


def said_day(status: str) -> str:
    """A status of a timeline in the report's words (lower case)."""
    return STATUS_WORDS[status].lower()


def timeline_bottom_line(t) -> list:
    """The sentences a timeline opens with: for each scenario that changed, what it
    was on the first day, each change with its day, and where it stands on the last;
    then how many did not change."""
    out = []
    still = []
    for item in t.items:
        if item.kind != "scenario":
            continue
        if not item.changes:
            still.append(item.id)
            continue
        moves = [f"{said_day(item.statuses[0])} from {t.since}"]
        shown = item.changes if len(item.changes) <= 5 else item.changes[:2] + item.changes[-2:]
        for k, c in enumerate(shown):
            if k == 2 and len(item.changes) > 5:
                moves.append(f"… ({len(item.changes) - 4} changes)")
            moves.append(f"{said_day(c.after)} from {c.day}")
        odds = ""
        if item.probabilities is not None and item.statuses[-1] == "contested":
            odds = f" ({percent(item.probabilities[-1])} on {t.until})"
        out.append(f"{_title(item)}: {', '.join(moves)}{odds}.")
    if still:
        out.append(f"No change from {t.since} to {t.until}: {_some(still)}.")
    return out
