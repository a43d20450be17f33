"""User-facing errors: the CLI prints them as one line and exits with status 2."""

from __future__ import annotations

#: Longest message kept; a huge exception text (e.g. echoing an input) is cut, not printed whole.
MAX_MESSAGE = 500


def one_line(text: object) -> str:
    """Collapse whitespace (newlines included) so the message is exactly one line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 1] + "…"


class InputError(Exception):
    """Bad input the user can fix (missing file, unknown format, no columns...).

    The message is always one line, whatever text went into it (a parser's
    multi-line message, a file name holding a newline).
    """

    def __init__(self, message: object = "", *args):
        super().__init__(one_line(message), *args)


class LimitError(InputError):
    """An input exceeds a configured size limit."""
