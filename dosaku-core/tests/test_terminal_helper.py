"""``dosaku.testing.terminal.Terminal``: the program runs as a terminal starts it, whatever this process inherited."""
from __future__ import annotations

import signal
import sys

from dosaku.testing.terminal import Terminal

SHOW = ("import signal; print('SIGINT', signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
        "'blocked', sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])))")


def test_the_program_gets_ctrl_c_even_when_this_process_ignores_it():
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under a background CI runner
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGQUIT])
    try:
        with Terminal([sys.executable, "-c", SHOW]) as term:
            term.expect("blocked []")
            assert term.wait() == 0
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        signal.signal(signal.SIGINT, ignored)
    assert "SIGINT True" in term.output


def test_ctrl_c_interrupts_the_program():
    with Terminal([sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(30)"]) as term:
        term.expect("ready")
        term.send_ctrl_c()
        assert term.wait() != 0
    assert "KeyboardInterrupt" in term.output
