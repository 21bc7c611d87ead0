"""Rubrics: versions faculty edit safely, transparent scoring, grading."""
