//! Geo commands against Debian's redis-server 7.0.15, reply bytes compared:
//!
//! - curated scripts of every geo command and option with the inputs Redis refuses (coordinates out of range,
//!   units, COUNT 0, ANY without COUNT, negative radius or box sides, STORE with WITH*, FROMMEMBER of a missing
//!   member, both FROM* or both BY*, the `_RO` forms with STORE, WRONGTYPE, scores no GEOADD makes), in RESP2 and
//!   RESP3, plus COMMAND INFO/DOCS/GETKEYS of the geo commands;
//! - the geohash property: thousands of random points (pole limits, the antimeridian, exact edges) added to both
//!   servers give the same scores, GEOPOS and GEOHASH;
//! - seeded random searches (radius and box, tiny to huge, FROMMEMBER and FROMLONLAT, COUNT with and without ANY
//!   over many equal distances, ASC/DESC, WITH*, the STORE forms) over sets in both encodings;
//! - keyspace events, what each server appends to its AOF (GEOADD is propagated as ZADD), RDB files both ways,
//!   and replication both ways (same DEBUG DIGEST and search replies on the replica).
//!
//! Without /usr/bin/redis-server the tests print "skipped" and pass.

use crate::common;

use common::*;
use std::time::{Duration, Instant};

fn check(diffs: Vec<String>) {
    assert!(diffs.is_empty(), "{} differences (first 20):\n{}", diffs.len(), diffs[..diffs.len().min(20)].join("\n"));
}

const BASIC: &str = r#"
GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
ZRANGE Sicily 0 -1 WITHSCORES
TYPE Sicily
OBJECT ENCODING Sicily
GEODIST Sicily Palermo Catania
GEODIST Sicily Palermo Catania km
GEODIST Sicily Palermo Catania MI
GEODIST Sicily Palermo Catania Ft
GEODIST Sicily Palermo Catania m
GEODIST Sicily Palermo Catania foo
GEODIST Sicily Palermo Catania km x
GEODIST Sicily Palermo Palermo
GEODIST Sicily Palermo Foo
GEODIST nokey a b
GEODIST nokey a b parsec
GEOHASH Sicily Palermo Catania nope
GEOHASH Sicily
GEOHASH nokey a
GEOPOS Sicily Palermo Catania nope
GEOPOS Sicily
GEOPOS nokey a b
GEORADIUS Sicily 15 37 200 km
GEORADIUS Sicily 15 37 200 km WITHDIST
GEORADIUS Sicily 15 37 200 km WITHCOORD
GEORADIUS Sicily 15 37 200 km WITHHASH
GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH
GEORADIUS Sicily 15 37 200 km withhash withcoord withdist DESC
GEORADIUS Sicily 15 37 200 KM ASC
GEORADIUS Sicily 15 37 200 km COUNT 1
GEORADIUS Sicily 15 37 200 km COUNT 1 DESC
GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
GEORADIUS Sicily 15 37 200 km COUNT 5 ANY ASC
GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 200 km ANY COUNT 2
GEORADIUS Sicily 15 37 200 km COUNT 0
GEORADIUS Sicily 15 37 200 km COUNT -1
GEORADIUS Sicily 15 37 200 km COUNT x
GEORADIUS Sicily 15 37 200 km COUNT 99999999999999999999
GEORADIUS Sicily 15 37 200 km COUNT
GEORADIUS Sicily 15 37 200 km BOGUS
GEORADIUS Sicily 15 37 -200 km
GEORADIUS Sicily 15 37 x km
GEORADIUS Sicily 15 37 nan km
GEORADIUS Sicily 15 37 inf km
GEORADIUS Sicily 15 37 0 km
GEORADIUS Sicily 15 37 200 parsecs
GEORADIUS Sicily 15 86 200 km
GEORADIUS Sicily 15 -85.05112879 200 km
GEORADIUS Sicily 15 85.05112878 200 km
GEORADIUS Sicily 181 37 200 km
GEORADIUS Sicily -180.0000001 37 200 km
GEORADIUS Sicily 1e300 37 200 km
GEORADIUS Sicily foo 37 200 km
GEORADIUS Sicily 15 "" 200 km
GEORADIUS Sicily 15 37 200 km STORE dst
ZRANGE dst 0 -1 WITHSCORES
OBJECT ENCODING dst
GEORADIUS Sicily 15 37 200 km STOREDIST dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dst COUNT 1 DESC
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STORE a STOREDIST b
EXISTS a b
GEORADIUS Sicily 15 37 200 km STOREDIST dst WITHDIST
GEORADIUS Sicily 15 37 200 km STORE dst WITHHASH
GEORADIUS Sicily 15 37 200 km STORE dst WITHCOORD
GEORADIUS Sicily 15 37 200 km STORE
GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst
GEORADIUS_RO Sicily 15 37 200 km STORE dst
GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC COUNT 1
GEORADIUS Sicily 15 37 1 km STORE dst
EXISTS dst
SET dst x
GEORADIUS Sicily 15 37 200 km STORE dst
TYPE dst
SET dst x EX 100
GEORADIUS Sicily 15 37 200 km STORE dst
TTL dst
GEORADIUS nokey 15 37 200 km STORE dst
EXISTS dst
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST WITHCOORD WITHHASH COUNT 1
GEORADIUSBYMEMBER Sicily Nope 200 km WITHDIST
GEORADIUSBYMEMBER Sicily Palermo -200 km
GEORADIUSBYMEMBER Sicily Palermo 200 xx
GEORADIUSBYMEMBER nokey Nope -200 xx WITHDIST
GEORADIUSBYMEMBER nokey Nope -200 xx STORE dst2
GEORADIUSBYMEMBER nokey Nope 1 km BOGUS
GEORADIUSBYMEMBER Sicily Palermo 200 km STORE dst2
ZRANGE dst2 0 -1 WITHSCORES
GEORADIUSBYMEMBER Sicily Catania 500 km STOREDIST dst2
ZRANGE dst2 0 -1 WITHSCORES
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km WITHDIST WITHCOORD
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE x
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km WITHDIST ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km WITHDIST WITHHASH WITHCOORD DESC
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 -400 km WITHDIST ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -400 400 km WITHDIST ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 x km WITHDIST ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 400 km WITHDIST ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 lightyear
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km BYRADIUS 100 km
GEOSEARCH Sicily FROMLONLAT 15 37 WITHDIST WITHHASH
GEOSEARCH Sicily BYBOX 1 1 km
GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 2 BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 1 2 FROMMEMBER Palermo BYBOX 1 1 km
GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 1 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 200 2 BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 2 BYRADIUS 1 km
GeoSearch Sicily BYRADIUS 1 km ASC
geosearch Sicily fromlonlat 15 37 ASC
GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km
GEOSEARCH Sicily FROMMEMBER nope BYRADIUS -1 km
GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km
GEOSEARCH nokey FROMMEMBER nope BYRADIUS -1 km
GEOSEARCH nokey FROMLONLAT 1 2 BYRADIUS 1 km ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE dst
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY WITHDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 DESC
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 m
EXISTS dst
GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE dst Sicily FROMMEMBER nope BYRADIUS 200 km
GEOSEARCHSTORE Sicily Sicily FROMMEMBER Palermo BYRADIUS 1 km STOREDIST
ZRANGE Sicily 0 -1 WITHSCORES
SET str x
GEORADIUS str 15 37 200 km
GEORADIUS str 1000 37 200 km
GEORADIUSBYMEMBER str a 200 km
GEOSEARCH str FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE dst str FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE str nokey FROMLONLAT 15 37 BYRADIUS 200 km
EXISTS str
GEOADD str 1 1 a
GEOADD str 1000 1 a
GEODIST str a b
GEODIST str a b parsec
GEOHASH str a
GEOPOS str a
GEOADD g xx nx 1 1 a
GEOADD g nx xx 1 1 a
GEOADD g ch xx foo 1 1 a
GEOADD g 1 1
GEOADD g 1 1 a 2
GEOADD g ch ch 1 1 a
GEOADD g ch nx ch
GEOADD g gt 1 1 a
GEOADD g ch 200 1 a
GEOADD g ch 100 85.1 a
GEOADD g 1 1 ok 200 1 bad
EXISTS g
GEOADD g ch 100 85.05112878 a
GEOADD g CH 13.361389 38.115556 "Palermo"
GEOADD g XX CH 13.361389 38.115558 "Palermo" 1 1 new
GEOADD g NX 13 38 "Palermo" 1 1 new
GEOADD g xx 13 38 nosuch
GEOADD nokey2 xx 13 38 nosuch
EXISTS nokey2
GEOPOS g a new Palermo
GEOADD g -180 -85.05112878 sw 180 85.05112878 ne 0 0 zero -0 -0 negzero 180 0 east -180 0 west
GEOPOS g sw ne zero negzero east west
GEOHASH g sw ne zero negzero east west
GEODIST g sw ne
GEODIST g east west
GEODIST g zero negzero
GEORADIUS g 0 0 0 m WITHDIST WITHCOORD WITHHASH
GEORADIUS g 179.9999 0 10 km WITHDIST
GEORADIUS g -179.9999 0 10 km WITHDIST
GEOSEARCH g FROMLONLAT 0 0 BYBOX 0 0 m WITHDIST
GEOSEARCH g FROMLONLAT 0 0 BYRADIUS 30000 km WITHDIST ASC
GEOSEARCH g FROMLONLAT 0 0 BYBOX 1e9 1e9 km WITHDIST ASC
ZADD weird -1 neg 1e300 huge inf pinf -inf ninf 0 z 4503599627370496 b52 1.5 frac 9007199254740993 big
GEOPOS weird neg huge pinf ninf z b52 frac big
GEOHASH weird neg huge pinf ninf z b52 frac big
GEODIST weird neg huge
GEODIST weird z frac
GEORADIUS weird 0 0 20000 km WITHHASH WITHCOORD WITHDIST
GEOSEARCH weird FROMMEMBER frac BYBOX 40000 40000 km WITHHASH ASC
"#;

/// COMMAND INFO, DOCS and GETKEYS of the geo commands (and of the other commands Redis documents as deprecated).
const COMMANDS: &str = r#"
COMMAND INFO geoadd geodist geohash geopos georadius georadius_ro georadiusbymember georadiusbymember_ro geosearch geosearchstore
COMMAND DOCS geoadd
COMMAND DOCS geodist
COMMAND DOCS geohash
COMMAND DOCS geopos
COMMAND DOCS georadius
COMMAND DOCS georadius_ro
COMMAND DOCS georadiusbymember
COMMAND DOCS georadiusbymember_ro
COMMAND DOCS geosearch
COMMAND DOCS geosearchstore
COMMAND DOCS getset hmset rpoplpush brpoplpush substr zrangebylex zrangebyscore zrevrange zrevrangebylex zrevrangebyscore
COMMAND DOCS debug replconf
COMMAND GETKEYS georadius k 1 2 3 km store d
COMMAND GETKEYS georadius k 1 2 3 km storedist d
COMMAND GETKEYS georadius k 1 2 3 km STORE a STOREDIST b
COMMAND GETKEYS georadius k 1 2 3 km withdist store
COMMAND GETKEYS georadius k 1 2 3 km
COMMAND GETKEYS georadiusbymember k m 3 km store d
COMMAND GETKEYS georadiusbymember k m 3 km withdist storedist d
COMMAND GETKEYS georadiusbymember k m 3 km
COMMAND GETKEYS georadius_ro k 1 2 3 km
COMMAND GETKEYS geosearchstore d s frommember m byradius 1 km
COMMAND GETKEYS geosearch s frommember m byradius 1 km
COMMAND GETKEYS geoadd k 1 2 m
COMMAND GETKEYSANDFLAGS georadius k 1 2 3 km store a storedist b
COMMAND GETKEYSANDFLAGS georadiusbymember k m 3 km storedist d
COMMAND GETKEYSANDFLAGS geosearchstore d s frommember m byradius 1 km
COMMAND GETKEYSANDFLAGS geoadd k 1 2 m
COMMAND GETKEYSANDFLAGS geodist k a b
"#;

#[test]
fn curated_scripts_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    let mut diffs = p.script("basic", BASIC);
    diffs.extend(p.script("basic-resp3", &format!("!HELLO 3\n{BASIC}")));
    diffs.extend(p.script("commands", COMMANDS));
    diffs.extend(p.script("commands-resp3", &format!("!HELLO 3\n{COMMANDS}")));
    // Skiplist-encoded sources and destinations.
    let small = format!("CONFIG SET zset-max-listpack-entries 1\n{BASIC}\nCONFIG SET zset-max-listpack-entries 128");
    diffs.extend(p.script("skiplist", &small));
    check(diffs);
}

/// A coordinate in `lo..=hi`, sometimes exactly an edge or a hair inside it, printed so both parse it alike.
fn coord(g: &mut Prng, lo: f64, hi: f64) -> String {
    let u = g.next_u64() as f64 / u64::MAX as f64;
    match g.below(20) {
        0 => format!("{lo}"),
        1 => format!("{hi}"),
        2 => format!("{}", lo + 1e-9),
        3 => format!("{}", hi - 1e-9),
        4 => format!("{:.3}", lo + (hi - lo) * u),
        _ => format!("{}", lo + (hi - lo) * u),
    }
}

const LAT: f64 = 85.05112878;

/// A random point: anywhere, near a pole's limit, or near the antimeridian.
fn point(g: &mut Prng) -> (String, String) {
    match g.below(6) {
        0 => (coord(g, -180.0, 180.0), coord(g, 80.0, LAT)),
        1 => (coord(g, -180.0, 180.0), coord(g, -LAT, -80.0)),
        2 => (coord(g, 179.0, 180.0), coord(g, -LAT, LAT)),
        3 => (coord(g, -180.0, -179.0), coord(g, -LAT, LAT)),
        4 => (coord(g, 10.0, 11.0), coord(g, 45.0, 46.0)),
        _ => (coord(g, -180.0, 180.0), coord(g, -LAT, LAT)),
    }
}

/// The geohash property: random points give Redis's scores, positions and geohash strings.
#[test]
fn geohash_encode_decode_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    let mut g = Prng::new(30);
    let mut script = String::new();
    for batch in 0..8 {
        let mut add = format!("GEOADD p{batch}");
        let mut names = String::new();
        for i in 0..300 {
            let (lon, lat) = point(&mut g);
            add.push_str(&format!(" {lon} {lat} m{i}"));
            names.push_str(&format!(" m{i}"));
        }
        script.push_str(&format!("{add}\nZRANGE p{batch} 0 -1 WITHSCORES\nGEOPOS p{batch}{names}\n"));
        script.push_str(&format!("GEOHASH p{batch}{names}\n"));
    }
    check(p.script("geohash", &script));
    check(p.script("geohash-resp3", &format!("!HELLO 3\n{script}")));
}

/// One random search command over key `k` (members m0..m{n-1}).
fn search(g: &mut Prng, k: &str, n: usize) -> String {
    const UNITS: &[&str] = &["m", "km", "mi", "ft", "KM"];
    let unit = *g.pick(UNITS);
    let size = |g: &mut Prng| -> String {
        match g.below(10) {
            0 => "0".into(),
            1 => "0.001".into(),
            2 => format!("{}", g.below(100)),
            3 => "20000000".into(),
            4 => "1e9".into(),
            _ => format!("{}", g.below(5_000_000) as f64 / 1000.0),
        }
    };
    let member = format!("m{}", g.below(n + 1));
    let from = |g: &mut Prng| -> String {
        if g.chance(40) {
            format!("FROMMEMBER {member}")
        } else {
            let (lon, lat) = point(g);
            format!("FROMLONLAT {lon} {lat}")
        }
    };
    let mut opts = String::new();
    let mut with = |g: &mut Prng, store: bool| {
        if !store {
            for w in ["WITHDIST", "WITHCOORD", "WITHHASH"] {
                if g.chance(40) {
                    opts.push_str(&format!(" {w}"));
                }
            }
        }
        if g.chance(50) {
            opts.push_str(&format!(" COUNT {}", [1, 2, 3, 5, 10, 50][g.below(6)]));
            if g.chance(30) {
                opts.push_str(" ANY");
            }
        }
        if g.chance(60) {
            opts.push_str(if g.chance(50) { " ASC" } else { " DESC" });
        }
    };
    let by = |g: &mut Prng| -> String {
        if g.chance(50) {
            format!("BYRADIUS {} {unit}", size(g))
        } else {
            format!("BYBOX {} {} {unit}", size(g), size(g))
        }
    };
    match g.below(7) {
        0..=2 => {
            with(g, false);
            format!("GEOSEARCH {k} {} {}{opts}", from(g), by(g))
        }
        3 => {
            with(g, true);
            let dist = if g.chance(50) { " STOREDIST" } else { "" };
            format!("GEOSEARCHSTORE dst {k} {} {}{opts}{dist}\nZRANGE dst 0 -1 WITHSCORES", from(g), by(g))
        }
        4 => {
            let (lon, lat) = point(g);
            let store = g.chance(30);
            with(g, store);
            let cmd = if g.chance(50) { "GEORADIUS" } else { "GEORADIUS_RO" };
            if store && cmd == "GEORADIUS" {
                format!("GEORADIUS {k} {lon} {lat} {} {unit}{opts} STOREDIST dst\nZRANGE dst 0 -1 WITHSCORES", size(g))
            } else {
                format!("{cmd} {k} {lon} {lat} {} {unit}{opts}", size(g))
            }
        }
        5 => {
            with(g, false);
            let cmd = if g.chance(50) { "GEORADIUSBYMEMBER" } else { "GEORADIUSBYMEMBER_RO" };
            format!("{cmd} {k} {member} {} {unit}{opts}", size(g))
        }
        _ => format!("GEODIST {k} {member} m{} {unit}", g.below(n)),
    }
}

/// Random points (with many exact duplicates, so COUNT meets equal distances) and random searches, compared.
#[test]
fn random_searches_match_redis() {
    if !have_redis() {
        return;
    }
    let mut p = Pair::new(&[]);
    let seeds: Vec<u64> = match std::env::var("GEO_SEED") {
        Ok(s) => vec![s.parse().expect("GEO_SEED")],
        Err(_) => vec![1, 2, 3],
    };
    let mut diffs = Vec::new();
    for seed in seeds {
        for n in [60usize, 1500] {
            let mut g = Prng::new(seed * 1000 + n as u64);
            let mut script = String::from("GEOADD pts");
            let mut dups: Vec<(String, String)> = Vec::new();
            for i in 0..n {
                let (lon, lat) = if !dups.is_empty() && g.chance(25) { g.pick(&dups).clone() } else { point(&mut g) };
                if dups.len() < 8 {
                    dups.push((lon.clone(), lat.clone()));
                }
                script.push_str(&format!(" {lon} {lat} m{i}"));
            }
            script.push('\n');
            script.push_str("OBJECT ENCODING pts\n");
            for _ in 0..400 {
                script.push_str(&search(&mut g, "pts", n));
                script.push('\n');
            }
            diffs.extend(p.script(&format!("seed {seed} n {n}"), &script));
            if seed == 1 {
                diffs.extend(p.script(&format!("seed {seed} n {n} resp3"), &format!("!HELLO 3\n{script}")));
            }
        }
    }
    check(diffs);
}

/// Keyspace events: GEOADD emits `zadd`, the STORE forms `georadiusstore` / `geosearchstore`, or `del`.
#[test]
fn keyspace_events_match_redis() {
    if !have_redis() {
        return;
    }
    let script = [
        "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
        "GEOADD g NX 13.361389 38.115556 Palermo",
        "GEOADD g XX CH 13 38 Palermo",
        "GEORADIUS g 15 37 200 km STORE d1",
        "GEORADIUSBYMEMBER g Palermo 500 km STOREDIST d2",
        "GEOSEARCHSTORE d3 g FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCHSTORE d3 g FROMLONLAT 0 0 BYRADIUS 1 km",
        "GEORADIUS g 0 0 1 km STORE d1",
        "GEORADIUS nokey 0 0 1 km STORE d2",
        "GEORADIUS g 15 37 200 km",
        "DEL g",
    ];
    let run = |kind: Kind| {
        let s = Server::start(kind, &["--notify-keyspace-events", "KEA"]);
        let mut sub = s.conn();
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]);
        let mut c = s.conn();
        for l in script {
            c.cmd(&split_args(l).unwrap());
        }
        c.cmd(&["PUBLISH", "__keyevent@0__:end", "x"]);
        let mut msgs = Vec::new();
        loop {
            let m = sub.read_reply().unwrap();
            let end = m.windows(3).any(|w| w == b"end");
            msgs.push(escape(&m));
            if end {
                break;
            }
        }
        msgs
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

const WORKLOAD: &[&str] = &[
    "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 2.349014 48.864716 Paris",
    "GEOADD g CH XX 13.4 38.1 Palermo 1 1 nosuch",
    "GEOADD g NX 13.4 38.1 Palermo -0.1275 51.507222 London",
    "GEORADIUS g 15 37 200 km STORE r1",
    "GEORADIUS g 15 37 2000 km STOREDIST r2 COUNT 2 DESC",
    "GEORADIUSBYMEMBER g Paris 500 km STORE r3",
    "GEORADIUSBYMEMBER g Paris 5000 km STOREDIST r4 ASC",
    "GEOSEARCHSTORE r5 g FROMMEMBER Paris BYBOX 3000 3000 km",
    "GEOSEARCHSTORE r6 g FROMLONLAT 0 0 BYRADIUS 20000 km STOREDIST COUNT 3",
    "GEOSEARCHSTORE r6 g FROMLONLAT 0 0 BYRADIUS 1 km",
    "GEORADIUS g 0 0 1 km STORE r1",
    "GEORADIUS_RO g 15 37 200 km",
    "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km",
    "GEOADD big 0 0 x",
];

/// What each server appends to its AOF for the same geo commands (GEOADD becomes ZADD, the STORE forms are
/// propagated as themselves).
#[test]
fn propagation_matches_redis() {
    if !have_redis() {
        return;
    }
    let run = |kind: Kind| {
        let dir = TempDir::new(&format!("geo-aof-{}", kind.label()));
        let s = Server::start_in(kind, &dir.path, &["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
        let mut c = s.conn();
        for l in WORKLOAD {
            c.cmd(&split_args(l).unwrap());
        }
        std::thread::sleep(Duration::from_millis(300));
        let mut aof = String::new();
        for e in std::fs::read_dir(dir.path.join("appendonlydir")).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".incr.aof") {
                aof = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
            }
        }
        drop(s);
        aof.replace("\r\n", " ")
    };
    assert_eq!(run(Kind::Ferredis), run(Kind::Redis));
}

fn big_geo_set(c: &mut Conn, key: &str, n: usize, seed: u64) {
    let mut g = Prng::new(seed);
    let mut args: Vec<String> = vec!["GEOADD".into(), key.into()];
    for i in 0..n {
        let (lon, lat) = point(&mut g);
        args.extend([lon, lat, format!("member:{i}")]);
    }
    c.cmd(&args);
}

/// Replies that depend on the geo data (compared between servers holding the same data).
fn probes(c: &mut Conn) -> Vec<String> {
    [
        "GEOSEARCH big FROMLONLAT 10.5 45.5 BYRADIUS 200 km WITHDIST WITHCOORD WITHHASH ASC",
        "GEOSEARCH big FROMLONLAT 179.9 0 BYBOX 5000 20000 km COUNT 20 DESC WITHDIST",
        "GEORADIUS_RO small 15 37 300 km WITHDIST WITHCOORD",
        "GEOPOS small Palermo Catania",
        "GEOHASH big member:1 member:2 member:3",
        "ZRANGE small 0 -1 WITHSCORES",
        "OBJECT ENCODING big",
        "OBJECT ENCODING small",
        "DEBUG DIGEST",
    ]
    .iter()
    .map(|l| escape(&c.cmd(&split_args(l).unwrap())))
    .collect()
}

/// RDB files with geo sets (listpack and skiplist encoded) written by either server load into the other.
#[test]
fn rdb_files_move_both_ways() {
    if !have_redis() {
        return;
    }
    let dir = TempDir::new("geo-rdb");
    let redis = Server::start_in(Kind::Redis, &dir.path, &[]);
    let mut rc = redis.conn();
    big_geo_set(&mut rc, "big", 3000, 7);
    rc.cmd(&split_args("GEOADD small 13.361389 38.115556 Palermo 15.087269 37.502669 Catania").unwrap());
    let want = probes(&mut rc);
    assert_eq!(rc.cmd(&["SAVE"]), b"+OK\r\n");
    drop(rc);
    drop(redis);
    let fer = Server::start_in(Kind::Ferredis, &dir.path, &[]);
    let mut fc = fer.conn();
    assert_eq!(probes(&mut fc), want);
    big_geo_set(&mut fc, "big", 200, 8);
    fc.cmd(&split_args("GEOADD small 0 0 zero").unwrap());
    let want = probes(&mut fc);
    assert_eq!(fc.cmd(&["SAVE"]), b"+OK\r\n");
    drop(fc);
    drop(fer);
    let redis = Server::start_in(Kind::Redis, &dir.path, &[]);
    assert_eq!(probes(&mut redis.conn()), want);
}

/// An AOF written by one server loads into the other with the same data.
#[test]
fn aof_files_move_both_ways() {
    if !have_redis() {
        return;
    }
    for (writer, reader) in [(Kind::Ferredis, Kind::Redis), (Kind::Redis, Kind::Ferredis)] {
        let dir = TempDir::new(&format!("geo-aofload-{}", writer.label()));
        let opts = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
        let w = Server::start_in(writer, &dir.path, &opts);
        let mut c = w.conn();
        for l in WORKLOAD {
            c.cmd(&split_args(l).unwrap());
        }
        big_geo_set(&mut c, "big", 500, 9);
        c.cmd(&split_args("GEOADD small 13.361389 38.115556 Palermo 15.087269 37.502669 Catania").unwrap());
        let want = probes(&mut c);
        std::thread::sleep(Duration::from_millis(300));
        drop(c);
        drop(w);
        let r = Server::start_in(reader, &dir.path, &opts);
        assert_eq!(probes(&mut r.conn()), want, "{writer:?} -> {reader:?}");
    }
}

fn info_field(c: &mut Conn, name: &str) -> String {
    let text = String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).into_owned();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or("").trim().to_string()
}

/// A geo workload on a master reaches its replica, ferredis to Redis and Redis to ferredis, with the same data.
#[test]
fn replicas_stay_identical_both_ways() {
    if !have_redis() {
        return;
    }
    for (mk, rk) in [(Kind::Ferredis, Kind::Redis), (Kind::Redis, Kind::Ferredis)] {
        let master = Server::start(mk, &[]);
        let mut m = master.conn();
        // Some data before the link (full sync), the rest streamed.
        big_geo_set(&mut m, "big", 1000, 11);
        let port = master.port.to_string();
        let replica = Server::start(rk, &["--replicaof", "127.0.0.1", &port]);
        let mut r = replica.conn();
        let deadline = Instant::now() + Duration::from_secs(30);
        while info_field(&mut r, "master_link_status") != "up" {
            assert!(Instant::now() < deadline, "{mk:?} -> {rk:?}: no link");
            std::thread::sleep(Duration::from_millis(20));
        }
        for l in WORKLOAD {
            m.cmd(&split_args(l).unwrap());
        }
        m.cmd(&split_args("GEOADD small 13.361389 38.115556 Palermo 15.087269 37.502669 Catania").unwrap());
        loop {
            let mo = info_field(&mut m, "master_repl_offset");
            if mo == info_field(&mut r, "slave_repl_offset")
                && m.cmd(&["DEBUG", "DIGEST"]) == r.cmd(&["DEBUG", "DIGEST"])
            {
                break;
            }
            assert!(Instant::now() < deadline, "{mk:?} -> {rk:?}: digests differ");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(probes(&mut r), probes(&mut m), "{mk:?} -> {rk:?}");
        // A write search is refused on a read-only replica, the _RO forms answer.
        let refused = r.cmd(&split_args("GEORADIUS small 15 37 200 km").unwrap());
        assert!(refused.starts_with(b"-READONLY"), "{}", escape(&refused));
        let ro = r.cmd(&split_args("GEORADIUS_RO small 15 37 200 km").unwrap());
        assert_eq!(ro, m.cmd(&split_args("GEORADIUS_RO small 15 37 200 km").unwrap()));
    }
}
