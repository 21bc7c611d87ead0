"""Skill pods: content packages, the catalogue and the pod pages."""
