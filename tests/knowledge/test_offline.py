"""Building and using the desensitizer performs no DNS lookup and opens no connection."""

from __future__ import annotations

import subprocess
import sys

PROBE = r'''
import socket
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args[:1])
    raise OSError("network use is forbidden in this test")
socket.getaddrinfo = refuse
socket.gethostbyname = refuse
socket.create_connection = refuse
socket.socket.connect = refuse
from knowledge.desensitize import get_desensitizer
result = get_desensitizer("s" * 40).desensitize("王总，发到wang@huaxin-tech.com，网址 https://www.example.com.cn")
assert "<EMAIL_ADDRESS_1>" in result.text, result.text
assert not attempts, attempts
print("offline ok")
'''


def test_when_the_engine_is_built_and_used_then_it_never_touches_the_network() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("offline ok")
