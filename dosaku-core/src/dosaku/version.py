"""The version of the dosaku distribution."""

__version__ = "0.3.0"
