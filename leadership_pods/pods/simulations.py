"""Simulation plug-ins: what a ``simulation`` section of a pod runs.

A plug-in names its template (rendered inside the player), how its answers are
checked and when the section is complete, and the metrics it gives the rubric. The
budget simulation registers itself here (``pods/budget``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .answers import SimulationHooks


@dataclass(frozen=True)
class SimulationPlugin:
    name: str
    #: a Jinja template rendered inside the player for the section
    template: str
    hooks: SimulationHooks
    #: the rubric metrics it provides, from the stored answer (and the whole attempt)
    metrics: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, float]]


_registry: dict[str, SimulationPlugin] = {}


def register(plugin: SimulationPlugin) -> None:
    _registry[plugin.name] = plugin


def plugin_for(name: str | None) -> SimulationPlugin | None:
    return _registry.get(name) if name else None
