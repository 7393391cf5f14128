"""The one exception type for bad user input.

Anything raised as :class:`ConfigError` is reported by the command line as a
single line on stderr with exit status 2, before anything is written.
"""


class ConfigError(ValueError):
    """Invalid user input: shapes, values, names, units or ranges."""
