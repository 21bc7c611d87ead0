"""The ``leadership-pods`` console script: a Flask CLI group over the app factory.

The commands themselves are registered on the app by the factory (``commands.py``), so
``flask --app leadership_pods.app`` offers the same ones.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from .app import create_app
from .config.errors import ConfigurationError


def _factory() -> Flask:
    try:
        return create_app()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(cls=FlaskGroup, create_app=_factory, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """Leadership Pods: leadership skill pods for residency programs (LTI 1.3 tool)."""


if __name__ == "__main__":
    main()
