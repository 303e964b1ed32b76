"""Reading code and JSON out of a chat model's replies (Markdown fences, ``FILE:`` headers)."""
from __future__ import annotations

import re

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)
FILE_HEADER = re.compile(r"^[ \t#>*`]*FILE:[ \t]*([A-Za-z_]+)[ \t*`]*$", re.MULTILINE)


def code_block(reply: str) -> str:
    """The code in a reply: its longest fenced block (a reply without fences is taken as code).

    Example::

        >>> code_block('Here:\\n```python\\nx = 1\\n```\\nDone.')
        'x = 1\\n'
    """
    blocks = [body for language, body in FENCE.findall(reply) if language.lower() in ("", "python", "py", "python3")]
    if not blocks:
        return reply.strip() + "\n"
    return max(blocks, key=len)


def json_block(reply: str) -> str:
    """The JSON in a reply: a fenced block if there is one, else from the first ``{`` to the last ``}``."""
    for _, body in FENCE.findall(reply):
        if body.strip().startswith("{"):
            return body
    start, end = reply.find("{"), reply.rfind("}")
    return reply[start:end + 1] if start != -1 and end > start else reply


def file_blocks(reply: str) -> dict[str, str]:
    """``{file key: code}`` from a reply made of ``FILE: <key>`` lines, each followed by a fenced block.

    Example::

        >>> file_blocks('FILE: module\\n```python\\nx = 1\\n```')
        {'module': 'x = 1\\n'}
    """
    headers = list(FILE_HEADER.finditer(reply))
    found: dict[str, str] = {}
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(reply)
        section = reply[header.end():end]
        if FENCE.search(section):
            found[header.group(1).lower()] = code_block(section)
    return found
