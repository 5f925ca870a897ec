"""The default configuration opens no connection that leaves the machine (checked from a fresh process, so
model loading, the embedded LLM server start and a whole turn are all covered)."""
import ipaddress
import json
import subprocess
import sys

PROBE = r"""
import json, socket
seen = []
real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
def connect(self, address):
    seen.append(repr(address) if not isinstance(address, tuple) else address[0])
    return real_connect(self, address)
def connect_ex(self, address):
    seen.append(repr(address) if not isinstance(address, tuple) else address[0])
    return real_connect_ex(self, address)
socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
real_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    seen.append(host if isinstance(host, str) else repr(host))
    return real_getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
from agent import Agent, Settings
# a default turn (grounded: no LLM call), then the same with the llm planner on the embedded model, so the probe
# surely sees its HTTP call to the embedded server
turn = Agent(Settings()).respond("I lost my job today and I feel like a failure.")
default_seen = list(seen)
llm_turn = Agent(Settings(planner={"mode": "llm"})).respond("I lost my job today and I feel like a failure.")
print(json.dumps({"reply": turn.reply.text, "llm_reply": llm_turn.reply.text, "default_seen": default_seen,
                  "seen": seen}))
"""


def _is_local(host: str) -> bool:
    if host in {"localhost"} or host.startswith("'") or host.startswith('"') or host.startswith("b'"):
        return True  # unix sockets show up as repr'd paths
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def test_default_turn_connects_only_to_loopback():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["reply"] and result["llm_reply"]
    assert result["seen"], "the embedded LLM is reached over loopback HTTP, so some connection must be seen"
    assert all(_is_local(h) for h in result["default_seen"])
    outside = [h for h in result["seen"] if not _is_local(h)]
    assert not outside, f"connections or lookups beyond this machine: {outside}"
