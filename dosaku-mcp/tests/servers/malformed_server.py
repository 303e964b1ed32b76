"""A hand-written stdio "MCP server" whose answers to tool calls are malformed (standard library only).

It answers the handshake properly (2025-11-25, initialize) and lists three tools; then ``not_a_result`` answers with
content that is not a list, ``bad_image`` with image content whose data is not base64, and ``garbage`` writes a line
that is not JSON and never answers.
"""
from __future__ import annotations

import json
import sys

TOOLS = [{"name": name, "description": f"Answers {name.replace('_', ' ')}.", "inputSchema": {"type": "object"}}
         for name in ("not_a_result", "bad_image", "garbage")]


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        if "id" not in request:
            continue  # a notification
        ident, method = request["id"], request.get("method")
        if method == "initialize":
            send({"jsonrpc": "2.0", "id": ident, "result": {
                "protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                "serverInfo": {"name": "malformed", "version": "0"}}})
        elif method == "tools/list":
            send({"jsonrpc": "2.0", "id": ident, "result": {"tools": TOOLS}})
        elif method == "tools/call" and request["params"]["name"] == "not_a_result":
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": "this is not a list of content"}})
        elif method == "tools/call" and request["params"]["name"] == "bad_image":
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": [
                {"type": "image", "data": "%%% not base64 %%%", "mimeType": "image/png"}]}})
        elif method == "tools/call":
            sys.stdout.write("this line is not JSON-RPC\n")
            sys.stdout.flush()
        else:
            send({"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": f"Method not found: {method}"}})


if __name__ == "__main__":
    main()
