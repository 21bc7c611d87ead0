"""Pod pages reached from a launch: the course home, a pod's overview and its rubric."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from ..lti_tool.claims import ROLE_ADMINISTRATOR, ROLE_FACULTY
from ..web.scope import current_launch, settings
from .catalogue import PodMetadata, load_catalogue
from .errors import PodNotFound
from .rendering import render_markdown

blueprint = Blueprint("pods", __name__, url_prefix="/pods", template_folder="templates")


@blueprint.app_template_filter("markdown")
def markdown_filter(text: str | None) -> Any:
    return render_markdown(text)


def _pod_for_launch(slug: str) -> PodMetadata:
    context = current_launch()
    pod = load_catalogue(settings().extra_pods_path).get(slug)
    if context.role not in (ROLE_FACULTY, ROLE_ADMINISTRATOR) and context.pod_slug != slug:
        raise PodNotFound("this pod is not the one placed at the link you opened")
    return pod


@blueprint.get("/")
def course_home() -> str:
    context = current_launch()
    pods = load_catalogue(settings().extra_pods_path).pods
    return render_template("pods/course_home.html", context=context, pods=pods,
                           lt=g.launch_token)


@blueprint.get("/<slug>")
def overview(slug: str) -> str:
    pod = _pod_for_launch(slug)
    return render_template("pods/overview.html", context=g.launch, pod=pod, lt=g.launch_token)


@blueprint.get("/<slug>/rubric")
def rubric(slug: str) -> str:
    pod = _pod_for_launch(slug)
    rubric = load_catalogue(settings().extra_pods_path).package(slug).rubric
    return render_template("pods/rubric.html", context=g.launch, pod=pod, rubric=rubric,
                           criteria=rubric.criteria, lt=g.launch_token)
