"""redis-py's RedisCluster, unchanged, against a running 3-master + 3-replica cluster.

Usage: python3 tests/cluster_redispy.py HOST:PORT ... (every node of the cluster; the first is the only startup
node). Driven by tests/cluster/cluster_redispy.rs. Prints "ok: STEP" after each step; any failed check raises (exit 1).
"""

import signal
import sys
import time

import redis
from redis.cluster import ClusterNode, RedisCluster

signal.alarm(300)  # a hang guard: the Rust side reads the output after the exit

ADDRS = sys.argv[1:]
assert len(ADDRS) == 6, ADDRS


def split(addr):
    h, p = addr.rsplit(":", 1)
    return h, int(p)


def direct(addr):
    h, p = split(addr)
    return redis.Redis(host=h, port=p, decode_responses=True)


def wait(what, f, secs=60):
    t0 = time.monotonic()
    while not f():
        if time.monotonic() - t0 > secs:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def myself(addr):
    for line in direct(addr).execute_command("CLUSTER", "NODES").splitlines():
        f = line.split()
        if "myself" in f[2].split(","):
            return f
    raise AssertionError("no myself line on " + addr)


def owner_everywhere(slot, addr):
    """Whether every node's CLUSTER SLOTS maps slot to addr."""
    h, p = split(addr)
    for a in ADDRS:
        try:
            slots = direct(a).execute_command("CLUSTER", "SLOTS")
        except redis.ConnectionError:
            continue
        owner = [r[2] for r in slots if r[0] <= slot <= r[1]]
        if not owner or (owner[0][0], int(owner[0][1])) != (h, p):
            return False
    return True


def cmdstat_calls(addr, cmd):
    info = direct(addr).info("commandstats")
    return info.get("cmdstat_" + cmd, {}).get("calls", 0)


host, port = split(ADDRS[0])
# CLUSTER SLOTS lists a replica once its replication offset is known (gossiped) to the node answering.
wait("CLUSTER SLOTS to list every master's replica",
     lambda: all(len(r) == 4 for r in direct(ADDRS[0]).execute_command("CLUSTER", "SLOTS")))
rc = RedisCluster(startup_nodes=[ClusterNode(host, port)], decode_responses=True)

# Discovery from one startup node: every node, with its role.
primaries = sorted(n.name for n in rc.get_primaries())
replicas = sorted(n.name for n in rc.get_replicas())
assert len(primaries) == 3 and len(replicas) == 3, (primaries, replicas)
assert sorted(primaries + replicas) == sorted(ADDRS), (primaries, replicas, ADDRS)
assert rc.ping() is True
print("ok: discovery", flush=True)

# Keys over all slots: each master holds its share, the sum is the whole set.
N = 3000
for i in range(N):
    assert rc.set("key:%d" % i, "val:%d" % i) is True
for i in range(N):
    assert rc.get("key:%d" % i) == "val:%d" % i, i
sizes = rc.dbsize(target_nodes=RedisCluster.PRIMARIES)
per_node = {n.name: 0 for n in rc.get_primaries()}
for i in range(N):
    per_node[rc.get_node_from_key("key:%d" % i).name] += 1
assert all(v > 0 for v in per_node.values()), per_node
assert sizes == N, sizes
for n in rc.get_primaries():
    assert direct(n.name).dbsize() == per_node[n.name], (n.name, per_node)
print("ok: set/get %d keys over %s" % (N, sorted(per_node.values())), flush=True)

# Multi-key commands: one slot by hash tag; across slots the client splits them.
tagged = {"{user:1}:name": "ann", "{user:1}:mail": "ann@x", "{user:1}:age": "33"}
assert rc.mset(tagged) is True
assert rc.mget(list(tagged)) == list(tagged.values())
assert rc.keyslot("{user:1}:name") == rc.keyslot("{user:1}:age")
assert rc.exists(*tagged) == 3
spread = {"spread:%d" % i: str(i) for i in range(50)}
assert len({rc.keyslot(k) for k in spread}) > 10
rc.mset_nonatomic(spread)
assert rc.mget_nonatomic(list(spread)) == list(spread.values())
assert rc.delete(*spread) == 50
try:
    direct(rc.get_node_from_key("{user:1}:name").name).mset({"{user:1}:x": "1", "{user:2}:x": "2"})
    raise AssertionError("cross-slot MSET accepted")
except redis.exceptions.ClusterCrossSlotError as e:
    assert "same slot" in str(e), e
print("ok: mset/mget with hash tags", flush=True)

# Cluster pipeline: commands grouped by node, replies in order.
pipe = rc.pipeline()
for i in range(200):
    pipe.set("pipe:%d" % i, i)
    pipe.incr("pipe:%d" % i)
    pipe.get("pipe:%d" % i)
res = pipe.execute()
assert res == [x for i in range(200) for x in (True, i + 1, str(i + 1))], res[:9]
tx = rc.pipeline(transaction=True)
tx.set("{tx}a", 1).incrby("{tx}a", 41).get("{tx}a").lpush("{tx}l", "x", "y").lrange("{tx}l", 0, -1)
res = tx.execute()
assert res[0] in (True, "OK") and res[1:] == [42, "42", 2, ["y", "x"]], res  # redis-py leaves SET's OK raw here
print("ok: pipeline", flush=True)

# A workload of every type, keys on every master; multi-key commands within a hash tag; SCAN over the cluster.
owners = set()
for i in range(30):
    h, l, st, z, x, hl, g, b = ("%s:%d" % (t, i) for t in ("h", "l", "s", "z", "x", "hll", "geo", "bits"))
    assert rc.hset(h, mapping={"f1": "a", "f2": str(i)}) == 2
    assert rc.hgetall(h) == {"f1": "a", "f2": str(i)} and rc.hincrby(h, "f2", 1) == i + 1
    assert rc.rpush(l, "a", "b", "c") == 3 and rc.lpop(l) == "a" and rc.lrange(l, 0, -1) == ["b", "c"]
    assert rc.sadd(st, "x", "y", "z") == 3 and rc.smembers(st) == {"x", "y", "z"} and rc.scard(st) == 3
    assert rc.zadd(z, {"a": 1, "b": 2.5}) == 2 and rc.zrange(z, 0, -1, withscores=True) == [("a", 1.0), ("b", 2.5)]
    eid = rc.xadd(x, {"n": str(i)})
    assert rc.xrange(x) == [(eid, {"n": str(i)})] and rc.xlen(x) == 1
    assert rc.xgroup_create(x, "g", id="0") is True
    assert rc.xreadgroup("g", "c1", {x: ">"}) == [[x, [(eid, {"n": str(i)})]]]
    assert rc.xack(x, "g", eid) == 1
    assert rc.pfadd(hl, *["e%d" % j for j in range(100)]) == 1 and rc.pfcount(hl) == 100
    assert rc.geoadd(g, (13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania")) == 2
    assert round(rc.geodist(g, "Palermo", "Catania", unit="km")) == 166
    assert rc.setbit(b, 7, 1) == 0 and rc.bitcount(b) == 1 and rc.getbit(b, 7) == 1
    assert rc.set("cnt:%d" % i, "1.5") and rc.incrbyfloat("cnt:%d" % i, 1) == 2.5
    assert rc.expire(h, 1000) is True and 0 < rc.ttl(h) <= 1000
    owners.update(rc.get_node_from_key(k).name for k in (h, l, st, z, x, hl, g, b))
    for k, t in ((h, "hash"), (l, "list"), (st, "set"), (z, "zset"), (x, "stream"), (hl, "string"), (b, "string")):
        assert rc.type(k) == t, (k, rc.type(k))
assert len(owners) == 3, owners
assert rc.sadd("{t}s1", "a", "b") == 2 and rc.sadd("{t}s2", "b", "c") == 2
assert rc.sinterstore("{t}dst", ["{t}s1", "{t}s2"]) == 1 and rc.smembers("{t}dst") == {"b"}
assert rc.zadd("{t}z1", {"a": 1}) == 1 and rc.zadd("{t}z2", {"a": 2, "b": 3}) == 2
assert rc.zunionstore("{t}zu", ["{t}z1", "{t}z2"]) == 2 and rc.zscore("{t}zu", "a") == 3.0
assert rc.rpush("{t}l1", "x") == 1 and rc.lmove("{t}l1", "{t}l2") == "x" and rc.lrange("{t}l2", 0, -1) == ["x"]
assert rc.rename("{t}l2", "{t}l3") is True and rc.exists("{t}l2", "{t}l3") == 1
assert rc.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, "{t}n", 5) == 5
sha = rc.script_load("return redis.call('GET', KEYS[1])")
assert rc.evalsha(sha, 1, "{t}n") == "5"
scanned = set(rc.scan_iter(match="hll:*", count=100))
assert scanned == {"hll:%d" % i for i in range(30)}, sorted(scanned)
print("ok: every type", flush=True)

# Pub/Sub: a classic PUBLISH reaches a subscriber on another node over the bus; a shard channel lives on its
# slot's master.
sub_node = rc.get_primaries()[0]
ps = rc.pubsub(node=sub_node)
ps.subscribe("news")
msg = ps.get_message(timeout=5)
assert msg and msg["type"] == "subscribe", msg
other = [n for n in rc.get_primaries() if n.name != sub_node.name][0]
assert direct(other.name).publish("news", "hello") == 0  # no subscriber on that node itself
msg = ps.get_message(timeout=10)
assert msg and msg["type"] == "message" and msg["data"] == "hello", msg
ps.close()
sps = rc.pubsub()
sps.ssubscribe("orders{shop}")
msg = sps.get_sharded_message(timeout=5)
assert msg and msg["type"] == "ssubscribe", msg
assert rc.spublish("orders{shop}", "o1") == 1
msg = None
for _ in range(50):
    msg = sps.get_sharded_message(timeout=0.2)
    if msg:
        break
assert msg and msg["type"] == "smessage" and msg["data"] == "o1", msg
chans = rc.execute_command("PUBSUB", "SHARDCHANNELS", target_nodes=rc.get_node_from_key("orders{shop}"))
assert chans == ["orders{shop}"], chans
sps.close()
print("ok: pubsub and sharded pubsub", flush=True)

# A slot moved under the client: MIGRATING/IMPORTING + MIGRATE, the client following -ASK, then -MOVED.
slot = rc.keyslot("{mig}a")
src = rc.get_node_from_key("{mig}a").name
dst = [n.name for n in rc.get_primaries() if n.name != src][0]
src_id, dst_id = myself(src)[0], myself(dst)[0]
for k in ("a", "b"):
    assert rc.set("{mig}" + k, "v" + k)
assert direct(dst).execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id) == "OK"
assert direct(src).execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id) == "OK"
dh, dp = split(dst)
assert direct(src).execute_command("MIGRATE", dh, dp, "", 0, 5000, "KEYS", "{mig}a") == "OK"
asking0 = cmdstat_calls(dst, "asking")
assert rc.get("{mig}a") == "va"  # src answers -ASK, dst serves it after ASKING
assert rc.get("{mig}b") == "vb"  # still on src
assert rc.set("{mig}c", "vc") is True  # a new key in a migrating slot goes to dst
assert cmdstat_calls(dst, "asking") >= asking0 + 2
assert direct(dst).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 2
assert direct(src).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 1
assert direct(src).execute_command("MIGRATE", dh, dp, "", 0, 5000, "KEYS", "{mig}b") == "OK"
for a in (dst, src) + tuple(n.name for n in rc.get_primaries() if n.name not in (src, dst)):
    assert direct(a).execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id) == "OK"
wait("every node to map the migrated slot to its new owner", lambda: owner_everywhere(slot, dst))
assert rc.get("{mig}b") == "vb"  # -MOVED from the client's old map
assert rc.get_node_from_key("{mig}b").name == dst
assert [rc.get("{mig}" + k) for k in "abc"] == ["va", "vb", "vc"]
assert direct(dst).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 3
assert direct(src).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
print("ok: slot %d migrated, client followed ASK and MOVED" % slot, flush=True)

# Manual failover of the master owning key:0: its replica takes over, the client keeps working.
old = rc.get_node_from_key("key:0").name
old_id = myself(old)[0]
rep = [a for a in ADDRS if myself(a)[3] == old_id]
assert len(rep) == 1, rep
rep = rep[0]
assert rc.set("key:0", "before-failover") is True
wait("the replica to catch up", lambda: direct(rep).info("replication").get("master_link_status") == "up"
     and direct(rep).info("replication").get("slave_repl_offset")
     == direct(old).info("replication").get("master_repl_offset"))
assert direct(rep).execute_command("CLUSTER", "FAILOVER") == "OK"
wait("the replica's promotion", lambda: "master" in myself(rep)[2].split(","))
wait("the old master to become a replica", lambda: "slave" in myself(old)[2].split(","))
# The client still holds the old map: its first command on those slots meets -MOVED.
wait("every node to map key:0's slot to the promoted replica", lambda: owner_everywhere(rc.keyslot("key:0"), rep))
assert rc.get("key:0") == "before-failover"
for i in range(N):
    assert rc.get("key:%d" % i) == ("before-failover" if i == 0 else "val:%d" % i), i
for i in range(N):
    assert rc.set("key:%d" % i, "after:%d" % i) is True
assert rc.get_node_from_key("key:0").name == rep
assert rc.dbsize(target_nodes=RedisCluster.PRIMARIES) >= N
assert [rc.get("key:%d" % i) for i in range(0, N, 97)] == ["after:%d" % i for i in range(0, N, 97)]
print("ok: failover %s -> %s, client kept working" % (old, rep), flush=True)

rc.close()
print("ok: all", flush=True)
