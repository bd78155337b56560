"""pytest plugin for tests/redis-py-suite.sh: records, per test, every command redis-py sends and the reply its
parser returned (type-tagged: bytes, str, int, float, map, set, error), for the sync and asyncio clients.
PYCTRACE_OUT names the JSON file written at the end of the session; without it nothing is recorded."""
import json
import os

import redis.asyncio.connection as ac
import redis.connection as rc
from redis.exceptions import ResponseError

OUT = os.environ.get("PYCTRACE_OUT")
CUR = ["<session>"]
LOG = {}


def enc(v, depth=0):
    if depth > 20:
        return "..."
    if isinstance(v, bytes):
        return "b:" + v.decode("latin-1")
    if isinstance(v, str):
        return "s:" + v
    if isinstance(v, bool):
        return "B:" + str(v)
    if isinstance(v, int):
        return "i:" + str(v)
    if isinstance(v, float):
        return "f:" + repr(v)
    if v is None:
        return None
    if isinstance(v, BaseException):
        return {"err": type(v).__name__ + ":" + str(v)}
    if isinstance(v, dict):
        return {"map": [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in v.items()]}
    if isinstance(v, (set, frozenset)):
        return {"set": sorted((enc(x, depth + 1) for x in v), key=repr)}
    if isinstance(v, (list, tuple)):
        return [enc(x, depth + 1) for x in v]
    return "?" + type(v).__name__


def record(q, res):
    LOG.setdefault(CUR[0], []).append([q.pop(0) if q else "<push>", res])


# A command is queued when it is written (not when packed: a health-check PING packed and sent inside
# send_packed_command goes first), and paired with the next reply read on that connection.
def _state(holder):
    d = holder.__dict__
    return d.setdefault("_pyc_pending", []), d.setdefault("_pyc_q", [])


if OUT:
    _pack = rc.PythonRespSerializer.pack

    def pack(self, *args):
        _state(self)[0].append([enc(a) for a in args])
        return _pack(self, *args)

    _send = rc.AbstractConnection.send_packed_command

    def send_packed_command(self, *a, **kw):
        pending, q = _state(self._command_packer)
        snap = pending[:]
        pending.clear()
        r = _send(self, *a, **kw)
        q.extend(snap)
        return r

    _read = rc.AbstractConnection.read_response

    def read_response(self, *a, **kw):
        q = _state(self._command_packer)[1]
        try:
            r = _read(self, *a, **kw)
        except ResponseError as e:
            record(q, enc(e))
            raise
        record(q, enc(r))
        return r

    _disc = rc.AbstractConnection.disconnect

    def disconnect(self, *a, **kw):
        _state(self._command_packer)[1].clear()
        return _disc(self, *a, **kw)

    rc.PythonRespSerializer.pack = pack
    rc.AbstractConnection.send_packed_command = send_packed_command
    rc.AbstractConnection.read_response = read_response
    rc.AbstractConnection.disconnect = disconnect

    _apack = ac.AbstractConnection.pack_command

    def apack(self, *args):
        _state(self)[0].append([enc(a) for a in args])
        return _apack(self, *args)

    _asend = ac.AbstractConnection.send_packed_command

    async def asend(self, *a, **kw):
        pending, q = _state(self)
        snap = pending[:]
        pending.clear()
        r = await _asend(self, *a, **kw)
        q.extend(snap)
        return r

    _aread = ac.AbstractConnection.read_response

    async def aread(self, *a, **kw):
        q = _state(self)[1]
        try:
            r = await _aread(self, *a, **kw)
        except ResponseError as e:
            record(q, enc(e))
            raise
        record(q, enc(r))
        return r

    _adisc = ac.AbstractConnection.disconnect

    async def adisc(self, *a, **kw):
        _state(self)[1].clear()
        return await _adisc(self, *a, **kw)

    ac.AbstractConnection.pack_command = apack
    ac.AbstractConnection.send_packed_command = asend
    ac.AbstractConnection.read_response = aread
    ac.AbstractConnection.disconnect = adisc


def pytest_runtest_setup(item):
    CUR[0] = item.nodeid


def pytest_sessionfinish(session):
    if OUT:
        with open(OUT, "w") as f:
            json.dump(LOG, f)
