"""What LlamaCppChat budgets for around a prompt: the template's tokens, and how long a message waits for the model.

Example::

    fixed = PROMPT_OVERHEAD + TURN_OVERHEAD * len(turns)   # estimated tokens beyond the turns' own text
"""
from __future__ import annotations

#: Template tokens around each turn (e.g. ``<|im_start|>user\n ... <|im_end|>\n``), estimated.
TURN_OVERHEAD = 8
#: Template tokens around the whole prompt, estimated.
PROMPT_OVERHEAD = 16
#: How long a message waits for another one (on another thread) to finish with the model.
BUSY_TIMEOUT_S = 600.0
