"""Deep linking: an instructor picks pods and the tool answers with signed content items.

The answer is an ``LtiDeepLinkingResponse`` JWT signed with the tool's current key,
posted by an auto-submitting form to ``deep_link_return_url`` exactly as given. Each
pod becomes an ``ltiResourceLink`` with a ``lineItem`` (so the LMS makes a gradebook
column) and the pod slug as the custom parameter ``pod``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy.orm import Session
from wtforms import SelectMultipleField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..config.settings import Settings
from ..pods.catalogue import PodMetadata
from ..web.forms import LaunchForm
from .claims import LaunchContext
from .errors import LaunchError
from .keys import KeyCipher, ToolKeyService
from .models import Platform
from .tool_conf import registration_for

SCORE_MAXIMUM = 100


class DeepLinkForm(LaunchForm):
    pods = SelectMultipleField(
        "Pods to add", validators=[InputRequired("Choose at least one pod.")],
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
    )

    def __init__(self, *args: Any, accept_multiple: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accept_multiple = accept_multiple

    def validate_pods(self, field: SelectMultipleField) -> None:
        if not self.accept_multiple and len(field.data or []) > 1:
            raise ValidationError("This LMS accepts one pod at a time: choose only one.")


def content_item(pod: PodMetadata, launch_url: str, presentation_targets: Sequence[str]) -> dict[str, Any]:
    line_item = LineItem().set_score_maximum(SCORE_MAXIMUM).set_label(pod.title)
    line_item.set_resource_id(pod.slug)
    resource = (DeepLinkResource().set_title(pod.title).set_url(launch_url)
                .set_custom_params({"pod": pod.slug}).set_lineitem(line_item))
    item = resource.to_dict()
    item["text"] = pod.summary
    if not presentation_targets or "iframe" in presentation_targets:
        item["iframe"] = {"width": 1000, "height": 800}
    elif "window" in presentation_targets:
        item["window"] = {"targetName": "leadership-pods"}
    return item


class DeepLinkResponder:
    def __init__(self, session: Session, cipher: KeyCipher, settings: Settings) -> None:
        self.session = session
        self.cipher = cipher
        self.settings = settings

    def response_jwt(self, context: LaunchContext, pods: Sequence[PodMetadata]) -> str:
        settings = context.deep_link
        if settings is None:
            raise LaunchError("this launch is not a deep-linking request", check="message-type")
        if "ltiResourceLink" not in settings.accept_types:
            raise LaunchError(
                "the LMS does not accept LTI resource links from this placement "
                f"(it accepts {', '.join(settings.accept_types) or 'nothing'})",
                check="deep-linking",
                hint="Use the tool from an assignment or link selection placement.",
            )
        if len(pods) > 1 and not settings.accept_multiple:
            raise LaunchError("the LMS accepts only one item here", check="deep-linking")
        platform = self.session.get(Platform, context.platform_id)
        if platform is None:
            raise LaunchError("the launch's registration no longer exists", check="registration")
        signing_key = ToolKeyService(self.session, self.cipher).signing_key()
        deep_link = DeepLink(
            registration_for(platform, signing_key), context.deployment_id,
            {"deep_link_return_url": settings.return_url, "data": settings.data},
        )
        message = deep_link.get_message_jwt([])
        message["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] = [
            content_item(p, self.settings.launch_url, settings.accept_presentation_document_targets)
            for p in pods
        ]
        if settings.data is None:
            message.pop("https://purl.imsglobal.org/spec/lti-dl/claim/data", None)
        message["azp"] = platform.client_id
        return str(deep_link.encode_jwt(message))  # type: ignore[no-untyped-call]
