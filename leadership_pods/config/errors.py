"""Errors raised while reading configuration."""


class ConfigurationError(Exception):
    """The environment does not describe a runnable tool; the message says what to set."""
