"""``leadership-pods pods validate [PATH]`` and ``pods list``, and the app refusing an
invalid package dropped into the institution's folder (``LEADERSHIP_PODS_PODS_PATH``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leadership_pods.pods.catalogue import BUILT_IN, load_catalogue
from leadership_pods.pods.validation import validate_package
from leadership_pods.web.scope import settings
from tests.conftest import make_app
from tests.unit.pods.test_validation import SAMPLE, build


def sample_as(folder: Path, title: str) -> Path:
    """A valid copy of the sample package whose slug is ``folder``'s name."""
    shutil.copytree(SAMPLE, folder)
    pod = folder / "pod.yaml"
    pod.write_text(pod.read_text().replace("sample-pod", folder.name).replace("Sample Pod", title))
    return folder


@pytest.fixture
def extra_app(database_url, tmp_path):
    """The app with an institution folder holding a valid pod and one with two problems."""
    extra = tmp_path / "institution-pods"
    build("kc-two-correct", extra)  # sample-pod, invalid
    sample_as(extra / "local-pod", "Local Pod")
    app = make_app(database_url, tmp_path, extra_pods_path=extra)
    yield app
    app.extensions["leadership_pods"]["db"].dispose()


def test_the_built_in_packages_are_clean(runner):
    result = runner.invoke(args=["pods", "validate"])
    assert result.exit_code == 0, result.output
    assert result.output == "4 packages checked, 0 problems\n"


def test_one_valid_package(runner):
    result = runner.invoke(args=["pods", "validate", str(SAMPLE)])
    assert result.exit_code == 0
    assert result.output == "1 package checked, 0 problems\n"


def test_a_folder_of_packages_with_problems(runner, tmp_path):
    folder = build("unknown-simulation", tmp_path / "pods")
    sample_as(tmp_path / "pods" / "other-pod", "Other Pod")
    result = runner.invoke(args=["pods", "validate", str(tmp_path / "pods")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:-1] == validate_package(folder)
    assert lines[0] == f"{folder}/pod.yaml:16: simulation 'triage' is not one this tool provides (budget)"
    assert lines[-1] == "3 problems in 1 of 2 packages"
    assert "Traceback" not in result.output


def test_a_path_that_does_not_exist_is_one_line_and_status_2(runner, tmp_path):
    result = runner.invoke(args=["pods", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.output == f"error: {tmp_path / 'nowhere'} does not exist\n"


@pytest.mark.parametrize("make", [lambda p: p.write_text("x"), lambda p: p.mkdir()],
                         ids=["a file", "an empty folder"])
def test_a_path_with_nothing_to_check_is_status_2(runner, tmp_path, make):
    make(tmp_path / "target")
    result = runner.invoke(args=["pods", "validate", str(tmp_path / "target")])
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1 and result.output.startswith("error: ")


def test_a_subfolder_without_pod_yaml_is_reported(runner, tmp_path):
    (tmp_path / "pods" / "misnamed").mkdir(parents=True)
    (tmp_path / "pods" / "misnamed" / "pod.yml").write_text("slug: misnamed\n")
    result = runner.invoke(args=["pods", "validate", str(tmp_path / "pods")])
    assert result.exit_code == 1
    assert f"{tmp_path}/pods/misnamed/pod.yaml:1: file is missing" in result.output.splitlines()


def test_a_package_reusing_a_built_in_slug_is_reported(runner, tmp_path):
    shutil.copytree(BUILT_IN / "governance", tmp_path / "pods" / "governance")
    result = runner.invoke(args=["pods", "validate", str(tmp_path / "pods")])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{tmp_path}/pods/governance/pod.yaml:1: slug 'governance' is already used by "
        f"{BUILT_IN / 'governance'}",
        "1 problem in 1 of 1 package"]


def test_default_includes_the_configured_folder(extra_app):
    result = extra_app.test_cli_runner().invoke(args=["pods", "validate"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "1 problem in 1 of 6 packages"
    assert "sections/04-knowledge-check.yaml:5: question 'net-revenue' has 2 correct choices" in result.output


def test_default_warns_when_the_configured_folder_is_missing(database_url, tmp_path):
    app = make_app(database_url, tmp_path, extra_pods_path=tmp_path / "missing")
    result = app.test_cli_runner().invoke(args=["pods", "validate"])
    app.extensions["leadership_pods"]["db"].dispose()
    assert result.exit_code == 0
    assert "warning: the configured pods folder" in result.output
    assert result.output.endswith("4 packages checked, 0 problems\n")


def test_list_shows_slug_title_minutes_and_folder(runner):
    result = runner.invoke(args=["pods", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        f"budget-balancing\tBudget Balancing\t120 min\t{BUILT_IN / 'budget-balancing'}")
    assert len(result.output.splitlines()) == 4


def test_the_app_skips_an_invalid_package_and_logs_its_problems(extra_app, caplog):
    with extra_app.app_context():
        extra = settings().extra_pods_path
        catalogue = load_catalogue(extra)
    broken = extra / "sample-pod"
    problems = validate_package(broken)
    assert problems and "local-pod" in [p.slug for p in catalogue.pods]
    assert "sample-pod" not in [p.slug for p in catalogue.pods]
    assert catalogue.refused == ((broken, tuple(problems)),)
    for problem in problems:
        assert f"pod package refused: {problem}" in caplog.text
    listing = extra_app.test_cli_runner().invoke(args=["pods", "list"])
    assert f"local-pod\tLocal Pod\t30 min\t{extra / 'local-pod'}" in listing.output
    assert f"refused: {broken} (1 problem; see `leadership-pods pods validate {broken}`)" in listing.output
