"""Faculty pages of a pod link: its settings and the roster of residents' progress.

Both need a faculty or administrator launch from a link to that very pod: the
placement, and so the course and the attempts shown, come from the launch, never from
an id in the URL.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..lti_tool.claims import LaunchContext
from ..web.scope import current_launch, database, db_session, http, key_cipher, settings
from .attempts import AttemptService
from .catalogue import load_catalogue
from .errors import PodError, PodNotFound
from .faculty import (
    STATUS_LABELS,
    PlacementSettingsService,
    RosterService,
    nrps_client_for,
    read_members,
    video_sections,
)
from .faculty_forms import settings_form_for
from .validation_model import PodPackage

blueprint = Blueprint("pods_faculty", __name__, url_prefix="/pods", template_folder="templates")


def _faculty_link(slug: str) -> tuple[LaunchContext, PodPackage]:
    context = current_launch("faculty", "administrator")
    package = load_catalogue(settings().extra_pods_path).package(slug)
    if context.pod_slug != slug or not context.resource_link_id:
        raise PodNotFound("a pod's settings and roster open from its link in the course; "
                          "this launch came from another link",
                          hint="Open the pod's link in the course, then choose Settings or Roster.")
    return context, package


@blueprint.route("/<slug>/settings", methods=["GET", "POST"])
def placement_settings(slug: str) -> WerkzeugResponse | tuple[str, int]:
    context, package = _faculty_link(slug)
    session = db_session()
    placement = AttemptService(session).placement(context, slug, context.resource_link_title)
    service = PlacementSettingsService(session)
    form_class = settings_form_for(video_sections(package))
    status = 200
    if request.method == "POST":
        form = form_class(request.form, launch_id=context.launch_id)
        if form.validate():
            service.update(placement, package, form.placement_settings())
            return redirect(url_for(".placement_settings", slug=slug, saved=1,
                                    lt=g.launch_token), code=303)
        if form.csrf_token.errors:
            raise PodError("this page has expired; reload it and try again", check="csrf")
        status = 422
    else:
        form = form_class(formdata=None, launch_id=context.launch_id,
                          data=form_class.initial(service.current(placement)))
    return render_template("pods/faculty_settings.html", context=context, pod=package.metadata,
                           placement=placement, form=form, saved=request.args.get("saved") == "1",
                           lt=g.launch_token), status


@blueprint.get("/<slug>/roster")
def roster(slug: str) -> str:
    context, package = _faculty_link(slug)
    # the LMS first: the token cache writes from its own connection, before this request
    # writes anything (SQLite allows one writer at a time)
    members, notice = read_members(context.nrps_url, lambda: nrps_client_for(
        db_session(), database(), key_cipher(), http(), context.platform_id,
        settings().http_timeout))
    session = db_session()
    placement = AttemptService(session).placement(context, slug, context.resource_link_title)
    result = RosterService(session).roster(placement, package, members, notice)
    return render_template("pods/faculty_roster.html", context=context, pod=package.metadata,
                           placement=placement, roster=result, labels=STATUS_LABELS,
                           lt=g.launch_token)
