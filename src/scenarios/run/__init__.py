"""The evaluation of a case: worlds through engine sessions, then statuses, near misses,
evidence, critical facts and explanations, gathered into a `RunResult`.

The modules follow the flow: `known` (which facts a run as of a day sees), `session`
(one world in one engine session, the engine's handler), `reading` (what a session
found), `parts` (worlds in parts, merged in order), `critical`, `explain`, `evidence`
and `hypotheses` (what a report says of each item), `evaluation` (the whole run).
"""

from .evaluation import evaluate

__all__ = ["evaluate"]
