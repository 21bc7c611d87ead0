"""Content commands: ``pods validate [PATH]`` and ``pods list``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..web.scope import settings
from .catalogue import BUILT_IN, load_catalogue
from .validation import validate_package


def packages_in(root: Path) -> list[Path]:
    """``root`` itself when it holds a pod.yaml, else each of its (non-hidden) subfolders.

    Unlike the catalogue, a subfolder without pod.yaml counts, so a misnamed pod.yaml is
    reported instead of the package silently not appearing.
    """
    if (root / "pod.yaml").is_file():
        return [root]
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")))


def _duplicate_slugs(folders: list[Path], problems: dict[Path, list[str]],
                     built_in: list[Path]) -> None:
    """The catalogue's refusal of a second package with a slug already used (built-ins first)."""
    checked = {f.resolve() for f in folders}
    seen = {f.name: f for f in built_in if f.resolve() not in checked}
    for folder in folders:
        if problems[folder]:
            continue
        if folder.name in seen:
            problems[folder].append(f"{folder / 'pod.yaml'}:1: slug '{folder.name}' is already "
                                    f"used by {seen[folder.name]}")
        else:
            seen[folder.name] = folder


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@click.group("pods")
def pods_group() -> None:
    """Pod packages: check them against the format, list the catalogue."""


@pods_group.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@with_appcontext
def pods_validate(path: Path | None) -> None:
    """Check pod packages; print every problem with its file and line.

    PATH is a package folder or a folder of packages. Without it, the built-in packages
    and the configured folder (LEADERSHIP_PODS_PODS_PATH) are checked. Exit status: 0 when
    clean, 1 when any problem was found, 2 when PATH cannot be checked.
    """
    ctx = click.get_current_context()
    built_in = packages_in(BUILT_IN)
    if path is None:
        folders = list(built_in)
        extra = settings().extra_pods_path
        if extra is not None and extra.is_dir():
            folders += packages_in(extra)
        elif extra is not None:
            click.echo(f"warning: the configured pods folder {extra} (LEADERSHIP_PODS_PODS_PATH) "
                       "does not exist", err=True)
    elif not path.exists():
        click.echo(f"error: {path} does not exist", err=True)
        ctx.exit(2)
    elif not path.is_dir():
        click.echo(f"error: {path} is not a folder (give a package folder or a folder of "
                   "packages)", err=True)
        ctx.exit(2)
    else:
        folders = packages_in(path)
        if not folders:
            click.echo(f"error: {path} holds no pod package (no pod.yaml, no subfolders)", err=True)
            ctx.exit(2)
    problems = {folder: validate_package(folder) for folder in folders}
    _duplicate_slugs(folders, problems, built_in)
    for folder in folders:
        for problem in problems[folder]:
            click.echo(problem)
    total = sum(len(p) for p in problems.values())
    if not total:
        click.echo(f"{_plural(len(folders), 'package')} checked, 0 problems")
        return
    broken = sum(1 for p in problems.values() if p)
    click.echo(f"{_plural(total, 'problem')} in {broken} of {_plural(len(folders), 'package')}")
    ctx.exit(1)


@pods_group.command("list")
@with_appcontext
def pods_list() -> None:
    """The pods in the catalogue: slug, title, minutes and the folder each comes from."""
    catalogue = load_catalogue(settings().extra_pods_path)
    if not catalogue.pods:
        click.echo("no pods")
    for pod in catalogue.pods:
        click.echo(f"{pod.slug}\t{pod.title}\t{pod.planned_minutes} min\t{pod.path}")
    for folder, problems in catalogue.refused:
        click.echo(f"refused: {folder} ({_plural(len(problems), 'problem')}; see "
                   f"`leadership-pods pods validate {folder}`)", err=True)
