"""Core commands: frameworks, show, methods, template, check, evaluate, demo."""

from __future__ import annotations
