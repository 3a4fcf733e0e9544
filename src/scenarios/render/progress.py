"""A progress bar on standard error while several cases run. Rich is imported only
when the bar is drawn, so that a run whose report is JSON never loads it."""

from __future__ import annotations

import sys
from typing import Callable


class progress:
    """A progress bar on standard error while several cases run, when it is a terminal;
    entered, it gives the function that advances it by n cases."""

    def __init__(self, total: int):
        self.total = total
        self.bar = None

    def __enter__(self) -> Callable[[int], None]:
        if self.total > 1 and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            task = self.bar.add_task("cases", total=self.total)
            return lambda n: self.bar.advance(task, n)
        return lambda n: None

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
