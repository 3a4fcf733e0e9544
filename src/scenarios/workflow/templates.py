"""Starting files for `scenarios new`: a documented case or ruleset that already loads.

The two templates go together: the case's facts trigger one scenario of the ruleset
and leave the other a near miss, so a first `scenarios run` shows every part of the
report.
"""

from __future__ import annotations

import datetime
import os
from typing import Optional

from ..errors import InputError, Problem, excerpt
from ..model import ID_RE

MAX_NAME = 200  # the id names the file: most file systems take 255 bytes a name

KINDS = ("case", "ruleset")
FOLDERS = {"case": "cases", "ruleset": "rulesets"}

CASE = """\
# yaml-language-server: $schema=../schemas/case.schema.json
# A case: the situation as dated, sourced facts. Run it, check it as you write it:
#   scenarios run cases/{name}.yaml -r RULESET
#   scenarios check cases/{name}.yaml
# Editors complete and check this file against the schema on the first line
# (`scenarios schema case > schemas/case.schema.json` writes it).

case: {name}                     # id: lowercase letters, digits and '-'
title: One line saying what the situation is
as_of: {as_of}                # the day of the analysis: `within:` windows count back from it;
                                 # facts dated (or reported) after it are left out of the run
# rulesets: [my-rules]           # the rulesets to run by default, by id (else give -r)

# Who reports the facts, with their Admiralty reliability: A completely reliable,
# B usually reliable, C fairly reliable, D not usually reliable, E unreliable,
# F cannot be judged.
sources:
  ministry: {{name: Ministry of Defence statements, reliability: B}}
  local:    {{name: Local sources and activists, reliability: D}}

facts:
  # Each fact has a unique id and a type (what a rule's `match:` tests), and may have a
  # date, a source (a key of `sources`), an Admiralty credibility (1 confirmed,
  # 2 probably true, 3 possibly true, 4 doubtful, 5 improbable, 6 cannot be judged)
  # and a text. Every other key is an attribute: a string, a number, a boolean, a
  # date (YYYY-MM-DD) or a list of those.
  # `date` is when it happened (what windows test); `reported`, when you could first
  # know of it: a run as of an earlier day leaves the fact out.
  - id: border-deployment
    type: deployment
    date: {deployed}
    reported: {attacked}
    actor: ARMY
    personnel: 5000
    area: border
    source: ministry
    credibility: 2
    text: The army deploys about 5,000 troops to the border area.

  # A contested attribute holds the competing hypotheses of the case. Each combination
  # of choices is a world; the report says which scenarios hold in which worlds. With
  # your probabilities `p` on every alternative (each key's summing to 1), it also says
  # how likely each contested scenario is, in ICD 203 words ("likely, 62%").
  - id: convoy-attack
    type: attack
    date: {attacked}
    target: ARMY
    method: IED
    actor:
      one_of:
        - {{value: GROUP-A, source: local, credibility: 3, p: 0.7}}
        - {{value: GROUP-B, source: ministry, credibility: 4, p: 0.3}}
    source: ministry
    credibility: 2
    text: An IED hits an army convoy; who planted it is disputed.

  # A whole fact may be uncertain: `present: {{one_of: [true, false]}}` makes it exist
  # in some worlds only, and `present: false` leaves it out of the run while it stays
  # written down.
"""

RULESET = """\
# yaml-language-server: $schema=../schemas/ruleset.schema.json
# A ruleset: indicators derived from the facts of a case, and scenarios triggered by
# facts and indicators. Run, check and test it:
#   scenarios run CASE -r {name}
#   scenarios check rulesets/{name}.yaml
#   scenarios test rulesets/          (tests go in rulesets/{name}.tests.yaml)
# Editors complete and check this file against the schema on the first line
# (`scenarios schema ruleset > schemas/ruleset.schema.json` writes it).

ruleset: {name}                  # id: lowercase letters, digits and '-'
title: What these rules are about

# Vocabulary the cases use: ARMY the national army; GROUP-A, GROUP-B armed groups.
# Fact types: attack, deployment.

indicators:
  - id: attack-on-army
    title: An armed group attacks the army (last 30 days)
    when:
      match: attack                      # some fact of this type
      where: {{target: {{contains: ARMY}}}}  # whose attributes pass these tests
      within: 30d                        # dated in the 30 days up to as_of

  - id: army-buildup
    title: The army has a large force in the area (5,000 troops or more)
    when:
      match: deployment
      where: {{actor: ARMY, personnel: {{gte: 5000}}}}

  - id: attack-series
    title: Three or more attacks or clashes on the army in three months
    when:
      count: {{match: [attack, clash], where: {{target: {{contains: ARMY}}}}, within: 3m}}
      at_least: 3                        # match: [...]: a fact of any of these types

  - id: warning-signs
    title: Two or more warning signs at once
    when:
      of:                                # how many of these conditions hold
        - indicator: attack-on-army
        - indicator: attack-series
        - {{match: statement, where: {{actor: GROUP-A, subject: ceasefire, stance: rejects}}}}
      at_least: 2

scenarios:
  - id: crackdown
    title: The army cracks down on the armed groups
    description: A scenario holds when its `when` does; `all` needs every condition.
    when:
      all:
        - indicator: attack-on-army
        - indicator: army-buildup
        - not: {{scenario: insurgency}}    # negation: the other scenario does not hold
    implications:
      - Raids and checkpoints in the areas the groups operate from
    signposts:
      - Curfews declared in the border towns

  - id: insurgency
    title: An insurgency starts against the army
    when:
      all:
        - indicator: warning-signs
        - indicator: army-buildup
    implications:
      - A sustained campaign of attacks on fixed positions and convoys
    signposts:
      - Attacks claimed by new groups
      - Convoys moving only with escorts
"""


def default_path(kind: str, name: str) -> str:
    """Where `scenarios new` writes a file of this kind and name by default."""
    return os.path.join(FOLDERS[kind], f"{name}.yaml")


def template(kind: str, name: str, today: Optional[datetime.date] = None) -> str:
    """The text of a new case or ruleset file named `name`; a case is as of `today`."""
    today = today or datetime.date.today()
    if kind == "case":
        return CASE.format(
            name=name,
            as_of=today.isoformat(),
            deployed=(today - datetime.timedelta(days=10)).isoformat(),
            attacked=(today - datetime.timedelta(days=2)).isoformat(),
        )
    return RULESET.format(name=name)


def check_name(kind: str, name: str) -> None:
    """InputError unless `kind` is case or ruleset and `name` is a valid id."""
    if kind not in KINDS:
        raise InputError([Problem(kind, f"not a kind of file: give {' or '.join(KINDS)}", code="usage")])
    if not ID_RE.match(name):
        raise InputError([Problem(excerpt(name), f"is not a valid {kind} id: use lowercase letters, digits and '-'", code="value")])
    if len(name) > MAX_NAME:
        raise InputError([Problem(excerpt(name), f"is {len(name)} characters long: a {kind} id for a file name has at most {MAX_NAME}", code="limit")])


def write_new(kind: str, name: str, output: Optional[str] = None, today: Optional[datetime.date] = None) -> str:
    """Write a new case or ruleset file (`cases/NAME.yaml`, `rulesets/NAME.yaml`, or
    `output`) and give its path. InputError when the name is not an id or the file
    exists: nothing is ever overwritten."""
    check_name(kind, name)
    if output == "":
        raise InputError([Problem("-o", "names no file: give a path, or leave -o out", code="usage")])
    path = output or default_path(kind, name)
    if os.path.lexists(path):
        raise InputError([Problem(path, "already exists: nothing was written (choose another name, or -o PATH)", code="file")])
    folder = os.path.dirname(path)
    made = None
    if folder and not os.path.isdir(folder):
        if output is not None:
            raise InputError([Problem(path, "cannot be written: no such folder", code="file")])
        try:
            os.makedirs(folder)
        except OSError as exc:
            raise InputError([Problem(folder, f"cannot be made: {exc.strerror or exc}", code="file")]) from None
        made = folder
    text = template(kind, name, today)
    try:
        f = open(path, "x", encoding="utf-8", newline="\n")
    except FileExistsError:
        raise InputError([Problem(path, "already exists: nothing was written (choose another name, or -o PATH)", code="file")]) from None
    except OSError as exc:
        _remove_folder(made)  # a folder made for a file that could not be
        raise InputError([Problem(path, f"cannot be written: {exc.strerror or exc}", code="file")]) from None
    try:
        with f:
            f.write(text)
    except BaseException as exc:
        os.unlink(path)  # never leave half a file, even when the command is terminated
        _remove_folder(made)
        if isinstance(exc, OSError):
            raise InputError([Problem(path, f"cannot be written: {exc.strerror or exc}", code="file")]) from None
        raise
    return path


def _remove_folder(folder: Optional[str]) -> None:
    if folder:
        try:
            os.removedirs(folder)
        except OSError:
            pass
