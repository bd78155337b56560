//! SORT and SORT_RO (Redis `sort.c`): sorting lists, sets and sorted sets numerically or lexicographically, by
//! their own elements or by external keys (`BY pattern`, hash fields with `->`), with LIMIT, GET projections and
//! STORE into a list.
//!
//! Like Redis: a BY pattern without `*` means "don't sort" (lists and sorted sets keep their order, a set sorted
//! for STORE is sorted ALPHA anyway), a sorted set is converted to the skiplist encoding first, numeric sorting
//! breaks score ties by comparing the elements' bytes, and an element whose sort key is not a number makes the
//! whole command fail with "One or more scores can't be converted into double" (after everything was looked up).

use super::shared::{delete_key, long_arg, store_value};
use super::{flag, Args, Command, Ctx, Group, KeySpecDef, BASE, ONE_KEY};
use crate::command::Access;
use crate::keyspace::object::{StrRef, Value};
use crate::keyspace::types::hash::Lookup;
use crate::keyspace::types::list::List;
use crate::keyspace::types::zset::ZSet;
use std::cmp::Ordering;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "sort",
        arity: -2,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write set sortedset list slow dangerous",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access"), KeySpecDef::unknown("RO access").notes("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"), KeySpecDef::unknown("OW update").notes("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array")],
        group: Group::Generic,
        summary: "Sort the elements in a list, set or sorted set",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        syntax: "key [BY pattern{#1}] [LIMIT offset count]{offset_count} [GET pattern{#1} [GET pattern ...]] [ASC | DESC]{order} [ALPHA]{sorting} [STORE destination{#2}]",
        handler: sort,
        getkeys: Some(getkeys_sort),
        ..BASE
    },
    Command {
        name: "sort_ro",
        arity: -2,
        flags: flag::READONLY,
        acl: "read set sortedset list slow dangerous",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access"), KeySpecDef::unknown("RO access").notes("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort")],
        group: Group::Generic,
        since: "7.0.0",
        summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        syntax: "key [BY pattern{#1}] [LIMIT offset count]{offset_count} [GET pattern{#1} [GET pattern ...]] [ASC | DESC]{order} [ALPHA]{sorting}",
        handler: sort_ro,
        getkeys: Some(getkeys_sort_ro),
        ..BASE
    },
];

/// Redis's `sortGetKeys`: the sorted key, plus the last `STORE` destination. LIMIT skips two words, GET and BY one.
fn getkeys_sort(args: Args) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        if args.is(i, "limit") {
            i += 2;
        } else if args.is(i, "get") || args.is(i, "by") {
            i += 1;
        } else if args.is(i, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

fn getkeys_sort_ro(_args: Args) -> Vec<usize> {
    vec![1]
}

/// The C-string view of an argument (everything before the first NUL), as `strchr`/`strcoll` see it.
#[inline]
fn cstr(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Parses a sort weight as Redis does (`strtod` that must reach the end of the C string, no overflow, no NaN).
fn sort_score(b: &[u8]) -> Option<f64> {
    let s = cstr(b);
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s.iter().position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    super::zset::parse_score(&s[start..])
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the first `*` is replaced by the element and
/// the resulting key is read (a string, or with `->field` a hash field). None when there is no `*`, the key is
/// missing or holds another type.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    if pattern.first() == Some(&b'#') && (pattern.len() == 1 || pattern[1] == 0) {
        return Some(elem.to_vec());
    }
    let c = cstr(pattern);
    let star = memchr::memchr(b'*', c)?;
    let field: Option<&[u8]> = c[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| star + 1 + p)
        .filter(|&f| f + 2 < c.len())
        .map(|f| &pattern[f + 2..]);
    let fieldlen = field.map_or(0, |f| f.len());
    let postfix_len = pattern.len() - (star + 1) - field.map_or(0, |_| fieldlen + 2);
    let mut key = Vec::with_capacity(star + elem.len() + postfix_len);
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..star + 1 + postfix_len]);
    let now = ctx.now_ms();
    let e = ctx.lookup(Access::READ, &key).0?;
    let Some(f) = field else { return e.as_str().map(|s| s.to_vec()) };
    // A hash field for BY / GET `->field`: one whose TTL passed reads as missing and is deleted as the hash
    // family's readers delete it (Redis 8's `hashTypeGetValue` under `lookupKeyByPattern`).
    match e.value() {
        Some(Value::Hash(h)) => match h.lookup(f, now) {
            Lookup::Live(v) => return Some(v.to_vec()),
            Lookup::Missing => return None,
            Lookup::Expired => {}
        },
        _ => return None,
    }
    super::hash::expire_read_field(ctx, &key, f);
    None
}

struct Item {
    obj: Vec<u8>,
    score: f64,
    cmp: Option<Vec<u8>>,
}

/// Binary-safe comparison (`compareStringObjects`).
#[inline]
fn cmp_binary(a: &[u8], b: &[u8]) -> Ordering {
    a.cmp(b)
}

/// `strcoll` in the C locale: bytes up to the first NUL.
#[inline]
fn cmp_coll(a: &[u8], b: &[u8]) -> Ordering {
    cstr(a).cmp(cstr(b))
}

/// SORT's parsed options (Redis keeps them in `sortCommandGeneric`'s locals).
struct SortOptions<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    dontsort: bool,
    sortby: Option<&'a [u8]>,
    storekey: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
}

/// Parses SORT's options after the key; None once an error was replied.
fn parse_sort_options<'a>(ctx: &mut Ctx, args: Args<'a>, readonly: bool) -> Option<SortOptions<'a>> {
    let mut o = SortOptions {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        dontsort: false,
        sortby: None,
        storekey: None,
        gets: Vec::new(),
    };
    let mut full_access: Option<bool> = None;
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        if args.is(j, "asc") {
            o.desc = false;
        } else if args.is(j, "desc") {
            o.desc = true;
        } else if args.is(j, "alpha") {
            o.alpha = true;
        } else if args.is(j, "limit") && left >= 2 {
            let s = long_arg(ctx.reply(), args.get(j + 1), None)?;
            let c = long_arg(ctx.reply(), args.get(j + 2), None)?;
            o.limit_start = s;
            o.limit_count = c;
            j += 2;
        } else if !readonly && args.is(j, "store") && left >= 1 {
            o.storekey = Some(args.get(j + 1));
            j += 1;
        } else if args.is(j, "by") && left >= 1 {
            let p = args.get(j + 1);
            o.sortby = Some(p);
            o.dontsort = memchr::memchr(b'*', cstr(p)).is_none();
            // A real pattern reads keys no key spec names: only for a user who may read every key.
            if !o.dontsort && !*full_access.get_or_insert_with(|| ctx.user_reads_every_key(args)) {
                ctx.reply().error("ERR BY option of SORT denied due to insufficient ACL permissions.");
                return None;
            }
            j += 1;
        } else if args.is(j, "get") && left >= 1 {
            if !*full_access.get_or_insert_with(|| ctx.user_reads_every_key(args)) {
                ctx.reply().error("ERR GET option of SORT denied due to insufficient ACL permissions.");
                return None;
            }
            o.gets.push(args.get(j + 1));
            j += 1;
        } else {
            ctx.reply().err_syntax();
            return None;
        }
        j += 1;
    }
    Some(o)
}

/// The type of the sorted key: 0 list, 1 set, 2 sorted set, None when missing; Err once WRONGTYPE was replied.
fn sort_key_kind(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u8>, ()> {
    Ok(match ctx.lookup(Access::READ, key).0 {
        None => None,
        Some(e) => match e.value() {
            Some(Value::List(_)) => Some(0u8),
            Some(Value::Set(_)) => Some(1),
            Some(Value::ZSet(_)) => Some(2),
            _ => {
                ctx.reply().err_wrongtype();
                return Err(());
            }
        },
    })
}

/// Loads the elements to sort (only the LIMIT window when nothing is sorted and the type has an order), with the
/// `start..=end` window of them to return.
fn load_sort_items(ctx: &Ctx, key: &[u8], kind: Option<u8>, o: &SortOptions) -> (Vec<Item>, i64, i64) {
    let (dontsort, desc) = (o.dontsort, o.desc);
    let mut items: Vec<Item> = Vec::new();
    let value = ctx.db().find(key).and_then(|e| e.value());
    let len = value.map_or(0, |v| v.len()) as i64;
    let mut start = o.limit_start.max(0);
    let mut end = if o.limit_count < 0 { len - 1 } else { start.saturating_add(o.limit_count).saturating_sub(1) };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    let windowed = dontsort && matches!(kind, Some(0) | Some(2)) && (start != 0 || end != len - 1);
    let item = |s: StrRef<'_>| Item { obj: s.to_vec(), score: 0.0, cmp: None };
    let list_item =
        |s: crate::keyspace::types::quicklist::ListItem<'_>| Item { obj: s.to_vec(), score: 0.0, cmp: None };
    match value {
        Some(Value::List(l)) if dontsort && end >= start => {
            let n = (end - start + 1) as usize;
            let from = if desc { (len - start - 1) as usize } else { start as usize };
            items.extend(l.iter_from(from, desc).take(n).map(list_item));
            end -= start;
            start = 0;
        }
        Some(Value::List(_)) if dontsort => {}
        Some(Value::List(l)) => items.extend(l.iter().map(list_item)),
        Some(Value::Set(s)) => items.extend(s.iter().map(item)),
        Some(Value::ZSet(z)) if dontsort => {
            let n = if windowed { (end - start + 1).max(0) } else { len };
            if n > 0 {
                let (s, e) = (start as usize, (start + n - 1) as usize);
                z.range_by_rank(s, e, desc, |m, _| items.push(item(m)));
            }
            end -= start;
            start = 0;
        }
        Some(Value::ZSet(ZSet::SkipList(z))) => {
            items.extend(z.dict.iter().map(|e| Item { obj: e.member().to_vec(), score: 0.0, cmp: None }))
        }
        Some(Value::ZSet(z)) => items.extend(z.iter().map(|(m, _)| item(m))),
        _ => {}
    }
    (items, start, end)
}

/// Looks up each element's sort weight (or BY value) and sorts; true when a weight was not a number.
fn sort_items(ctx: &mut Ctx, items: &mut [Item], o: &SortOptions) -> bool {
    let (alpha, desc, sortby) = (o.alpha, o.desc, o.sortby);
    let mut conversion_error = false;
    for it in items.iter_mut() {
        let byval: Option<Vec<u8>> = match sortby {
            Some(p) => match lookup_by_pattern(ctx, p, &it.obj) {
                Some(v) => Some(v),
                None => continue,
            },
            None => None,
        };
        if alpha {
            if sortby.is_some() {
                it.cmp = byval;
            }
        } else {
            let b = byval.as_deref().unwrap_or(&it.obj);
            match sort_score(b) {
                Some(s) => it.score = s,
                None => conversion_error = true,
            }
        }
    }
    let by_pattern = sortby.is_some();
    let store = o.storekey.is_some();
    items.sort_by(|a, b| {
        let c = if !alpha {
            a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal).then_with(|| cmp_binary(&a.obj, &b.obj))
        } else if by_pattern {
            match (&a.cmp, &b.cmp) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => {
                    if store {
                        cmp_binary(x, y)
                    } else {
                        cmp_coll(x, y)
                    }
                }
            }
        } else if store {
            cmp_binary(&a.obj, &b.obj)
        } else {
            cmp_coll(&a.obj, &b.obj)
        };
        if desc {
            c.reverse()
        } else {
            c
        }
    });
    conversion_error
}

/// Replies with the sorted elements, or their GET projections (a null for each missing one).
fn sort_reply(ctx: &mut Ctx, items: &[Item], gets: &[&[u8]], outputlen: u64) {
    ctx.reply().array(outputlen as usize);
    for it in items {
        if gets.is_empty() {
            ctx.reply().bulk(&it.obj);
        }
        for g in gets {
            match lookup_by_pattern(ctx, g, &it.obj) {
                Some(v) => ctx.reply().bulk(&v),
                None => ctx.reply().null(),
            }
        }
    }
}

/// SORT ... STORE: stores the elements (or their GET projections, "" for missing ones) as a list at `dst`, or
/// deletes `dst` when there are none, and replies with the count.
fn sort_store(ctx: &mut Ctx, dst: &[u8], items: &[Item], gets: &[&[u8]], outputlen: u64) {
    let th = ctx.settings().thresholds();
    let mut list = List::new();
    for it in items {
        if gets.is_empty() {
            list.push(&it.obj, false, &th);
        }
        for g in gets {
            let v = lookup_by_pattern(ctx, g, &it.obj).unwrap_or_default();
            list.push(&v, false, &th);
        }
    }
    if outputlen > 0 {
        store_value(ctx, dst, Value::List(list), crate::config::notify::LIST, "sortstore");
        ctx.count_changes(outputlen - 1);
    } else {
        delete_key(ctx, dst);
    }
    ctx.reply().int(outputlen as i64);
}

/// Redis's `sortCommandGeneric`: SORT and SORT_RO.
fn sort_generic(ctx: &mut Ctx, args: Args, readonly: bool) {
    let Some(mut o) = parse_sort_options(ctx, args, readonly) else { return };
    let key = args.get(1);
    let Ok(kind) = sort_key_kind(ctx, key) else { return };
    if o.dontsort && kind == Some(1) && (o.storekey.is_some() || ctx.client().id == crate::scripting::SCRIPT_CLIENT_ID)
    {
        // A set has no order of its own: sort it so what is stored, or handed to a script (whose effects must
        // not depend on it), is deterministic.
        o.dontsort = false;
        o.alpha = true;
        o.sortby = None;
    }
    if kind == Some(2) {
        // An encoding change only (as Redis's SORT does): no change in WATCH's sense, nothing counted.
        let w = ctx.open_write(key);
        if let Some(Value::ZSet(z)) = ctx.door(&w).entry_mut().and_then(|e| e.value_mut()) {
            z.convert_to_skiplist();
        }
        w.untouched();
    }

    let (mut items, start, end) = load_sort_items(ctx, key, kind, &o);
    let conversion_error = if o.dontsort { false } else { sort_items(ctx, &mut items, &o) };

    let span = (end - start + 1).max(0) as u64;
    let outputlen = if o.gets.is_empty() { span } else { span.saturating_mul(o.gets.len() as u64) };
    if conversion_error {
        ctx.reply().error("ERR One or more scores can't be converted into double");
        return;
    }
    let range = if span == 0 { 0..0 } else { start as usize..(end + 1) as usize };
    match o.storekey {
        None => sort_reply(ctx, &items[range], &o.gets, outputlen),
        Some(dst) => sort_store(ctx, dst, &items[range], &o.gets, outputlen),
    }
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] \[ALPHA\]
/// [STORE destination]
fn sort(ctx: &mut Ctx, args: Args) {
    sort_generic(ctx, args, false);
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] \[ALPHA\]
fn sort_ro(ctx: &mut Ctx, args: Args) {
    sort_generic(ctx, args, true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::test_support::{bulks, Harness};
    use crate::command::OwnedArgs;

    /// A list in the given order, built with SORT itself (a sorted set by rank, stored unsorted).
    fn make_list(h: &mut Harness, key: &str, items: &[&str]) {
        let mut args = vec!["zadd".to_string(), "tmp".to_string()];
        for (i, it) in items.iter().enumerate() {
            args.push(i.to_string());
            args.push(it.to_string());
        }
        h.run_args(&OwnedArgs::from_slices(&args));
        assert_eq!(h.run(&["sort", "tmp", "by", "nosort", "store", key]), format!(":{}\r\n", items.len()));
        h.run(&["del", "tmp"]);
    }

    #[test]
    fn numeric_alpha_limit_and_order() {
        let mut h = Harness::new();
        make_list(&mut h, "l", &["3", "1", "2", "10", "-5"]);
        assert_eq!(h.run(&["type", "l"]), "+list\r\n");
        assert_eq!(h.run(&["sort", "l"]), bulks(&["-5", "1", "2", "3", "10"]));
        assert_eq!(h.run(&["sort", "l", "desc"]), bulks(&["10", "3", "2", "1", "-5"]));
        assert_eq!(h.run(&["sort", "l", "alpha"]), bulks(&["-5", "1", "10", "2", "3"]));
        assert_eq!(h.run(&["sort", "l", "limit", "1", "2"]), bulks(&["1", "2"]));
        assert_eq!(h.run(&["sort", "l", "limit", "1", "9223372036854775807"]), bulks(&["1", "2", "3", "10"]));
        assert_eq!(h.run(&["sort", "l", "limit", "9223372036854775807", "9223372036854775807"]), "*0\r\n");
        assert_eq!(h.run(&["sort", "l", "by", "nosort"]), bulks(&["3", "1", "2", "10", "-5"]));
        assert_eq!(h.run(&["sort", "l", "by", "nosort", "desc", "limit", "1", "2"]), bulks(&["10", "2"]));
        assert_eq!(h.run(&["sort", "l", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["sort", "l", "limit", "a", "1"]), "-ERR value is not an integer or out of range\r\n");
        assert_eq!(h.run(&["sort_ro", "l", "store", "x"]), "-ERR syntax error\r\n");
        assert_eq!(h.run(&["sort", "nokey"]), "*0\r\n");
        h.run(&["set", "str", "v"]);
        assert!(h.run(&["sort", "str"]).starts_with("-WRONGTYPE"));
        make_list(&mut h, "bad", &["1", "x"]);
        assert_eq!(h.run(&["sort", "bad"]), "-ERR One or more scores can't be converted into double\r\n");
        make_list(&mut h, "big", &["1e400"]);
        assert_eq!(h.run(&["sort", "big"]), "-ERR One or more scores can't be converted into double\r\n");
    }

    #[test]
    fn by_and_get_patterns() {
        let mut h = Harness::new();
        make_list(&mut h, "l", &["1", "2", "3"]);
        h.run(&["mset", "w_1", "30", "w_2", "10", "w_3", "20", "o_1", "x", "o_3", "z"]);
        assert_eq!(h.run(&["sort", "l", "by", "w_*"]), bulks(&["2", "3", "1"]));
        assert_eq!(
            h.run(&["sort", "l", "by", "w_*", "get", "#", "get", "w_*"]),
            bulks(&["2", "10", "3", "20", "1", "30"])
        );
        assert_eq!(h.run(&["sort", "l", "get", "o_*"]), "*3\r\n$1\r\nx\r\n$-1\r\n$1\r\nz\r\n");
        assert_eq!(h.run(&["sort", "l", "get", "nostar"]), "*3\r\n$-1\r\n$-1\r\n$-1\r\n");
        // Missing BY keys sort first under ALPHA.
        assert_eq!(h.run(&["sort", "l", "by", "o_*", "alpha", "desc"]), bulks(&["3", "1", "2"]));
        assert_eq!(h.run(&["sort", "l", "get", "o_*", "store", "dst"]), ":3\r\n");
        assert_eq!(h.run(&["sort", "dst", "by", "nosort"]), bulks(&["x", "", "z"]));
        assert_eq!(h.run(&["sort", "nokey", "store", "dst"]), ":0\r\n");
        assert_eq!(h.run(&["exists", "dst"]), ":0\r\n");
    }

    #[test]
    fn sets_and_sorted_sets() {
        let mut h = Harness::new();
        h.run(&["sadd", "s", "b", "a", "c"]);
        assert_eq!(h.run(&["sort", "s", "alpha"]), bulks(&["a", "b", "c"]));
        // A set stored without sorting gets sorted ALPHA anyway.
        assert_eq!(h.run(&["sort", "s", "by", "nosort", "store", "d"]), ":3\r\n");
        assert_eq!(h.run(&["sort", "d", "by", "nosort"]), bulks(&["a", "b", "c"]));
        h.run(&["zadd", "z", "3", "a", "1", "b", "2", "c"]);
        assert_eq!(h.run(&["object", "encoding", "z"]), "$8\r\nlistpack\r\n");
        assert_eq!(h.run(&["sort", "z", "by", "nosort", "desc", "limit", "0", "2"]), bulks(&["a", "c"]));
        assert_eq!(h.run(&["object", "encoding", "z"]), "$8\r\nskiplist\r\n");
        assert_eq!(h.run(&["sort", "z", "alpha", "desc"]), bulks(&["c", "b", "a"]));
    }

    #[test]
    fn movable_keys() {
        let a = OwnedArgs::from_slices(&["sort", "k", "store", "d", "by", "x", "store", "e"]);
        assert_eq!(getkeys_sort(a.args()), vec![1, 7]);
        let a = OwnedArgs::from_slices(&["sort", "k", "limit", "0", "1", "store"]);
        assert_eq!(getkeys_sort(a.args()), vec![1]);
        let a = OwnedArgs::from_slices(&["sort", "k", "get", "store", "x"]);
        assert_eq!(getkeys_sort(a.args()), vec![1]);
    }
}
