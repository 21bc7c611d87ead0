"""Operator commands: ``platforms add/list`` and ``keys rotate/list/retire``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..web.scope import database, key_cipher
from .errors import LtiError
from .keys import ToolKeyService
from .models import DEPLOYMENT_POLICY_ACCEPT_NEW, DEPLOYMENT_POLICY_STRICT
from .registry import PlatformRegistry, PlatformSpec


@click.group("platforms")
def platforms_group() -> None:
    """LMS registrations (one per issuer and client id)."""


@platforms_group.command("add")
@click.option("--issuer", required=True, help="the platform's issuer (iss)")
@click.option("--client-id", required=True, help="the client id the LMS gave the tool")
@click.option("--auth-login-url", required=True, help="the platform's OIDC authorization URL")
@click.option("--auth-token-url", required=True, help="the platform's OAuth2 token URL")
@click.option("--keyset-url", required=True, help="the platform's public key set (JWKS) URL")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="a deployment id; repeat")
@click.option("--name", default=None, help="a name for people")
@click.option("--auth-audience", default=None, help="aud of token requests, when not the token URL")
@click.option("--accept-new-deployments", is_flag=True,
              help="record unknown deployment ids from launches (Canvas course installs) "
                   "instead of refusing them")
@with_appcontext
def platforms_add(issuer: str, client_id: str, auth_login_url: str, auth_token_url: str,
                  keyset_url: str, deployment_ids: tuple[str, ...], name: str | None,
                  auth_audience: str | None, accept_new_deployments: bool) -> None:
    """Register an LMS; it takes effect at once."""
    spec = PlatformSpec(
        issuer=issuer, client_id=client_id, auth_login_url=auth_login_url,
        auth_token_url=auth_token_url, key_set_url=keyset_url, deployment_ids=deployment_ids,
        name=name, auth_audience=auth_audience,
        deployment_policy=(DEPLOYMENT_POLICY_ACCEPT_NEW if accept_new_deployments
                           else DEPLOYMENT_POLICY_STRICT),
    )
    try:
        with database().transaction() as session:
            platform, warnings = PlatformRegistry(session).add(spec)
            platform_id, platform_name = platform.id, platform.name
    except LtiError as exc:
        raise click.ClickException(exc.message) from exc
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"registered platform {platform_id}: {platform_name} ({issuer}, client id "
               f"{client_id}, {len(set(deployment_ids))} deployment(s))")


@platforms_group.command("list")
@with_appcontext
def platforms_list() -> None:
    """The registrations, their deployments and status."""
    with database().transaction() as session:
        platforms = PlatformRegistry(session).list()
        if not platforms:
            click.echo("no platforms registered")
            return
        for p in platforms:
            status = "active" if p.active else "disabled"
            click.echo(f"{p.id}\t{p.name}\t{status}\tpolicy={p.deployment_policy}")
            click.echo(f"\tissuer:      {p.issuer}")
            click.echo(f"\tclient id:   {p.client_id}")
            click.echo(f"\tlogin URL:   {p.auth_login_url}")
            click.echo(f"\ttoken URL:   {p.auth_token_url}")
            click.echo(f"\tkey set URL: {p.key_set_url}")
            if not p.deployments:
                click.echo("\tdeployments: (none)")
            for d in p.deployments:
                origin = "recorded from a launch" if d.auto_recorded else "registered"
                click.echo(f"\tdeployment:  {d.deployment_id}\t({origin})")


@click.group("keys")
def keys_group() -> None:
    """The tool's signing keys (published at /lti/jwks)."""


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Add a new signing key; the previous one stays published until retired."""
    with database().transaction() as session:
        service = ToolKeyService(session, key_cipher())
        key = service.rotate()
        published = len(service.published())
        kid = key.kid
    click.echo(f"new signing key {kid}; {published} key(s) published")


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """Every key, newest first, with its status."""
    with database().transaction() as session:
        keys = ToolKeyService(session, key_cipher()).all_keys()
        published = [k for k in keys if k.retired_at is None]
        current = published[-1].kid if published else None
        for k in reversed(keys):
            status = ("current" if k.kid == current else
                      "published" if k.retired_at is None else "retired")
            click.echo(f"{k.kid}\t{status}\tcreated {k.created_at:%Y-%m-%d %H:%M}")


@keys_group.command("retire")
@click.argument("kid")
@with_appcontext
def keys_retire(kid: str) -> None:
    """Stop publishing an old key (after the LMSs have refetched the JWKS).

    Key ids may start with "-": write `leadership-pods keys retire -- KID`."""
    try:
        with database().transaction() as session:
            ToolKeyService(session, key_cipher()).retire(kid)
    except LtiError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"retired key {kid}")
