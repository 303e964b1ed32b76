"""Test modules for dosaku-mcp (a directory plugin)."""
