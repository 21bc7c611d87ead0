"""The pod package validator (``pods/validation.py``): the built-in packages are valid, a
small sample package loads as typed sections, and each kind of mistake gets its own
message with its file and line.

Fixtures: ``packages/sample-pod/`` is a valid package with one section of each type;
``packages/broken/<kind>/`` holds only the files that differ from it (a ``REMOVE`` file
lists files to delete). ``build`` copies the sample and lays the broken files over it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadership_pods.pods.catalogue import BUILT_IN, load_catalogue
from leadership_pods.pods.errors import PodPackageError
from leadership_pods.pods.validation import (
    PLAYER_METRICS,
    SIMULATION_METRICS,
    allowed_metrics,
    load_package,
    validate_package,
)
from leadership_pods.pods.validation_model import (
    BranchingCaseSection,
    ConfidenceSection,
    DeliverableSection,
    KnowledgeCheckSection,
    MicroLearningSection,
    ReflectionSection,
    SimulationSection,
)
from leadership_pods.pods.validation_support import html_tags

PACKAGES = Path(__file__).parent / "packages"
SAMPLE = PACKAGES / "sample-pod"
BROKEN = PACKAGES / "broken"


def build(kind: str, root: Path) -> Path:
    """The sample package with the files of ``broken/<kind>`` laid over it, in ``root``."""
    folder = root / "sample-pod"
    shutil.copytree(SAMPLE, folder)
    overlay = BROKEN / kind
    for source in overlay.rglob("*"):
        if source.is_file() and source.name != "REMOVE":
            target = folder / source.relative_to(overlay)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    if (overlay / "REMOVE").is_file():
        for name in (overlay / "REMOVE").read_text().split():
            (folder / name).unlink()
    return folder


def relative(folder: Path, problems: list[str]) -> list[str]:
    return [p.removeprefix(f"{folder}/") for p in problems]


@pytest.mark.parametrize("folder", sorted(p for p in BUILT_IN.iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_built_in_package_is_valid(folder):
    assert validate_package(folder) == []


def test_built_in_package_loads_as_typed_sections():
    package = load_package(BUILT_IN / "budget-balancing")
    assert package.metadata.slug == "budget-balancing" and package.metadata.simulation == "budget"
    kinds = [type(s.content) for s in package.sections]
    assert kinds[0] is ConfidenceSection and kinds[-1] is ConfidenceSection
    assert {MicroLearningSection, KnowledgeCheckSection, BranchingCaseSection, SimulationSection,
            DeliverableSection, ReflectionSection} <= set(kinds)
    assert [s.ref.id for s in package.sections] == [r.id for r in package.metadata.sections]
    assert package.rubric.total_points == 100 and package.rubric.pass_mark == 85
    assert {c.metric for c in package.rubric.criteria} - {None} <= allowed_metrics("budget")


def test_sample_package_loads_every_section_type():
    package = load_package(SAMPLE)
    sections = {s.ref.id: s.content for s in package.sections}
    before, after = sections["confidence-before"], sections["confidence-after"]
    assert isinstance(before, ConfidenceSection) and isinstance(after, ConfidenceSection)
    assert before.when == "before" and after.when == "after" and len(before.scale) == 5
    video = sections["video"]
    assert isinstance(video, MicroLearningSection) and video.video is not None
    assert video.video.captions == "captions/levers.vtt" and video.video.url == ""
    check = sections["knowledge-check"]
    assert isinstance(check, KnowledgeCheckSection)
    assert [q.multiple for q in check.questions] == [False, True]
    assert check.questions[1].choices[2].correct is False  # correct defaults to false
    case = sections["case"]
    assert isinstance(case, BranchingCaseSection)
    assert case.node(case.start).choices[0].tags == ("data-driven",)
    assert case.node("end-poor").end is not None and case.node("end-poor").end.outcome == "poor"
    deliverable = sections["deliverable"]
    assert isinstance(deliverable, DeliverableSection)
    assert deliverable.speaking and deliverable.target_minutes == 1
    assert deliverable.prompts[1].help == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        package.rubric.criteria[0].points = 99  # type: ignore[misc]


@pytest.mark.parametrize("kind", sorted(p.name for p in BROKEN.iterdir()))
def test_each_mistake_gets_its_own_message_with_file_and_line(kind, tmp_path):
    folder = build(kind, tmp_path)
    assert relative(folder, validate_package(folder)) == EXPECTED[kind]


def test_every_expected_message_has_a_fixture():
    assert sorted(EXPECTED) == sorted(p.name for p in BROKEN.iterdir())


def test_load_package_raises_the_same_problems(tmp_path):
    folder = build("unknown-simulation", tmp_path)
    with pytest.raises(PodPackageError) as info:
        load_package(folder)
    assert info.value.problems == validate_package(folder)
    assert len(info.value.problems) == 3


def test_problems_are_sorted_by_file_then_line(tmp_path):
    folder = build("unknown-simulation", tmp_path)
    reflection = folder / "sections" / "08-reflection.yaml"
    reflection.write_text(reflection.read_text().replace("label", "lable").replace("intro", "intra"))
    problems = validate_package(folder)
    keys = [(m[1], int(m[2])) for m in (re.match(r"(.+?):(\d+): ", p) for p in problems) if m]
    assert len(keys) == len(problems)
    assert keys == sorted(keys) and len({k[0] for k in keys}) == 4
    assert f"{reflection}:1: unknown key 'intra' (did you mean 'intro'?)" in problems


def test_slug_must_be_lowercase_letters_digits_and_hyphens(tmp_path):
    folder = tmp_path / "Sample_Pod"
    shutil.copytree(SAMPLE, folder)
    pod = folder / "pod.yaml"
    pod.write_text(pod.read_text().replace("slug: sample-pod", "slug: Sample_Pod"))
    assert relative(folder, validate_package(folder)) == [
        "pod.yaml:1: slug must be 3-60 of a-z, 0-9 and '-'"]


def test_a_new_simulation_adds_its_metrics_to_the_registry(tmp_path, monkeypatch):
    folder = build("unknown-simulation", tmp_path)  # simulation: triage
    for name in ("sections/06-simulation.yaml", "rubric.yaml"):
        path = folder / name
        path.write_text(path.read_text().replace("budget", "triage")
                        .replace("margin_vs_target", "triage_accuracy"))
    assert len(validate_package(folder)) == 2
    monkeypatch.setitem(SIMULATION_METRICS, "triage", frozenset({"triage_accuracy"}))
    assert validate_package(folder) == []
    assert allowed_metrics("triage") == PLAYER_METRICS | {"triage_accuracy"}


def test_the_catalogue_refuses_an_invalid_package_with_the_same_problems(tmp_path, caplog):
    extra = tmp_path / "extra"
    broken = build("kc-two-correct", extra)
    catalogue = load_catalogue(extra)
    assert [p.slug for p in catalogue.pods] == ["budget-balancing", "governance",
                                                "quality-improvement", "strategic-thinking"]
    assert catalogue.refused == ((broken, tuple(validate_package(broken))),)
    assert f"pod package refused: {validate_package(broken)[0]}" in caplog.text


def test_the_catalogue_reloads_when_a_section_file_is_fixed(tmp_path, monkeypatch):
    monkeypatch.setattr("leadership_pods.pods.catalogue.RECHECK_SECONDS", 0.0)
    extra = tmp_path / "extra"
    broken = build("kc-two-correct", extra)
    assert load_catalogue(extra).refused
    fixed = broken / "sections" / "04-knowledge-check.yaml"
    shutil.copyfile(SAMPLE / "sections" / "04-knowledge-check.yaml", fixed)
    stat = fixed.stat()
    os.utime(fixed, (stat.st_atime, stat.st_mtime + 5))
    catalogue = load_catalogue(extra)
    assert not catalogue.refused and "sample-pod" in [p.slug for p in catalogue.pods]


@pytest.mark.parametrize("markdown", [
    "See <https://example.org/pl> or <someone@example.org>.",
    "Use `<div>` in a code span; 3 < 4 and a<b.",
    "```html\n<script>fenced code</script>\n```\n",
    "An HTML-free **bold** paragraph.",
])
def test_markdown_without_raw_html(markdown):
    assert html_tags(markdown) == []


def test_raw_html_is_found_once_per_line():
    text = "ok\n<b>bold</b> and <i>\n<!-- a comment -->\ntext <iframe src=x>\n</div>"
    assert html_tags(text) == [(1, "<b"), (2, "<!--"), (3, "<iframe"), (4, "</div")]


@given(st.text(alphabet=st.characters(blacklist_characters="<")))
def test_text_without_a_less_than_sign_has_no_html(text):
    assert html_tags(text) == []


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True), st.text(max_size=20))
def test_a_tag_is_found_unless_it_is_code(name, before):
    tag = f"<{name}>"
    assert html_tags(before.replace("<", "").replace("`", "") + tag)[-1][1] == f"<{name}"
    assert html_tags(f"`{tag}`") == []


EXPECTED: dict[str, list[str]] = {
    'case-bad-outcome': [
        "sections/05-case.yaml:29: outcome must be strong, mixed or poor, not 'great'",
    ],
    'case-loop': [
        "sections/05-case.yaml:28: choice 'restart' of node 'review' leads back to node 'first', so a path can go round forever; every path must reach an end",
    ],
    'case-next-missing': [
        "sections/05-case.yaml:9: choice 'data' leads to node 'reveiw', which does not exist (did you mean 'review'?)",
        "sections/05-case.yaml:16: node 'review' cannot be reached from the start node 'first'",
    ],
    'case-node-both': [
        "sections/05-case.yaml:37: node 'end-poor' has both choices and end; it must be one or the other",
    ],
    'case-node-neither': [
        "sections/05-case.yaml:37: node 'end-poor' needs either choices or end",
    ],
    'case-start-missing': [
        "sections/05-case.yaml:2: start node 'begin' is not one of the nodes",
    ],
    'case-unreachable': [
        "sections/05-case.yaml:36: node 'orphan' cannot be reached from the start node 'first'",
    ],
    'confidence-item-duplicate-id': [
        "sections/01-confidence-before.yaml:12: item id 'read-pl' is used twice (first on line 10)",
        "sections/09-confidence-after.yaml:12: item id 'read-pl' is used twice (first on line 10)",
    ],
    'confidence-items-count': [
        "sections/01-confidence-before.yaml:9: 'items' has 3 entries; it needs 4 to 6",
        "sections/09-confidence-after.yaml:9: 'items' has 3 entries; it needs 4 to 6",
    ],
    'confidence-items-differ': [
        'sections/09-confidence-after.yaml:9: the closing confidence items must be the opening ones (sections/01-confidence-before.yaml): missing present; extra presentation',
    ],
    'confidence-scale': [
        "sections/01-confidence-before.yaml:3: 'scale' has 4 entries; it needs exactly 5",
    ],
    'confidence-when': [
        "sections/01-confidence-before.yaml:1: when must be 'before' or 'after', not 'during'",
    ],
    'deliverable-min-max': [
        'sections/07-deliverable.yaml:6: min_words (90) is more than max_words (80)',
    ],
    'deliverable-missing-label': [
        "sections/07-deliverable.yaml:8: missing key 'label'",
    ],
    'deliverable-speaking-minutes': [
        'sections/07-deliverable.yaml:13: speaking is true, so target_minutes (the length of the talk) is needed',
    ],
    'duplicate-key': [
        "sections/08-reflection.yaml:2: key 'intro' is written twice in one mapping (first on line 1)",
    ],
    'empty-file': [
        'sections/08-reflection.yaml:1: file is empty',
    ],
    'empty-value': [
        "pod.yaml:2: 'title' is empty",
    ],
    'file-outside-package': [
        "pod.yaml:57: section file '../other-pod/sections/08-reflection.yaml' is outside the package folder",
    ],
    'id-not-text': [
        "sections/08-reflection.yaml:6: 'id' must be text, not a whole number (put it in quotes)",
    ],
    'kc-choice-id-duplicate': [
        "sections/04-knowledge-check.yaml:10: choice id 'a' is used twice (first on line 6)",
    ],
    'kc-missing-feedback': [
        "sections/04-knowledge-check.yaml:6: missing key 'feedback'",
    ],
    'kc-no-correct': [
        "sections/04-knowledge-check.yaml:5: question 'net-revenue' has no correct choice; mark one with correct: true",
    ],
    'kc-one-choice': [
        "sections/04-knowledge-check.yaml:5: 'choices' has 1 entry; it needs at least 2 entries",
    ],
    'kc-two-correct': [
        "sections/04-knowledge-check.yaml:5: question 'net-revenue' has 2 correct choices; mark exactly one, or set multiple: true",
    ],
    'markdown-html': [
        "sections/02-slides.yaml:8: raw HTML '<script' in 'body': the player does not show raw HTML; write it in Markdown",
        "sections/03-video.yaml:2: raw HTML '<iframe' in 'intro': the player does not show raw HTML; write it in Markdown",
    ],
    'micro-format-unknown': [
        "sections/02-slides.yaml:1: format must be 'slides' or 'video', not 'slide' (did you mean 'slides'?)",
    ],
    'minutes-not-positive': [
        "pod.yaml:31: 'minutes' must be more than 0, not 0",
    ],
    'minutes-sum': [
        'pod.yaml:6: planned_minutes is 35 but the sections add up to 30',
    ],
    'missing-key': [
        "pod.yaml:1: missing key 'summary'",
    ],
    'missing-rubric': [
        'rubric.yaml:1: file is missing',
    ],
    'missing-section-file': [
        "pod.yaml:57: section file 'sections/08-reflections.yaml' does not exist in the package",
    ],
    'not-a-mapping': [
        'sections/08-reflection.yaml:1: the file must hold a mapping of keys to values, not a list',
    ],
    'not-utf8': [
        'sections/08-reflection.yaml:4: not UTF-8 text (byte 0xe9); save the file as UTF-8',
    ],
    'objectives-count': [
        "pod.yaml:12: 'objectives' has 2 entries; it needs 3 to 6",
    ],
    'pod-closes-with-before': [
        "pod.yaml:58: a pod must end with a confidence section (when: after); section 'confidence-after' has when: before",
    ],
    'pod-opens-without-confidence': [
        "pod.yaml:18: a pod must open with a confidence section (when: before); section 'slides' is micro-learning",
    ],
    'reflection-no-prompts': [
        "sections/08-reflection.yaml:2: 'prompts' has 0 entries; it needs at least 1 entry",
    ],
    'rubric-auto-without-metric': [
        'rubric.yaml:9: scoring: auto needs a metric (one of: case_outcome, case_tags_covered, justification_coverage, knowledge_check_percent, margin_vs_target, negotiation_outcome, numbers_cited, quality_floors_kept)',
    ],
    'rubric-criterion-duplicate': [
        "rubric.yaml:20: criterion id 'margin' is used twice (first on line 4)",
    ],
    'rubric-faculty-with-metric': [
        'rubric.yaml:25: metric is only used with scoring: auto',
    ],
    'rubric-levels-order': [
        "rubric.yaml:19: level 'developing' (2 points) must be worth more than the level before it ('beginning', 4); order levels lowest first",
    ],
    'rubric-metric-needs-simulation': [
        "rubric.yaml:10: metric 'margin_vs_target' needs 'simulation: budget' in pod.yaml",
    ],
    'rubric-metric-unknown': [
        "rubric.yaml:10: metric 'margin_vs_targt' is not one this pod provides (did you mean 'margin_vs_target'?)",
    ],
    'rubric-no-criteria': [
        'rubric.yaml:2: the criteria add up to 0 points; a rubric needs criteria worth more than 0',
    ],
    'rubric-pass-mark': [
        'rubric.yaml:2: pass_mark must be a percent from 0 to 100, not 120',
    ],
    'rubric-points-zero': [
        "rubric.yaml:23: 'points' must be more than 0, not 0",
    ],
    'rubric-scoring': [
        "rubric.yaml:24: scoring must be auto or faculty, not 'peer'",
    ],
    'rubric-top-level': [
        "rubric.yaml:19: the top level 'proficient' is worth 8 points but the criterion is worth 10",
    ],
    'rubric-unknown-key': [
        "rubric.yaml:2: unknown key 'pass_marks' (did you mean 'pass_mark'?)",
    ],
    'section-id-duplicate': [
        "pod.yaml:28: section id 'slides' is used twice (first on line 23)",
    ],
    'section-id-pattern': [
        "pod.yaml:28: section id 'Video_Segment' must be made of a-z, 0-9 and '-'",
    ],
    'section-type-unknown': [
        "pod.yaml:34: section type 'knowledge_check' is not known (did you mean 'knowledge-check'?)",
    ],
    'simulation-name-mismatch': [
        "sections/06-simulation.yaml:1: simulation 'triage' does not match pod.yaml's simulation 'budget'",
    ],
    'simulation-without-section': [
        "pod.yaml:16: simulation 'budget' is named but no section has type simulation",
    ],
    'slides-missing-transcript': [
        "sections/02-slides.yaml:11: missing key 'transcript'",
    ],
    'slug-mismatch': [
        "pod.yaml:1: slug 'sample' differs from the folder name 'sample-pod'",
    ],
    'subtitle-two-lines': [
        'pod.yaml:3: subtitle must be one line',
    ],
    'summary-too-long': [
        'pod.yaml:4: summary has 5 sentences; the catalogue shows 1 to 3',
    ],
    'title-too-long': [
        'pod.yaml:2: title is 89 characters; the most is 80',
    ],
    'unknown-competency': [
        "pod.yaml:8: 'leadershp' is not an AMA competency (did you mean 'leadership'?)",
    ],
    'unknown-key': [
        "pod.yaml:56: unknown key 'minuts' (did you mean 'minutes'?)",
    ],
    'unknown-key-no-suggestion': [
        "pod.yaml:6: unknown key 'colour' (known keys: slug, title, summary, stage, planned_minutes, competencies, readiness_dimensions, objectives, sections, subtitle, simulation)",
    ],
    'unknown-simulation': [
        "pod.yaml:16: simulation 'triage' is not one this tool provides (budget)",
        "rubric.yaml:10: metric 'margin_vs_target' needs 'simulation: budget' in pod.yaml",
        "sections/06-simulation.yaml:1: simulation 'budget' does not match pod.yaml's simulation 'triage'",
    ],
    'unknown-stage': [
        "pod.yaml:5: stage must be one of resident, fellow, early-career-attending, not 'attending'",
    ],
    'video-captions-missing': [
        "sections/03-video.yaml:6: captions file 'captions/intro.vtt' does not exist in the package",
    ],
    'video-captions-not-vtt': [
        "sections/03-video.yaml:6: captions file 'captions/levers.srt' must be a WebVTT file ending in .vtt",
    ],
    'video-captions-not-webvtt': [
        "captions/levers.vtt:1: a captions file must start with 'WEBVTT' (it is not a WebVTT file)",
    ],
    'video-captions-outside': [
        "sections/03-video.yaml:6: captions file '../levers.vtt' is outside the package folder",
    ],
    'video-embed': [
        'sections/03-video.yaml:5: video embed must be a YouTube or Vimeo link, or empty',
    ],
    'video-missing-transcript': [
        "sections/03-video.yaml:1: missing key 'transcript'",
    ],
    'video-url': [
        'sections/03-video.yaml:4: video url must be an http(s) link to an .mp4 or .webm file, or empty',
    ],
    'wrong-type': [
        "pod.yaml:6: 'planned_minutes' must be a whole number, not text",
    ],
    'yaml-syntax': [
        'sections/08-reflection.yaml:5: YAML syntax error: mapping values are not allowed here',
    ],
}
