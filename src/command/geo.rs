//! Geo commands (Redis `geo.c`): GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS,
//! GEORADIUSBYMEMBER and their `_RO` forms, over plain sorted sets whose scores are 52-bit geohashes
//! (`keyspace/types/geo.rs` holds the arithmetic).
//!
//! As in Redis: GEOADD is ZADD with the coordinates turned into scores (it runs the ZADD handler, emits `zadd`
//! and is propagated as that ZADD); a search visits the 9 cells around the centre in Redis's order, keeps the
//! points inside the shape, and sorts them with a stable sort, or with Redis's partial quicksort when COUNT cuts
//! the result (so ties come out in Redis's order either way). Distances are printed with 4 decimals
//! (`fixedpoint_d2string`), coordinates as `%.17Lf` trimmed (RESP3 doubles too). The STORE forms write a sorted
//! set (event `georadiusstore` / `geosearchstore`, or `del` for an empty result) and are propagated as
//! themselves. Argument parsing and error order follow `georadiusGeneric` exactly, including its quirks (the
//! source key is looked up first, FROMMEMBER of a missing member fails while parsing).

use super::shared::{delete_key, store_value};
use super::{flag, Args, Command, Ctx, FindKeys, Group, KeySpecDef, OwnedArgs, BASE, ONE_KEY};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::{StrRef, Value};
use crate::keyspace::types::geo::{self, Shape, ShapeKind};
use crate::keyspace::types::zset::{ScoreRange, ZAddFlags, ZSet};
use crate::keyspace::types::Thresholds;
use crate::resp::reply::Reply;

const GEO: Command = Command {
    flags: flag::READONLY,
    acl: "read geo slow",
    keys: ONE_KEY,
    key_specs: &[KeySpecDef::at(1, "RO access")],
    group: Group::Geo,
    since: "3.2.0",
    ..BASE
};

const RADIUS_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";
const STORE_AFTER: FindKeys = FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 };
const UNITS_HISTORY: (&str, &str) = ("7.0.0", "Added support for uppercase unit names.");
const ANY_HISTORY: (&str, &str) = ("6.2.0", "Added the `ANY` option for `COUNT`.");

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "geoadd",
        arity: -5,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write geo slow",
        key_specs: &[KeySpecDef::at(1, "RW update")],
        summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        syntax: "key [NX | XX]{condition@6.2.0} [CH]{change@6.2.0} longitude latitude member [longitude latitude member ...]",
        handler: geoadd,
        history: &[("6.2.0", "Added the `CH`, `NX` and `XX` options.")],
        ..GEO
    },
    Command {
        name: "geodist",
        arity: -4,
        summary: "Returns the distance between two members of a geospatial index",
        complexity: "O(log(N))",
        syntax: r#"key member1 member2 [M | KM | FT | MI]{unit}"#,
        handler: geodist,
        ..GEO
    },
    Command {
        name: "geohash",
        arity: -2,
        summary: "Returns members of a geospatial index as standard geohash strings",
        complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
        syntax: "key member [member ...]",
        handler: geohash,
        ..GEO
    },
    Command {
        name: "geopos",
        arity: -2,
        summary: "Returns longitude and latitude of members of a geospatial index",
        complexity: "O(N) where N is the number of members requested.",
        syntax: "key member [member ...]",
        handler: geopos,
        ..GEO
    },
    Command {
        name: "georadius",
        arity: -6,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write geo slow",
        key_specs: &[
            KeySpecDef::at(1, "RO access"),
            KeySpecDef::keyword("STORE", 6, STORE_AFTER, "OW update"),
            KeySpecDef::keyword("STOREDIST", 6, STORE_AFTER, "OW update"),
        ],
        getkeys: Some(georadius_keys),
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        complexity: RADIUS_COMPLEXITY,
        syntax: r#"key longitude latitude radius <M | KM | FT | MI>{unit} [WITHCOORD] [WITHDIST] [WITHHASH] [<COUNT count> [ANY]{@6.2.0}]{count} [ASC | DESC]{order} [STORE key{#1}] [STOREDIST key{#2}]"#,
        handler: georadius,
        history: &[ANY_HISTORY, UNITS_HISTORY],
        ..GEO
    },
    Command {
        name: "georadius_ro",
        arity: -6,
        since: "3.2.10",
        summary: "A read-only variant for GEORADIUS",
        complexity: RADIUS_COMPLEXITY,
        syntax: r#"key longitude latitude radius <M | KM | FT | MI>{unit} [WITHCOORD] [WITHDIST] [WITHHASH] [<COUNT count> [ANY]{@6.2.0}]{count} [ASC | DESC]{order}"#,
        handler: georadius_ro,
        history: &[ANY_HISTORY],
        ..GEO
    },
    Command {
        name: "georadiusbymember",
        arity: -5,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write geo slow",
        key_specs: &[
            KeySpecDef::at(1, "RO access"),
            KeySpecDef::keyword("STORE", 5, STORE_AFTER, "OW update"),
            KeySpecDef::keyword("STOREDIST", 5, STORE_AFTER, "OW update"),
        ],
        getkeys: Some(georadius_keys),
        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        complexity: RADIUS_COMPLEXITY,
        syntax: r#"key member radius <M | KM | FT | MI>{unit} [WITHCOORD] [WITHDIST] [WITHHASH] [<COUNT count> [ANY]]{count} [ASC | DESC]{order} [STORE key{#1}] [STOREDIST key{#2}]"#,
        handler: georadiusbymember,
        history: &[UNITS_HISTORY],
        ..GEO
    },
    Command {
        name: "georadiusbymember_ro",
        arity: -5,
        since: "3.2.10",
        summary: "A read-only variant for GEORADIUSBYMEMBER",
        complexity: RADIUS_COMPLEXITY,
        syntax: r#"key member radius <M | KM | FT | MI>{unit} [WITHCOORD] [WITHDIST] [WITHHASH] [<COUNT count> [ANY]]{count} [ASC | DESC]{order}"#,
        handler: georadiusbymember_ro,
        ..GEO
    },
    Command {
        name: "geosearch",
        arity: -7,
        since: "6.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        complexity: SEARCH_COMPLEXITY,
        syntax: r#"key <FROMMEMBER member | <FROMLONLAT longitude latitude>{longitude_latitude}>{from} <<<BYRADIUS radius> <M | KM | FT | MI>{unit}>{circle} | <<BYBOX width> height <M | KM | FT | MI>{unit}>{box}>{by} [ASC | DESC]{order} [<COUNT count> [ANY]]{count} [WITHCOORD] [WITHDIST] [WITHHASH]"#,
        handler: geosearch,
        history: &[UNITS_HISTORY],
        ..GEO
    },
    Command {
        name: "geosearchstore",
        arity: -8,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write geo slow",
        keys: super::KeySpec { first: 1, last: 2, step: 1 },
        key_specs: &[KeySpecDef::at(1, "OW update"), KeySpecDef::at(2, "RO access")],
        since: "6.2.0",
        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        complexity: SEARCH_COMPLEXITY,
        syntax: r#"destination source <FROMMEMBER member | <FROMLONLAT longitude latitude>{longitude_latitude}>{from} <<<BYRADIUS radius> <M | KM | FT | MI>{unit}>{circle} | <<BYBOX width> height <M | KM | FT | MI>{unit}>{box}>{by} [ASC | DESC]{order} [<COUNT count> [ANY]]{count} [STOREDIST]"#,
        handler: geosearchstore,
        history: &[UNITS_HISTORY],
        ..GEO
    },
];

/// Redis's `georadiusGetKeys`: the source key, and the key after the last STORE/STOREDIST from argument 5 on.
fn georadius_keys(args: Args) -> Vec<usize> {
    let mut stored = None;
    let mut i = 5;
    while i < args.len() {
        if (args.is(i, "store") || args.is(i, "storedist")) && i + 1 < args.len() {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    let mut keys = vec![1];
    keys.extend(stored);
    keys
}

// ---------------------------------------------------------------------------------------------------------------
// Argument helpers (Redis's extract*OrReply).

/// A double argument as `getDoubleFromObjectOrReply` reads it; replies `msg` (default: not a valid float).
fn double_arg(r: &mut Reply, a: &[u8], msg: Option<&str>) -> Option<f64> {
    let v = super::zset::parse_score(a);
    if v.is_none() {
        match msg {
            Some(m) => r.error(m),
            None => r.err_not_float(),
        }
    }
    v
}

/// `longitude latitude` at `i`, checked against the WGS-84 limits.
fn lon_lat_arg(r: &mut Reply, args: Args, i: usize) -> Option<[f64; 2]> {
    let lon = double_arg(r, args.get(i), None)?;
    let lat = double_arg(r, args.get(i + 1), None)?;
    if !(geo::LONG_MIN..=geo::LONG_MAX).contains(&lon) || !(geo::LAT_MIN..=geo::LAT_MAX).contains(&lat) {
        r.error(&format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"));
        return None;
    }
    Some([lon, lat])
}

/// Meters per unit.
fn unit_arg(r: &mut Reply, a: &[u8]) -> Option<f64> {
    let v = match a.to_ascii_lowercase().as_slice() {
        b"m" => 1.0,
        b"km" => 1000.0,
        b"ft" => 0.3048,
        b"mi" => 1609.34,
        _ => {
            r.error("ERR unsupported unit provided. please use M, KM, FT, MI");
            return None;
        }
    };
    Some(v)
}

/// `radius unit` at `i`: (radius, meters per unit).
fn radius_arg(r: &mut Reply, args: Args, i: usize) -> Option<(f64, f64)> {
    let d = double_arg(r, args.get(i), Some("ERR need numeric radius"))?;
    if d < 0.0 {
        r.error("ERR radius cannot be negative");
        return None;
    }
    Some((d, unit_arg(r, args.get(i + 1))?))
}

/// `width height unit` at `i`: (width, height, meters per unit).
fn box_arg(r: &mut Reply, args: Args, i: usize) -> Option<(f64, f64, f64)> {
    let w = double_arg(r, args.get(i), Some("ERR need numeric width"))?;
    let h = double_arg(r, args.get(i + 1), Some("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        r.error("ERR height or width cannot be negative");
        return None;
    }
    Some((w, h, unit_arg(r, args.get(i + 2))?))
}

// ---------------------------------------------------------------------------------------------------------------
// Reply formats.

/// A distance with 4 decimals, rounded half to even as `llrint` does (`addReplyDoubleDistance`).
fn reply_distance(r: &mut Reply, d: f64) {
    let mut out = String::new();
    if d == 0.0 {
        out.push_str("0.0000");
    } else {
        let v = geo::cvttsd2si((d * 10000.0).round_ties_even());
        if v < 0 {
            out.push('-');
        }
        let m = v.unsigned_abs();
        use std::fmt::Write;
        let _ = write!(out, "{}.{:04}", m / 10000, m % 10000);
    }
    r.bulk(out.as_bytes());
}

/// A coordinate as `addReplyHumanLongDouble` prints it: `%.17Lf` of the (exact) value with trailing zeros cut,
/// a bulk string in RESP2 and a double in RESP3.
fn reply_coord(r: &mut Reply, v: f64) {
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        let keep = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(keep);
    }
    if s == "-0" {
        s = "0".to_string();
    }
    if r.is_resp3() {
        let mut b = Vec::with_capacity(s.len() + 3);
        b.push(b',');
        b.extend_from_slice(s.as_bytes());
        b.extend_from_slice(b"\r\n");
        r.raw_bytes(&b);
    } else {
        r.bulk(s.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// GEOADD / GEODIST / GEOHASH / GEOPOS.

/// GEOADD key [NX | XX] \[CH\] longitude latitude member [longitude latitude member ...]
fn geoadd(ctx: &mut Ctx, args: Args) {
    let (mut nx, mut xx) = (false, false);
    let mut longidx = 2;
    while longidx < args.len() {
        if args.is(longidx, "nx") {
            nx = true;
        } else if args.is(longidx, "xx") {
            xx = true;
        } else if !args.is(longidx, "ch") {
            break;
        }
        longidx += 1;
    }
    if (args.len() - longidx) % 3 != 0 || (xx && nx) {
        ctx.reply().err_syntax();
        return;
    }
    // The ZADD this GEOADD stands for: same key and options, each point's score then its member.
    let mut zadd = OwnedArgs::from_slices(&[b"zadd".as_slice()]);
    for a in args.iter().take(longidx).skip(1) {
        zadd.push(a);
    }
    let mut i = longidx;
    while i < args.len() {
        let Some([lon, lat]) = lon_lat_arg(ctx.reply(), args, i) else { return };
        let mut buf = [0u8; 24];
        zadd.push(crate::util::utoa_buf(geo::score_of(lon, lat), &mut buf));
        zadd.push(args.get(i + 2));
        i += 3;
    }
    if ctx.propagation().enabled() {
        let argv: Vec<&[u8]> = zadd.args().iter().collect();
        ctx.propagation().rewrite(&argv);
    }
    super::zset::zadd(ctx, zadd.args());
}

/// The position of `member`, when the key holds it.
fn member_pos(z: Option<&ZSet>, member: &[u8]) -> Option<[f64; 2]> {
    z?.score(member).map(geo::decode_score)
}

/// GEODIST key member1 member2 [M | KM | FT | MI]
fn geodist(ctx: &mut Ctx, args: Args) {
    let to_meter = match args.len() {
        5 => match unit_arg(ctx.reply(), args.get(4)) {
            Some(u) => u,
            None => return,
        },
        n if n > 5 => {
            ctx.reply().err_syntax();
            return;
        }
        _ => 1.0,
    };
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    match (member_pos(z, args.get(2)), member_pos(z, args.get(3))) {
        (Some([x1, y1]), Some([x2, y2])) => reply_distance(r, geo::distance(x1, y1, x2, y2) / to_meter),
        _ => r.null(),
    }
}

/// GEOHASH key [member ...]
fn geohash(ctx: &mut Ctx, args: Args) {
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    r.array(args.len() - 2);
    for m in args.iter().skip(2) {
        match z.as_ref().and_then(|z| z.score(m)) {
            Some(s) => r.bulk(&geo::standard_geohash(s)),
            None => r.null(),
        }
    }
}

/// GEOPOS key [member ...]
fn geopos(ctx: &mut Ctx, args: Args) {
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(1)) else { return };
    r.array(args.len() - 2);
    for m in args.iter().skip(2) {
        match z.as_ref().and_then(|z| z.score(m)) {
            Some(s) => {
                let [lon, lat] = geo::decode_score(s);
                r.array(2);
                reply_coord(r, lon);
                reply_coord(r, lat);
            }
            None => r.null_array(),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The searches.

/// Search around coordinates (GEORADIUS), around a member (GEORADIUSBYMEMBER), refuse STORE (the `_RO` forms),
/// GEOSEARCH's syntax, GEOSEARCHSTORE's.
const COORDS: u8 = 1;
const MEMBER: u8 = 2;
const NOSTORE: u8 = 4;
const SEARCH: u8 = 8;
const SEARCHSTORE: u8 = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A point found by a search (the member borrowed from the sorted set).
struct Found<'a> {
    lon: f64,
    lat: f64,
    dist: f64,
    score: f64,
    member: StrRef<'a>,
}

/// The sort comparator of `geo.c` (ascending distance).
fn by_dist(a: &Found, b: &Found) -> i32 {
    if a.dist > b.dist {
        1
    } else if a.dist == b.dist {
        0
    } else {
        -1
    }
}

/// Collects the points of `z` inside `shape`, cell by cell in Redis's order, stopping once `limit` (> 0) points
/// were found (`membersOfAllNeighbors`).
fn search<'a>(z: &'a ZSet, shape: &Shape, limit: usize) -> Vec<Found<'a>> {
    let cells = shape.cells();
    let mut found: Vec<Found> = Vec::new();
    let full = |found: &Vec<Found>| limit != 0 && found.len() >= limit;
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Huge radii can make neighbours the same cell; Redis compares with the last cell searched, except the
        // centre (its "last searched" index starts, and stays, at 0).
        if last != 0 && *cell == cells[last] {
            continue;
        }
        if full(&found) {
            break;
        }
        let (min, max) = cell.score_range();
        let range = ScoreRange { min, max, minex: false, maxex: true };
        z.scan_score_range(&range, |m, score| {
            let [lon, lat] = geo::decode_score(score);
            if let Some(dist) = shape.contains(lon, lat) {
                found.push(Found { lon, lat, dist, score, member: m });
            }
            !full(&found)
        });
        last = i;
    }
    found
}

/// A geo search's parsed arguments (`georadiusGeneric`'s locals).
struct GeoOptions<'a> {
    store: Option<&'a [u8]>,
    storedist: bool,
    center: [f64; 2],
    kind: ShapeKind,
    to_meters: f64,
    withdist: bool,
    withhash: bool,
    withcoords: bool,
    frommember: bool,
    fromloc: bool,
    byradius: bool,
    bybox: bool,
    sort: Sort,
    any: bool,
    count: i64,
}

/// Parses the positional arguments each command form starts with (centre and radius for GEORADIUS and
/// GEORADIUSBYMEMBER, the destination for GEOSEARCHSTORE); returns the index of the first option, None once an
/// error was replied.
fn parse_geo_positional<'a>(
    r: &mut Reply,
    args: Args<'a>,
    z: Option<&ZSet>,
    flags: u8,
    o: &mut GeoOptions<'a>,
) -> Option<usize> {
    let base;
    if flags & COORDS != 0 {
        base = 6;
        o.center = lon_lat_arg(r, args, 2)?;
        let (radius, conv) = radius_arg(r, args, 4)?;
        (o.kind, o.to_meters) = (ShapeKind::Radius(radius), conv);
    } else if flags & MEMBER != 0 {
        base = 5;
        if z.is_some() {
            let Some(c) = member_pos(z, args.get(2)) else {
                r.error("ERR could not decode requested zset member");
                return None;
            };
            o.center = c;
            let (radius, conv) = radius_arg(r, args, 3)?;
            (o.kind, o.to_meters) = (ShapeKind::Radius(radius), conv);
        }
    } else if flags & SEARCHSTORE != 0 {
        base = 3;
        o.store = Some(args.get(1));
    } else {
        base = 2;
    }
    Some(base)
}

/// Parses the options from `base` on (WITH*, ANY, ASC/DESC, COUNT, STORE/STOREDIST, FROM*, BY*); false once an
/// error was replied.
fn parse_geo_options<'a>(
    r: &mut Reply,
    args: Args<'a>,
    z: Option<&ZSet>,
    flags: u8,
    base: usize,
    o: &mut GeoOptions<'a>,
) -> bool {
    let search_cmd = flags & SEARCH != 0;
    let remaining = args.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let at = base + i;
        let arg = |w: &str| args.is(at, w);
        if arg("withdist") {
            o.withdist = true;
        } else if arg("withhash") {
            o.withhash = true;
        } else if arg("withcoord") {
            o.withcoords = true;
        } else if arg("any") {
            o.any = true;
        } else if arg("asc") {
            o.sort = Sort::Asc;
        } else if arg("desc") {
            o.sort = Sort::Desc;
        } else if arg("count") && i + 1 < remaining {
            let Some(n) = super::shared::int_arg(r, args.get(at + 1)) else { return false };
            if n <= 0 {
                r.error("ERR COUNT must be > 0");
                return false;
            }
            o.count = n;
            i += 1;
        } else if (arg("store") || arg("storedist")) && i + 1 < remaining && flags & (NOSTORE | SEARCH) == 0 {
            o.store = Some(args.get(at + 1));
            o.storedist = arg("storedist");
            i += 1;
        } else if arg("storedist") && search_cmd && flags & SEARCHSTORE != 0 {
            o.storedist = true;
        } else if arg("frommember") && i + 1 < remaining && search_cmd && !o.fromloc {
            if z.is_some() {
                let Some(c) = member_pos(z, args.get(at + 1)) else {
                    r.error("ERR could not decode requested zset member");
                    return false;
                };
                o.center = c;
            }
            o.frommember = true;
            i += 1;
        } else if arg("fromlonlat") && i + 2 < remaining && search_cmd && !o.frommember {
            let Some(c) = lon_lat_arg(r, args, at + 1) else { return false };
            o.center = c;
            o.fromloc = true;
            i += 2;
        } else if arg("byradius") && i + 2 < remaining && search_cmd && !o.bybox {
            let Some((radius, conv)) = radius_arg(r, args, at + 1) else { return false };
            (o.kind, o.to_meters) = (ShapeKind::Radius(radius), conv);
            o.byradius = true;
            i += 2;
        } else if arg("bybox") && i + 3 < remaining && search_cmd && !o.byradius {
            let Some((width, height, conv)) = box_arg(r, args, at + 1) else { return false };
            (o.kind, o.to_meters) = (ShapeKind::Box { width, height }, conv);
            o.bybox = true;
            i += 3;
        } else {
            r.err_syntax();
            return false;
        }
        i += 1;
    }
    true
}

/// The checks on the options' combination, in Redis's order; false once an error was replied.
fn check_geo_options(r: &mut Reply, args: Args, flags: u8, o: &GeoOptions) -> bool {
    let search_cmd = flags & SEARCH != 0;
    if o.store.is_some() && (o.withdist || o.withhash || o.withcoords) {
        let what = if flags & SEARCHSTORE != 0 { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        r.error(&format!("ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"));
        return false;
    }
    let name = || String::from_utf8_lossy(args.get(0)).into_owned();
    if search_cmd && !(o.frommember || o.fromloc) {
        r.error(&format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}", name()));
        return false;
    }
    if search_cmd && !(o.byradius || o.bybox) {
        r.error(&format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {}", name()));
        return false;
    }
    if o.any && o.count == 0 {
        r.error("ERR the ANY argument requires COUNT argument");
        return false;
    }
    true
}

/// Sorts the points found as asked and cuts them to COUNT; returns how many are kept.
fn sort_found(found: &mut Vec<Found>, sort: Sort, count: i64) -> usize {
    let total = found.len();
    let returned = if count == 0 || (total as i64) < count { total } else { count as usize };
    if sort != Sort::None {
        let desc = sort == Sort::Desc;
        let cmp = move |a: &Found, b: &Found| if desc { -by_dist(a, b) } else { by_dist(a, b) };
        if returned == total {
            // glibc's qsort is a merge sort: stable, like this one. `total_cmp` orders distances as `by_dist` does,
            // and also a NaN one (a BYBOX point exactly opposite the centre: asin of a rounded 1.0000000000000002),
            // which `by_dist` cannot order and a Rust sort may refuse.
            found.sort_by(|a, b| if desc { b.dist.total_cmp(&a.dist) } else { a.dist.total_cmp(&b.dist) });
        } else {
            geo::pqsort(found, &cmp, 0, returned - 1);
        }
    }
    found.truncate(returned);
    returned
}

/// Replies with the points found, each with the WITHDIST / WITHHASH / WITHCOORD extras asked for.
fn reply_found(r: &mut Reply, found: &[Found], o: &GeoOptions) {
    let options = usize::from(o.withdist) + usize::from(o.withhash) + usize::from(o.withcoords);
    r.array(found.len());
    for f in found {
        if options > 0 {
            r.array(options + 1);
        }
        r.bulk(f.member.bytes(&mut [0u8; 24]));
        if o.withdist {
            reply_distance(r, f.dist);
        }
        if o.withhash {
            r.int(geo::cvttsd2si(f.score));
        }
        if o.withcoords {
            r.array(2);
            reply_coord(r, f.lon);
            reply_coord(r, f.lat);
        }
    }
}

/// The sorted set STORE / STOREDIST writes: the points found with their geohash scores, or their distances.
fn found_to_zset(found: &[Found], storedist: bool, th: &Thresholds) -> ZSet {
    let mut buf = [0u8; 24];
    let max_len = found.iter().map(|f| f.member.bytes(&mut buf).len()).max().unwrap_or(0);
    let mut out = ZSet::with_hints(found.len(), max_len, th);
    for f in found {
        out.add(if storedist { f.dist } else { f.score }, f.member.bytes(&mut buf), ZAddFlags::default(), th);
    }
    out
}

/// Redis's `georadiusGeneric`: `src` is the source key's index.
fn georadius_generic(ctx: &mut Ctx, args: Args, src: usize, flags: u8) {
    let th = ctx.settings().thresholds();
    let Ok((z, r)) = ctx.lookup_typed::<ZSet>(Access::READ, args.get(src)) else { return };
    let mut o = GeoOptions {
        store: None,
        storedist: false,
        center: [0.0f64; 2],
        kind: ShapeKind::Radius(0.0),
        to_meters: 0.0,
        withdist: false,
        withhash: false,
        withcoords: false,
        frommember: false,
        fromloc: false,
        byradius: false,
        bybox: false,
        sort: Sort::None,
        any: false,
        count: 0,
    };
    let Some(base) = parse_geo_positional(r, args, z, flags, &mut o) else { return };
    if !parse_geo_options(r, args, z, flags, base, &mut o) || !check_geo_options(r, args, flags, &o) {
        return;
    }
    let Some(z) = z else {
        match o.store {
            Some(dst) => {
                delete_key(ctx, dst);
                ctx.reply().int(0);
            }
            None => r.array(0),
        }
        return;
    };
    if o.count != 0 && o.sort == Sort::None && !o.any {
        o.sort = Sort::Asc;
    }

    let shape = Shape::new(o.center, o.kind, o.to_meters);
    let limit = if o.any { o.count as usize } else { 0 };
    let mut found = search(z, &shape, limit);
    if found.is_empty() && o.store.is_none() {
        r.array(0);
        return;
    }
    let returned = sort_found(&mut found, o.sort, o.count);
    for f in found.iter_mut() {
        f.dist /= shape.to_meters;
    }

    let Some(dst) = o.store else {
        reply_found(r, &found, &o);
        return;
    };
    let dst = dst.to_vec();
    if returned > 0 {
        let out = found_to_zset(&found, o.storedist, &th);
        drop(found);
        let event = if flags & SEARCH != 0 { "geosearchstore" } else { "georadiusstore" };
        store_value(ctx, &dst, Value::ZSet(out), nc::ZSET, event);
        // Redis counts every stored element as a change.
        ctx.count_changes(returned as u64 - 1);
    } else {
        delete_key(ctx, &dst);
    }
    ctx.reply().int(returned as i64);
}

/// GEORADIUS key longitude latitude radius unit [WITH...] [COUNT count \[ANY\]] [ASC | DESC] [STORE | STOREDIST key]
fn georadius(ctx: &mut Ctx, args: Args) {
    georadius_generic(ctx, args, 1, COORDS);
}

/// GEORADIUSBYMEMBER key member radius unit [WITH...] [COUNT count \[ANY\]] [ASC | DESC] [STORE | STOREDIST key]
fn georadiusbymember(ctx: &mut Ctx, args: Args) {
    georadius_generic(ctx, args, 1, MEMBER);
}

/// GEORADIUS_RO: GEORADIUS without STORE.
fn georadius_ro(ctx: &mut Ctx, args: Args) {
    georadius_generic(ctx, args, 1, COORDS | NOSTORE);
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE.
fn georadiusbymember_ro(ctx: &mut Ctx, args: Args) {
    georadius_generic(ctx, args, 1, MEMBER | NOSTORE);
}

/// GEOSEARCH key FROMMEMBER member | FROMLONLAT lon lat  BYRADIUS radius unit | BYBOX w h unit  \[options\]
fn geosearch(ctx: &mut Ctx, args: Args) {
    georadius_generic(ctx, args, 1, SEARCH);
}

/// GEOSEARCHSTORE destination source ... \[STOREDIST\]
fn geosearchstore(ctx: &mut Ctx, args: Args) {
    georadius_generic(ctx, args, 2, SEARCH | SEARCHSTORE);
}
