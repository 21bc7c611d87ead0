"""Markdown from pod packages to HTML, with raw HTML in the source switched off."""

from __future__ import annotations

import markdown
from markupsafe import Markup


def render_markdown(text: str | None) -> Markup:
    md = markdown.Markdown(extensions=["sane_lists"])
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.inlinePatterns.deregister("entity")
    return Markup(md.convert(text or ""))  # noqa: S704 - raw HTML is disabled above
