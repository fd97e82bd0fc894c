"""How the `hirebridge` command lists its commands: each command's first sentence whole, wrapped to the terminal
(80 columns included), where click would cut it to one line ending in "...". Every command group uses this class."""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

WHOLE_SENTENCE = 400  # characters: longer than any first sentence, so none is cut


class HelpGroup(TyperGroup):
    def format_commands(self, ctx: Any, formatter: Any) -> None:  # typer's own (vendored) click types
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=WHOLE_SENTENCE)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
