"""User-facing errors.  The CLI prints an :class:`AmsimError` as one line and exits with its
``exit_code`` (2 for bad input); anything else is a bug and keeps its traceback."""


class AmsimError(ValueError):
    """A bad input or an impossible request, explained in one line."""

    exit_code = 2
