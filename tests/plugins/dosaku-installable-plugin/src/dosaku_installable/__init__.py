"""A small pack for the install tests: the CountWords task and its WordCounter module."""
