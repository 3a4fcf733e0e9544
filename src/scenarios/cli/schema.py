"""`scenarios schema`: the JSON Schema of case or ruleset files, for editors.

Exit codes: 0 printed; 2 usage.
"""

from __future__ import annotations

import click

from ..schema import SCHEMAS, schema_text
from .output import standard_output


@click.command("schema", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("kind", metavar="case|ruleset", type=click.Choice(sorted(SCHEMAS)))
def schema(kind: str) -> None:
    """Print the JSON Schema (draft 2020-12) of case or ruleset files.

    Editors use it for completion, hover help and checks as you type: point a
    YAML file at it with a first line such as
    `# yaml-language-server: $schema=../schemas/case.schema.json`.
    The schema checks the shape of a file; `scenarios check` checks the rest
    (that sources, ids and $names are known, that dates name real days).

    \b
    Examples:
      scenarios schema case > schemas/case.schema.json
      scenarios schema ruleset > schemas/ruleset.schema.json
    """
    with standard_output():
        click.echo(schema_text(kind), nl=False)
