"""scenarios: indicators and scenarios over dated, sourced facts, on a Rete engine."""

__version__ = "0.1.0"
