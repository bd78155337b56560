//! What RedisBloom's own flow tests (`tests/flow`, run by `tests/redisbloom-suite.sh`) found different, each
//! checked here against Redis 7.0.15 with RedisBloom 2.8.2 loaded, byte for byte where the oracle shows it.
//! Skipped (with `skipped: ...`) when the oracle is missing.

use crate::common::modules::module_pair;
use crate::common::{Pair, Resp};

fn pair() -> Option<Pair> {
    module_pair("redisbloom", &[])
}

/// `test_tdigest.py`'s `test_save_load`: a t-digest's MEMORY USAGE is the same after DEBUG RELOAD and after
/// RESTORE of its DUMP (ferredis once reserved one node more on load than at the first sample); COPY is refused
/// as RedisBloom's types refuse it. The figures themselves differ (ferredis counts the nodes' buffer as
/// allocated, RedisBloom its arrays); what is compared is that each stays the same, with every reply around it
/// byte for byte.
#[test]
fn tdigest_memory_usage_survives_reload_and_restore() {
    let Some(mut p) = pair() else { return };
    for (key, samples) in [("t100", 100), ("t1", 1), ("t2000", 2000), ("empty", 0)] {
        p.same(&["tdigest.create", key]);
        for i in 0..samples {
            p.same(&["tdigest.add", key, &format!("{}", i % 7)]);
        }
    }
    // Unmerged nodes too: 100 samples stay in the buffer until a query compresses them.
    p.same(&["tdigest.create", "buffered", "compression", "500"]);
    for i in 0..100 {
        p.same(&["tdigest.add", "buffered", &i.to_string()]);
    }
    let keys = ["t100", "t1", "t2000", "empty", "buffered"];
    let usage =
        |p: &mut Pair| -> Vec<(Vec<u8>, Vec<u8>)> { keys.iter().map(|k| p.replies(&["memory", "usage", k])).collect() };
    let before = usage(&mut p);
    p.same(&["debug", "reload"]);
    assert_eq!(usage(&mut p), before, "MEMORY USAGE after DEBUG RELOAD (ferredis, redis) per key");
    for k in keys {
        let (f, r) = p.replies(&["dump", k]);
        assert_eq!(f, r, "DUMP of {k}");
        p.same(&[b"restore".as_slice(), k.as_bytes(), b"0", &payload(&f), b"replace"]);
        p.same(&["copy", k, &format!("{k}-copy")]);
    }
    assert_eq!(usage(&mut p), before, "MEMORY USAGE after RESTORE (ferredis, redis) per key");
    for k in keys {
        p.same(&["tdigest.info", k]);
    }
}

/// The bulk string's bytes of a RESP bulk reply.
fn payload(reply: &[u8]) -> Vec<u8> {
    let start = reply.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    reply[start..reply.len().saturating_sub(2)].to_vec()
}

/// `test_overall.py`'s `test_load_bloom_with_large_number_of_filters`: a filter that grew past 1000 links (an
/// error rate halved at each of them) survives DEBUG RELOAD and DUMP/RESTORE. ferredis refused to load more than
/// 999 links, so its own RDB of such a filter failed to load and DEBUG RELOAD brought the server down. The oracle
/// keeps one broken link more (its last growth fails after adding the link), so BF.MADD's replies from the
/// failure on are not compared; every reply of a filter that stops before that is.
#[test]
fn bloom_with_over_a_thousand_links_reloads() {
    let Some(mut p) = pair() else { return };
    p.same(&["bf.reserve", "poc", "0.0001", "1", "expansion", "1"]);
    let items: Vec<String> = (10000..11060).map(|i| i.to_string()).collect();
    let mut madd = vec!["bf.madd".to_string(), "poc".to_string()];
    madd.extend(items.iter().cloned());
    p.same(&madd);
    p.same(&["bf.info", "poc"]);
    let mut exists = vec!["bf.mexists".to_string(), "poc".to_string()];
    exists.extend(items.iter().cloned());
    let before = p.same(&exists);
    let (dump, _) = p.replies(&["dump", "poc"]);
    p.same(&["debug", "reload"]);
    p.same(&["bf.info", "poc"]);
    assert_eq!(p.same(&exists), before, "BF.MEXISTS after DEBUG RELOAD");
    p.same(&[b"restore".as_slice(), b"copy", b"0", &payload(&dump)]);
    p.same(&["bf.info", "copy"]);
    p.same(&["bf.debug", "copy"]);
    // The growth goes on past a thousand links on both.
    p.same(&["bf.add", "poc", "one-more"]);
    p.same(&["bf.info", "poc", "filters"]);
}

/// `test_cms.py`'s `test_errors` and `test_validation`, line for line: CMS.MERGE refuses a key count that is not
/// positive before it reads the rest (ferredis merged nothing into `foo` for `0 weights`, and said `wrong number
/// of keys` for `-1`), and CMS.INITBYPROB refuses dimensions that round to a depth of 0 (ferredis created a
/// sketch of depth 1 for a probability of 0.9999999999999999). Dimensions that pass the checks but cannot be
/// allocated are left out: the oracle aborts on them (RedisModule_Calloc), where ferredis refuses them.
const CMS_FLOW_ERRORS: &str = r#"
set A 2000
cms.initbydim A 2000 10
cms.incrby A foo
cms.incrby B 5
cms.info A
cms.initbydim foo 2000 10
cms.initbydim bar 2000 10
cms.initbydim baz 2000 10
cms.incrby foo item foo
cms.incrby foo item -1
cms.merge foo 2 foo
cms.merge foo B 3 foo
cms.merge foo 1 bar weights B
cms.merge foo 3 foo weights B
cms.merge foo A foo weights 1
cms.merge foo 3 bar bazweights 1 a
cms.merge foo 3 bar bazweights 1
cms.merge foo 0
cms.merge foo 0 weights
cms.merge foo 0 foo
cms.merge foo -1
cms.merge foo -1 foo bar
cms.merge foo -1 foo bar weights 1 1
cms.merge foo -9223372036854775808 foo
cms.merge nokey 0 foo
cms.merge A 0 foo
cms.info foo
cms.query foo item
del foo
cms.initbydim foo 8589934592 8589934592
cms.initbydim foo 3074457345618258603 3
cms.initbyprob foo 0.9 0.9999999999999999
cms.initbyprob foo 0.0000000000000000001 0.9
cms.initbyprob foo 0.9 0.99999999
cms.initbyprob foo 0.9 0.999999999
cms.initbyprob foo 1000 0.1
cms.initbyprob foo 0 0
exists foo
cms.initbyprob foo 0.1 0.1
cms.info foo
"#;

#[test]
fn cms_flow_errors_match_redisbloom() {
    let Some(mut p) = pair() else { return };
    let diffs = p.script("cms-flow-errors", CMS_FLOW_ERRORS);
    assert!(diffs.is_empty(), "{} difference(s):\n{}", diffs.len(), diffs.join("\n"));
}

/// `test_docs_help.py`: COMMAND DOCS of every documented command shows what Redis 8 shows for its bundled bf
/// module (RedisBloom's command info: summary, complexity, since, the top-level arguments' names and types, the
/// first key at key spec 0). RedisBloom 2.8.2 on Redis 7.0 registers no docs, so the oracle shows only the group
/// and the module, and those two must agree; the rest is written down from RedisBloom's command info, as the flow
/// test has it. The columns: command, since, `name:type` of each top-level argument, summary, complexity.
#[test]
fn command_docs_are_redis8s() {
    let Some(mut p) = pair() else { return };
    let field = |entry: &[Resp], name: &str| -> Option<Resp> {
        entry.chunks(2).find(|kv| kv[0].as_bytes() == Some(name.as_bytes())).map(|kv| kv[1].clone())
    };
    let text = |r: &Resp| String::from_utf8_lossy(r.as_bytes().unwrap_or_default()).into_owned();
    for (cmd, since, args, summary, complexity) in REDIS8_DOCS {
        let docs = |c: &mut crate::common::Conn| -> Vec<Resp> {
            let v = Resp::parse(&c.cmd(&["COMMAND", "DOCS", cmd])).expect("COMMAND DOCS");
            v.items().and_then(|i| i.get(1)).and_then(Resp::items).cloned().expect("one entry")
        };
        let (ours, theirs) = (docs(p.f()), docs(p.r()));
        for name in ["group", "module"] {
            assert_eq!(field(&ours, name), field(&theirs, name), "{cmd}: {name}");
        }
        assert_eq!(field(&ours, "summary").map(|s| text(&s)).as_deref(), Some(*summary), "{cmd}");
        assert_eq!(field(&ours, "complexity").map(|s| text(&s)).as_deref(), Some(*complexity), "{cmd}");
        assert_eq!(field(&ours, "since").map(|s| text(&s)).as_deref(), Some(*since), "{cmd}");
        let arguments = field(&ours, "arguments").and_then(|a| a.items().cloned()).unwrap_or_default();
        let shown: Vec<String> = arguments
            .iter()
            .map(|a| {
                let a = a.items().cloned().unwrap_or_default();
                let get = |n| field(&a, n).map(|v| text(&v)).unwrap_or_default();
                format!("{}:{}", get("name"), get("type"))
            })
            .collect();
        assert_eq!(shown.join(" "), *args, "{cmd}: arguments");
        let first = arguments.first().and_then(Resp::items).cloned().unwrap_or_default();
        if let Some(spec) = field(&first, "key_spec_index") {
            assert_eq!(spec.as_int(), Some(0), "{cmd}: the first argument's key spec");
        }
    }
}

const REDIS8_DOCS: &[(&str, &str, &str, &str, &str)] = &[
    ("bf.add", "1.0.0", "key:key item:string", "Adds an item to a Bloom Filter", "O(k), where k is the number of hash functions used by the last sub-filter"),
    ("bf.card", "2.4.4", "key:key", "Returns the cardinality of a Bloom filter", "O(1)"),
    ("bf.exists", "1.0.0", "key:key item:string", "Checks whether an item exists in a Bloom Filter", "O(k), where k is the number of hash functions used by the last sub-filter"),
    ("bf.info", "1.0.0", "key:key single_value:oneof", "Returns information about a Bloom Filter", "O(1)"),
    ("bf.insert", "1.0.0", "key:key capacity:block error:block expansion:block nocreate:pure-token nonscaling:pure-token items:pure-token item:string", "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist", "O(k * n), where k is the number of hash functions and n is the number of items"),
    ("bf.loadchunk", "1.0.0", "key:key iterator:integer data:string", "Restores a filter previously saved using SCANDUMP", "O(n), where n is the capacity"),
    ("bf.madd", "1.0.0", "key:key item:string", "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist", "O(k * n), where k is the number of hash functions and n is the number of items"),
    ("bf.mexists", "1.0.0", "key:key item:string", "Checks whether one or more items exist in a Bloom Filter", "O(k * n), where k is the number of hash functions and n is the number of items"),
    ("bf.reserve", "1.0.0", "key:key error_rate:double capacity:integer expansion:block nonscaling:pure-token", "Creates a new Bloom Filter", "O(1)"),
    ("bf.scandump", "1.0.0", "key:key iterator:integer", "Begins an incremental save of the bloom filter", "O(n), where n is the capacity"),
    ("cf.add", "1.0.0", "key:key item:string", "Adds an item to a Cuckoo Filter", "O(k + i), where k is the number of sub-filters and i is maxIterations"),
    ("cf.addnx", "1.0.0", "key:key item:string", "Adds an item to a Cuckoo Filter if the item did not exist previously.", "O(k + i), where k is the number of sub-filters and i is maxIterations"),
    ("cf.count", "1.0.0", "key:key item:string", "Return the number of times an item might be in a Cuckoo Filter", "O(k), where k is the number of sub-filters"),
    ("cf.del", "1.0.0", "key:key item:string", "Deletes an item from a Cuckoo Filter", "O(k), where k is the number of sub-filters"),
    ("cf.exists", "1.0.0", "key:key item:string", "Checks whether one or more items exist in a Cuckoo Filter", "O(k), where k is the number of sub-filters"),
    ("cf.info", "1.0.0", "key:key", "Returns information about a Cuckoo Filter", "O(1)"),
    ("cf.insert", "1.0.0", "key:key capacity:block nocreate:pure-token items:pure-token item:string", "Adds one or more items to a Cuckoo Filter. A filter will be created if it does not exist", "O(n * (k + i)), where n is the number of items, k is the number of sub-filters and i is maxIterations"),
    ("cf.insertnx", "1.0.0", "key:key capacity:block nocreate:pure-token items:pure-token item:string", "Adds one or more items to a Cuckoo Filter if the items did not exist previously. A filter will be created if it does not exist", "O(n * (k + i)), where n is the number of items, k is the number of sub-filters and i is maxIterations"),
    ("cf.loadchunk", "1.0.0", "key:key iterator:integer data:string", "Restores a filter previously saved using SCANDUMP", "O(n), where n is the capacity"),
    ("cf.mexists", "1.0.0", "key:key item:string", "Checks whether one or more items exist in a Cuckoo Filter", "O(k * n), where k is the number of sub-filters and n is the number of items"),
    ("cf.reserve", "1.0.0", "key:key capacity:integer bucketsize:block maxiterations:block expansion:block", "Creates a new Cuckoo Filter", "O(1)"),
    ("cf.scandump", "1.0.0", "key:key iterator:integer", "Begins an incremental save of the bloom filter", "O(n), where n is the capacity"),
    ("cms.incrby", "2.0.0", "key:key items:block", "Increases the count of one or more items by increment", "O(n) where n is the number of items"),
    ("cms.info", "2.0.0", "key:key", "Returns information about a sketch", "O(1)"),
    ("cms.initbydim", "2.0.0", "key:key width:integer depth:integer", "Initializes a Count-Min Sketch to dimensions specified by user", "O(1)"),
    ("cms.initbyprob", "2.0.0", "key:key error:double probability:double", "Initializes a Count-Min Sketch to accommodate requested tolerances.", "O(1)"),
    ("cms.merge", "2.0.0", "key:key numKeys:integer source:key weights:block", "Merges several sketches into one sketch", "O(n) where n is the number of sketches"),
    ("cms.query", "2.0.0", "key:key item:string", "Returns the count for one or more items in a sketch", "O(n) where n is the number of items"),
    ("tdigest.add", "2.4.0", "key:key value:double", "Adds one or more observations to a t-digest sketch", "O(N), where N is the number of samples to add"),
    ("tdigest.byrank", "2.4.0", "key:key rank:double", "Returns, for each input rank, an estimation of the value (floating-point) with that rank", "O(N) where N is the number of ranks specified"),
    ("tdigest.byrevrank", "2.4.0", "key:key reverse_rank:double", "Returns, for each input reverse rank, an estimation of the value (floating-point) with that reverse rank", "O(N) where N is the number of reverse ranks specified."),
    ("tdigest.cdf", "2.4.0", "key:key value:double", "Returns, for each input value, an estimation of the floating-point fraction of (observations smaller than the given value + half the observations equal to the given value). Multiple fractions can be retrieved in a single call.", "O(N) where N is the number of values specified."),
    ("tdigest.create", "2.4.0", "key:key compression_block:block", "Allocates memory and initializes a new t-digest sketch", "O(1)"),
    ("tdigest.info", "2.4.0", "key:key", "Returns information and statistics about a t-digest sketch", "O(1)"),
    ("tdigest.max", "2.4.0", "key:key", "Returns the maximum observation value from a t-digest sketch", "O(1)"),
    ("tdigest.merge", "2.4.0", "destination-key:key numkeys:integer source-key:key compression_block:block override:pure-token", "Merges multiple t-digest sketches into a single sketch", "O(N*K), where N is the number of centroids and K being the number of input sketches"),
    ("tdigest.min", "2.4.0", "key:key", "Returns the minimum observation value from a t-digest sketch", "O(1)"),
    ("tdigest.quantile", "2.4.0", "key:key quantile:double", "Returns, for each input fraction, an estimation of the value (floating point) that is smaller than the given fraction of observations", "O(N) where N is the number of quantiles specified."),
    ("tdigest.rank", "2.4.0", "key:key value:double", "Returns, for each input value (floating-point), the estimated rank of the value (the number of observations in the sketch that are smaller than the value + half the number of observations that are equal to the value)", "O(N) where N is the number of values specified."),
    ("tdigest.reset", "2.4.0", "key:key", "Resets a t-digest sketch: empty the sketch and re-initializes it.", "O(1)"),
    ("tdigest.revrank", "2.4.0", "key:key value:double", "Returns, for each input value (floating-point), the estimated reverse rank of the value (the number of observations in the sketch that are larger than the value + half the number of observations that are equal to the value)", "O(N) where N is the number of values specified."),
    ("tdigest.trimmed_mean", "2.4.0", "key:key low_cut_quantile:double high_cut_quantile:double", "Returns an estimation of the mean value from the sketch, excluding observation values outside the low and high cutoff quantiles", "O(N) where N is the number of centroids"),
    ("topk.add", "2.0.0", "key:key item:string", "Adds an item to a Top-k sketch. Multiple items can be added at the same time.", "O(n * k) where n is the number of items and k is the depth"),
    ("topk.count", "2.0.0", "key:key item:string", "Return the count for one or more items are in a sketch", "O(n) where n is the number of items"),
    ("topk.incrby", "2.0.0", "key:key item_increment:block", "Increases the count of one or more items by increment", "O(n * k * incr) where n is the number of items, k is the depth and incr is the increment"),
    ("topk.info", "2.0.0", "key:key", "Returns information about a sketch", "O(1)"),
    ("topk.list", "2.0.0", "key:key withcount:pure-token", "Return the full list of items in Top-K sketch.", "O(k*log(k)) where k is the value of top-k"),
    ("topk.query", "2.0.0", "key:key item:string", "Checks whether one or more items are in a sketch", "O(n) where n is the number of items"),
    ("topk.reserve", "2.0.0", "key:key topk:integer params:block", "Initializes a Top-K sketch with specified parameters", "O(1)"),
];

/// `test_cms.py`'s `test_watch` (RedisBloom's MOD-8193 fix, in the module Redis 8 bundles): CMS.INCRBY opens its
/// key for writing, so a transaction that WATCHed the sketch is aborted, and so is one watching it when an
/// increment is refused after the key was opened. RedisBloom 2.8.2 (the oracle of the other tests) opened the key
/// for reading and let both EXECs through, so this runs on ferredis alone. The control: a WATCH of another key
/// stays valid.
#[test]
fn cms_incrby_signals_watch_as_redis8s_module() {
    let srv = crate::common::Server::ferredis();
    let mut a = crate::common::Conn::connect(srv.port);
    let mut b = crate::common::Conn::connect(srv.port);
    assert_eq!(b.cmd(&["cms.initbydim", "sketch", "1000", "5"]), b"+OK\r\n");
    let exec_after = |a: &mut crate::common::Conn, b: &mut crate::common::Conn, watched: &str, change: &[&str]| {
        assert_eq!(a.cmd(&["watch", watched]), b"+OK\r\n");
        b.cmd(change);
        assert_eq!(a.cmd(&["multi"]), b"+OK\r\n");
        assert_eq!(a.cmd(&["set", "x", "1"]), b"+QUEUED\r\n");
        a.cmd(&["exec"])
    };
    let incr = ["cms.incrby", "sketch", "smur", "5", "rr", "9"];
    assert_eq!(exec_after(&mut a, &mut b, "sketch", &incr), b"*-1\r\n", "WATCH of the sketch, CMS.INCRBY");
    let refused = ["cms.incrby", "sketch", "smur", "-1"];
    assert_eq!(exec_after(&mut a, &mut b, "sketch", &refused), b"*-1\r\n", "WATCH of the sketch, a refused INCRBY");
    assert_eq!(exec_after(&mut a, &mut b, "other", &incr), b"*1\r\n+OK\r\n", "WATCH of another key");
    assert_eq!(b.cmd(&["cms.query", "sketch", "smur", "rr"]), b"*2\r\n:10\r\n:18\r\n");
}
