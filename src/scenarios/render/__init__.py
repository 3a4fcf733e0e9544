"""Renderers: each reads a RunResult and draws it; none computes anything."""
