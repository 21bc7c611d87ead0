"""Rubrics: versions faculty edit safely, transparent scoring, grading.

Pure core: ``scoring.py`` (the rules of a score), ``document.py`` (a version's data, the
shape of rubric.yaml), ``validation.py`` (the rules a version must meet, by field),
``diff.py`` (two versions compared, in words), ``editing.py`` (the editor's add / remove /
reorder on the posted form), ``grading.py`` (scoring a stored assessment).

Services (take a Session, only flush): ``versions.RubricService`` (a course's rubric and
its versions, the impact of a change, saving with keep / rescore / requeue, the audit
log) and ``assessments.AssessmentService`` (``on_submit``, ``save_draft``, ``release``,
``return_for_revision``, ``score_of``: the API the grading queue and the passback use).

Web: ``views.py`` (blueprint ``rubrics``: ``/rubrics/<pod>`` and
``/rubrics/<pod>/history``), ``editor_forms.py``, ``templates/rubrics/``.
"""
