"""The command line reference, generated from the typer app: each command's synopsis and options (docs/cli.md).

`python -m app.docs` writes one block per command (`<!-- cli-NAME:start -->`), so the reference states
exactly the options, choices and defaults the code accepts.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from estate.docs import markdown_cell


def _group():
    from app.cli import app

    return typer.main.get_command(app)


def command_names() -> list[str]:
    """Return every command of `estate` ("sync servicenow" for a group's), in the order they are declared."""
    names = []
    for name, command in _group().commands.items():
        inner = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in inner] if inner else [name]
    return names


def _command(name: str):
    command = _group()
    for part in name.split():
        command = command.commands[part]
    return command


def _metavar(option) -> str:
    if option.is_flag:
        return ""
    annotation = option.type_descriptor.annotation
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "|".join(str(m.value) for m in annotation)
    return {Path: "PATH", int: "N", float: "NUMBER"}.get(annotation, "TEXT")


def _default(option) -> str:
    default = option.default
    if option.is_flag and option.secondary_opts:
        return option.opts[0] if default else option.secondary_opts[0]
    if default is None or default is False or option.is_flag:
        return ""
    return str(getattr(default, "value", default))


def command_markdown(name: str) -> str:
    """Return one command's synopsis and options table."""
    command = _command(name)
    pieces = [f"estate {name}"]
    rows = ["| Option | Takes | Default | Meaning |", "|---|---|---|---|"]
    for param in command.params:
        if param.param_type_name == "argument":  # typer's own click: compare by kind, not by class
            pieces.append(f"{param.name.upper()}{'...' if param.nargs == -1 else ''}")
            continue
        if param.param_type_name != "option" or param.name == "help":
            continue
        metavar = _metavar(param)
        flags = "/".join([*param.opts, *param.secondary_opts])
        shown = f"{flags} {metavar}".strip()
        pieces.append(shown if param.required else f"[{shown}]")
        rows.append(f"| `{flags}` | {metavar.replace('|', ', ') or 'flag'} | {_default(param) or '-'} | "
                    f"{markdown_cell(param.help or '')}{' (required)' if param.required else ''} |")  # fmt: skip
    synopsis = _wrap(pieces, len(f"estate {name} "))
    return f"```sh\n{synopsis}\n```\n\n" + "\n".join(rows) + "\n"


def _wrap(pieces: list[str], indent: int, width: int = 100) -> str:
    lines, line = [], pieces[0]
    for piece in pieces[1:]:
        if len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = " " * indent + piece
        else:
            line += " " + piece
    return "\n".join([*lines, line])


def blocks() -> dict:
    """Return the docs blocks of the command line reference: name -> render function."""
    return {f"cli-{name.replace(' ', '-')}": (lambda n=name: command_markdown(n)) for name in command_names()}
