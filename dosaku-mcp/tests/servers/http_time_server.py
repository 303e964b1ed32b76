"""The real mcp-server-time (its own create_server) served over streamable HTTP on 127.0.0.1 for the tests, since
the package itself serves stdio only.

    python http_time_server.py PORT
"""
from __future__ import annotations

import sys

import anyio
from mcp_server_time.server import create_server

if __name__ == "__main__":
    server = create_server("UTC")
    anyio.run(lambda: server.run_streamable_http_async(host="127.0.0.1", port=int(sys.argv[1])))
