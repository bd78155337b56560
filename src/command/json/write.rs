//! The JSON commands that change documents: JSON.SET, MSET, MERGE, DEL/FORGET, NUMINCRBY/NUMMULTBY/NUMPOWBY,
//! TOGGLE, STRAPPEND, ARRAPPEND, ARRINSERT, ARRPOP, ARRTRIM and CLEAR.

use super::read::{norm_start, parse_strict, path_at, value_resp3, ReplyFormat};
use super::*;
use crate::command::Access;
use crate::command::{Args, Ctx};
use crate::config::notify as nc;
use crate::keyspace::types::json::path::{get, get_mut, Elem, Elem0};
use crate::keyspace::types::json::write::write_f64;
use crate::keyspace::types::json::{bson, packed, parse};

/// What a write did, for the door and the keyspace event.
enum Change {
    None,
    /// The document changed; RedisJSON's event name.
    Modified(&'static str),
    /// A new key holds this document.
    Created(Doc, &'static str),
    /// The key was deleted.
    Deleted(&'static str),
}

/// Opens `key` for writing, runs `f` on its document's tree (`None`: no key), answers, and settles the door.
fn write_doc(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(Option<&mut Json>, bool) -> Result<(Rv, Change), String>) {
    write_doc_kept(ctx, key, |d, resp3| f(d.map(Doc::tree_mut), resp3));
}

/// [`write_doc`] handing `f` the document as it is kept (JSON.SET at the root replaces a packed one unthawed).
fn write_doc_kept(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(Option<&mut Doc>, bool) -> Result<(Rv, Change), String>) {
    let (e, r, mut w) = ctx.write(key);
    let resp3 = r.is_resp3();
    let (reply, change) = match doc_entry(e).and_then(|d| f(d, resp3)) {
        Ok(x) => x,
        Err(msg) => {
            error(r, &msg);
            w.untouched();
            return;
        }
    };
    emit(r, &reply);
    match change {
        Change::None => w.untouched(),
        Change::Modified(ev) => {
            ctx.changed(&mut w, 1);
            ctx.notify(nc::MODULE, ev, key);
        }
        Change::Deleted(ev) => {
            ctx.door(&w).delete();
            ctx.changed(&mut w, 1);
            ctx.notify(nc::MODULE, ev, key);
        }
        Change::Created(doc, ev) => {
            w.untouched();
            create(ctx, key, doc);
            ctx.notify(nc::MODULE, ev, key);
        }
    }
}

/// Stores `doc` as a new key.
fn create(ctx: &mut Ctx, key: &[u8], doc: Doc) {
    let mut w = ctx.open_write(key);
    let mut e = Entry::new_value(key, Value::Json(doc));
    e.set_lru(ctx.settings().fresh_lru());
    ctx.door(&w).insert(e);
    ctx.changed(&mut w, 1);
}

fn parse_value(b: &[u8]) -> Result<Json, String> {
    parse(utf8(b)?).map_err(|e| e.0)
}

/// The value format of JSON.SET and JSON.MERGE (`FORMAT`; the names are case-sensitive, as RedisJSON reads them).
#[derive(Clone, Copy, PartialEq, Eq)]
enum InputFormat {
    Json,
    /// A BSON document whose first element's value is the JSON value ([`bson`]).
    Bson,
}

/// The format named by argument `i` (the one after `FORMAT`).
fn input_format(args: &Args, i: usize, cmd: &str) -> Result<InputFormat, String> {
    if i >= args.len() {
        return Err(format!("ERR wrong number of arguments for '{cmd}' command"));
    }
    match utf8(args.get(i))? {
        "JSON" | "STRING" => Ok(InputFormat::Json),
        "BSON" => Ok(InputFormat::Bson),
        _ => Err("ERR wrong format".into()),
    }
}

/// The value argument of JSON.SET or JSON.MERGE as a document.
fn parse_input(text: &str, format: InputFormat) -> Result<Json, String> {
    match format {
        InputFormat::Json => parse(text).map_err(|e| e.0),
        InputFormat::Bson => parse(&bson::to_json_text(text.as_bytes())?).map_err(|e| e.0),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    None,
    Nx,
    Xx,
}

/// Where JSON.SET writes: replace the node at a location, or add a member to the object at one.
enum Update {
    Set(Vec<Elem>),
    Add(Vec<Elem>, String),
}

/// RedisJSON's `find_paths`: the existing matches (unless NX), else where a static path would add a member.
fn find_updates(doc: &Json, p: &PathArg, op: SetOp) -> Result<Vec<Update>, String> {
    if op != SetOp::Nx {
        let found = p.compile()?.select_paths(doc)?;
        if !found.is_empty() {
            return Ok(found.into_iter().map(Update::Set).collect());
        }
    }
    if op == SetOp::Xx {
        return Ok(Vec::new());
    }
    let q = p.compile()?;
    if !q.is_static() {
        return Err("Err wrong static path".into());
    }
    let Some((parent, last)) = q.split_last() else {
        return Err("Err path must end with object key to set".into());
    };
    match last {
        Elem0::Key(k) => {
            if parent.steps.is_empty() {
                Ok(vec![Update::Add(Vec::new(), k)])
            } else {
                Ok(parent.select_paths(doc)?.into_iter().map(|at| Update::Add(at, k.clone())).collect())
            }
        }
        Elem0::Index(_) => {
            if q.select_paths(doc)?.is_empty() {
                Err("ERR array index out of range".into())
            } else {
                Ok(Vec::new())
            }
        }
    }
}

/// Applies JSON.SET's (or MERGE's) updates; whether anything changed.
fn apply(doc: &mut Json, ups: Vec<Update>, v: &Json, merge_at: bool) -> bool {
    let mut changed = false;
    for u in ups {
        match u {
            Update::Set(at) => {
                if let Some(node) = get_mut(doc, &at) {
                    if merge_at {
                        merge(node, v);
                    } else {
                        *node = v.clone();
                    }
                    changed = true;
                }
            }
            Update::Add(at, k) => {
                if let Some(Json::Object(o)) = get_mut(doc, &at) {
                    if o.get(&k).is_none() {
                        o.insert(&k, v.clone());
                        changed = true;
                    }
                }
            }
        }
    }
    changed
}

/// Refuses updates that would nest the document past [`MAX_NESTING`](crate::keyspace::types::json::MAX_NESTING)
/// (a replaced node sits inside as many containers as its location has steps; an added member one more).
fn check_nesting(ups: &[Update], v: &Json) -> Result<(), String> {
    let containers = ups
        .iter()
        .map(|u| match u {
            Update::Set(at) => at.len(),
            Update::Add(at, _) => at.len() + 1,
        })
        .max()
        .unwrap_or(0);
    Json::check_nesting(containers, [v])
}

/// RFC 7396 merge patch, as RedisJSON applies it.
fn merge(doc: &mut Json, patch: &Json) {
    let Json::Object(p) = patch else {
        *doc = patch.clone();
        return;
    };
    if !matches!(doc, Json::Object(_)) {
        *doc = Json::Object(Default::default());
    }
    let Json::Object(o) = doc else { return };
    for (k, v) in p.iter() {
        if matches!(v, Json::Null) {
            o.remove(k);
        } else {
            merge(o.get_or_insert_with(k, || Json::Null), v);
        }
    }
}

/// `JSON.SET key path value [NX | XX] [FORMAT JSON | STRING | BSON]`
pub(super) fn set(ctx: &mut Ctx, args: Args) {
    if args.len() < 4 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.set' command");
    }
    let raw = args.get(3);
    let parsed = (|| -> Result<(PathArg, SetOp, bool, InputFormat), String> {
        let p = PathArg::arg(args.get(2))?;
        // A canonical text at the root is kept as it is; it is UTF-8 by that check.
        let mut canonical = p.is_root() && packed::is_canonical(raw);
        if !canonical {
            utf8(raw)?;
        }
        let mut op = SetOp::None;
        let mut format = InputFormat::Json;
        let mut i = 4;
        while i < args.len() {
            let a = utf8(args.get(i))?;
            if a.eq_ignore_ascii_case("NX") && op == SetOp::None {
                op = SetOp::Nx;
            } else if a.eq_ignore_ascii_case("XX") && op == SetOp::None {
                op = SetOp::Xx;
            } else if a.eq_ignore_ascii_case("FORMAT") {
                i += 1;
                format = input_format(&args, i, "json.set")?;
            } else {
                return Err("ERR syntax error".into());
            }
            i += 1;
        }
        canonical &= format == InputFormat::Json;
        Ok((p, op, canonical, format))
    })();
    let (p, op, canonical, format) = match parsed {
        Ok(x) => x,
        Err(e) => return error(ctx.reply(), &e),
    };
    write_doc_kept(ctx, args.get(1), |doc, _| {
        if p.is_root() {
            let v = if canonical { Doc::packed(raw) } else { Doc::Tree(parse_input(utf8(raw)?, format)?) };
            return match doc {
                Some(_) if op == SetOp::Nx => Ok((Rv::Null, Change::None)),
                Some(doc) => {
                    std::mem::replace(doc, v).dispose();
                    Ok((Rv::Simple("OK"), Change::Modified("json.set")))
                }
                None if op == SetOp::Xx => Ok((Rv::Null, Change::None)),
                None => Ok((Rv::Simple("OK"), Change::Created(v, "json.set"))),
            };
        }
        let v = parse_input(utf8(raw)?, format)?;
        match doc {
            Some(doc) => {
                let doc = doc.tree_mut();
                let ups = find_updates(doc, &p, op)?;
                check_nesting(&ups, &v)?;
                if apply(doc, ups, &v, false) {
                    Ok((Rv::Simple("OK"), Change::Modified("json.set")))
                } else {
                    Ok((Rv::Null, Change::None))
                }
            }
            None if op == SetOp::Xx => Ok((Rv::Null, Change::None)),
            None => Err("ERR new objects must be created at the root".into()),
        }
    });
}

/// `JSON.MERGE key path value [FORMAT JSON | STRING | BSON]`
pub(super) fn merge_cmd(ctx: &mut Ctx, args: Args) {
    if args.len() < 4 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.merge' command");
    }
    let parsed = (|| -> Result<(PathArg, &str, InputFormat), String> {
        let p = PathArg::arg(args.get(2))?;
        let text = utf8(args.get(3))?;
        let mut format = InputFormat::Json;
        let mut i = 4;
        while i < args.len() {
            if !utf8(args.get(i))?.eq_ignore_ascii_case("FORMAT") {
                return Err("ERR syntax error".into());
            }
            format = input_format(&args, i + 1, "json.merge")?;
            i += 2;
        }
        Ok((p, text, format))
    })();
    let (p, text, format) = match parsed {
        Ok(x) => x,
        Err(e) => return error(ctx.reply(), &e),
    };
    write_doc(ctx, args.get(1), |doc, _| {
        let v = parse_input(text, format)?;
        match doc {
            Some(doc) if p.is_root() => {
                merge(doc, &v);
                Ok((Rv::Simple("OK"), Change::Modified("json.merge")))
            }
            Some(doc) => {
                let ups = find_updates(doc, &p, SetOp::None)?;
                check_nesting(&ups, &v)?;
                // A merge at a location counts even when it changes nothing, but not at a location that does
                // not lead to a value (a filter's match inside an object): RedisJSON answers null then.
                let changed = ups.iter().any(|u| matches!(u, Update::Set(at) if get(doc, at).is_some()));
                let mut any = false;
                for u in ups {
                    any |= match u {
                        Update::Set(at) => apply(doc, vec![Update::Set(at)], &v, true),
                        add => apply(doc, vec![add], &v, false),
                    };
                }
                if any || changed {
                    Ok((Rv::Simple("OK"), Change::Modified("json.merge")))
                } else {
                    Ok((Rv::Null, Change::None))
                }
            }
            None if p.is_root() => Ok((Rv::Simple("OK"), Change::Created(Doc::Tree(v), "json.merge"))),
            None => Err("ERR new objects must be created at the root".into()),
        }
    });
}

pub(super) use merge_cmd as merge_handler;

/// `JSON.MSET key path value [key path value ...]`
pub(super) fn mset(ctx: &mut Ctx, args: Args) {
    if args.len() < 4 || (args.len() - 1) % 3 != 0 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.mset' command");
    }
    // Every triple is checked (type, path, value) before any is applied, as RedisJSON does.
    let mut plans: Vec<(usize, MsetPlan)> = Vec::new();
    for t in (1..args.len()).step_by(3) {
        let (e, r) = ctx.lookup_reencode(Access::READ, args.get(t));
        let plan = (|| -> Result<MsetPlan, String> {
            let doc = doc_entry(e)?;
            let p = PathArg::arg(args.get(t + 1))?;
            if p.is_root() {
                return Doc::from_text(args.get(t + 2), parse_value).map(MsetPlan::Root);
            }
            let Some(doc) = doc else {
                return Err("ERR new objects must be created at the root".into());
            };
            let ups = find_updates(doc.tree_mut(), &p, SetOp::None)?;
            let v = parse_value(args.get(t + 2))?;
            check_nesting(&ups, &v)?;
            Ok(MsetPlan::At(ups, v))
        })();
        match plan {
            Ok(plan) => plans.push((t, plan)),
            Err(msg) => return error(r, &msg),
        }
    }
    for (t, plan) in plans {
        let key = args.get(t);
        let (e, _, mut w) = ctx.write(key);
        let changed = match (doc_entry(e), plan) {
            (Ok(Some(doc)), MsetPlan::At(ups, v)) => apply(doc.tree_mut(), ups, &v, false),
            (Ok(Some(doc)), MsetPlan::Root(v)) => {
                std::mem::replace(doc, v).dispose();
                true
            }
            (Ok(None), MsetPlan::Root(v)) => {
                w.untouched();
                create(ctx, key, v);
                ctx.notify(nc::MODULE, "json.mset", key);
                continue;
            }
            _ => false,
        };
        if changed {
            ctx.changed(&mut w, 1);
            ctx.notify(nc::MODULE, "json.mset", key);
        } else {
            w.untouched();
        }
    }
    ctx.reply().ok();
}

/// One JSON.MSET triple, checked: a whole document, or a value and where it goes.
enum MsetPlan {
    Root(Doc),
    At(Vec<Update>, Json),
}

/// A location's elements as RedisJSON's path trackers write them (indexes as decimal text).
fn as_strings(at: &[Elem]) -> Vec<String> {
    at.iter()
        .map(|e| match e {
            Elem::Key(k) => k.clone(),
            Elem::Index(i) => i.to_string(),
        })
        .collect()
}

/// RedisJSON's `prepare_paths_for_deletion`: higher indexes of one array first, longer paths first, and only
/// the topmost of nested matches (by its text prefix test, kept as it is).
fn order_for_deletion(paths: &mut Vec<Vec<Elem>>) {
    if paths.len() < 2 {
        return;
    }
    use std::cmp::Ordering;
    paths.sort_by(|a, b| {
        let (sa, sb) = (as_strings(a), as_strings(b));
        for i in 0..sa.len().max(sb.len()) {
            match (sa.get(i), sb.get(i)) {
                (Some(_), None) => return Ordering::Less,
                (None, Some(_)) => return Ordering::Greater,
                (Some(p1), Some(p2)) => match (p1.parse::<usize>(), p2.parse::<usize>()) {
                    (Err(_), Err(_)) => match p1.cmp(p2) {
                        Ordering::Equal => continue,
                        o => return o,
                    },
                    (Ok(_), Err(_)) => return Ordering::Greater,
                    (Err(_), Ok(_)) => return Ordering::Less,
                    (Ok(i1), Ok(i2)) => match i2.cmp(&i1) {
                        Ordering::Equal => continue,
                        o => return o,
                    },
                },
                (None, None) => break,
            }
        }
        Ordering::Equal
    });
    let mut joined: Vec<String> = paths.iter().map(|p| as_strings(p).join(",")).collect();
    joined.sort();
    paths.retain(|p| {
        let s = as_strings(p).join(",");
        let found = binary_search_179(&joined, &s);
        !joined[..found].iter().any(|q| s.starts_with(q.as_str()))
    });
}

/// Where `slice::binary_search` finds `s` in `sorted` as Rust 1.79 compiled it, the release RedisJSON 2.8.3 was
/// built with: the probe halves the remaining range and stops at the first equal element it lands on. Which of
/// several equal locations it returns decides whether a duplicated match is deleted (the entries before it are
/// prefix-tested, itself included when it is not the first), so JSON.DEL `$..[?(@==2)]` deletes what RedisJSON
/// deletes only with this exact probe order. Since Rust 1.82 the std search may return another equal element.
fn binary_search_179(sorted: &[String], s: &str) -> usize {
    let (mut left, mut right) = (0, sorted.len());
    let mut size = sorted.len();
    while left < right {
        let mid = left + size / 2;
        match sorted[mid].as_str().cmp(s) {
            std::cmp::Ordering::Less => left = mid + 1,
            std::cmp::Ordering::Greater => right = mid,
            std::cmp::Ordering::Equal => return mid,
        }
        size = right - left;
    }
    0
}

/// Removes the node at a (non-empty) location.
fn remove_at(doc: &mut Json, at: &[Elem]) -> bool {
    let Some((last, parent)) = at.split_last() else { return false };
    match (get_mut(doc, parent), last) {
        (Some(Json::Object(o)), Elem::Key(k)) => o.remove(k).is_some(),
        (Some(Json::Array(a)), Elem::Index(i)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

/// The path of a `name key [path]` command (the root when left out), or `None` once the arity or path error is
/// replied (JSON.DEL and JSON.CLEAR).
fn key_and_path<'a>(ctx: &mut Ctx, args: &Args<'a>, name: &str) -> Option<PathArg<'a>> {
    if args.len() < 2 {
        ctx.reply().error(&format!("ERR wrong number of arguments for '{name}' command"));
        return None;
    }
    match path_at(args, 2) {
        Ok(p) => Some(p),
        Err(e) => {
            error(ctx.reply(), &e);
            None
        }
    }
}

/// `JSON.DEL key [path] (and JSON.FORGET)`
pub(super) fn del(ctx: &mut Ctx, args: Args) {
    let Some(p) = key_and_path(ctx, &args, "json.del") else { return };
    write_doc(ctx, args.get(1), |doc, _| {
        let Some(doc) = doc else { return Ok((Rv::Int(0), Change::None)) };
        if p.is_root() {
            return Ok((Rv::Int(1), Change::Deleted("json.del")));
        }
        let mut paths = p.compile()?.select_paths(doc)?;
        order_for_deletion(&mut paths);
        let mut n = 0;
        for at in paths {
            if at.is_empty() {
                // A filter can select the root itself: RedisJSON's `update` then does nothing.
                continue;
            }
            n += remove_at(doc, &at) as i64;
        }
        Ok((Rv::Int(n), if n > 0 { Change::Modified("json.del") } else { Change::None }))
    });
}

/// The locations of a path's matches, each `None` when `want` refuses its node (RedisJSON's `find_all_paths`).
fn typed_paths(doc: &Json, p: &PathArg, want: impl Fn(&Json) -> bool) -> Result<Located, String> {
    Ok(typed_paths_checked(doc, p, want)?.0)
}

/// One location per match; `None` for a match the command does not take.
type Located = Vec<Option<Vec<Elem>>>;

/// [`typed_paths`], and whether a match `want` accepts has a location that does not lead back to it (a filter's
/// match inside an object, see [`Query::select_located`]): RedisJSON's ARRAPPEND, ARRINSERT, ARRTRIM, STRAPPEND,
/// TOGGLE and number commands fail there with [`PATH_GONE`]. RedisJSON fails on reaching that location and keeps
/// what it changed at the locations before it; these commands check first and change nothing.
fn typed_paths_checked(doc: &Json, p: &PathArg, want: impl Fn(&Json) -> bool) -> Result<(Located, bool), String> {
    let q = p.compile()?;
    let mut gone = false;
    let paths = q
        .select_located(doc)?
        .into_iter()
        .map(|(v, at)| {
            let typed = want(v);
            let here = get(doc, &at).is_some_and(|w| std::ptr::eq(w, v));
            gone |= typed && !here;
            (typed && here).then_some(at)
        })
        .collect();
    Ok((paths, gone))
}

/// RedisJSON's error for a location that does not lead to a value.
const PATH_GONE: &str = "ERR Path does not exist";

#[derive(Clone, Copy)]
enum NumOp {
    Incr,
    Mult,
    Pow,
}

/// A number as RedisJSON answers it: integers as integers, doubles as `ryu` prints them.
fn num_text(v: &Json) -> Vec<u8> {
    let mut out = Vec::new();
    match v {
        Json::Float(f) => write_f64(*f, &mut out),
        other => write_compact(other, &mut out),
    }
    out
}

fn num_apply(node: &mut Json, n: &Json, op: NumOp) -> Result<Json, String> {
    let res = match (&*node, n) {
        (Json::Int(a), Json::Int(b)) => Json::Int(match op {
            NumOp::Incr => a.wrapping_add(*b),
            NumOp::Mult => a.wrapping_mul(*b),
            NumOp::Pow => a.wrapping_pow(*b as u32),
        }),
        _ => {
            let (a, b) = (node.as_f64().unwrap_or(0.0), n.as_f64().unwrap_or(0.0));
            let r = match op {
                NumOp::Incr => a + b,
                NumOp::Mult => a * b,
                NumOp::Pow => a.powf(b),
            };
            if !r.is_finite() {
                return Err("ERR result is not a number".into());
            }
            Json::Float(r)
        }
    };
    *node = res.clone();
    Ok(res)
}

fn num_cmd(ctx: &mut Ctx, args: Args, op: NumOp, event: &'static str, name: &str) {
    if args.len() != 4 {
        return ctx.reply().error(&format!("ERR wrong number of arguments for '{name}' command"));
    }
    let p = match PathArg::arg(args.get(2)) {
        Ok(p) => p,
        Err(e) => return error(ctx.reply(), &e),
    };
    let num = args.get(3);
    write_doc(ctx, args.get(1), |doc, resp3| {
        let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
        let (paths, gone) = typed_paths_checked(doc, &p, Json::is_number)?;
        if gone {
            // RedisJSON reads the number before it walks the locations.
            return Err(match parse_strict(utf8(num)?) {
                Ok(Json::Int(_) | Json::UInt(_) | Json::Float(_)) => PATH_GONE.to_string(),
                Ok(_) => "bad input number".to_string(),
                Err(e) => format!("ERR {e}"),
            });
        }
        if p.legacy && !resp3 && paths.iter().all(Option::is_none) {
            return Err(no_path_or(&p.fixed, "does not contains a number"));
        }
        let mut results = Vec::new();
        let mut changed = false;
        for at in paths {
            let Some(at) = at else {
                results.push(None);
                continue;
            };
            let n = match parse_strict(utf8(num)?) {
                Ok(n @ (Json::Int(_) | Json::UInt(_) | Json::Float(_))) => n,
                Ok(_) => return Err("bad input number".into()),
                Err(e) => return Err(format!("ERR {e}")),
            };
            let n = match n {
                Json::UInt(u) => Json::Float(u as f64),
                n => n,
            };
            let Some(node) = get_mut(doc, &at) else { continue };
            if let Json::UInt(u) = node {
                *node = Json::Float(*u as f64);
            }
            results.push(Some(num_apply(node, &n, op)?));
            changed = true;
        }
        let change = if changed { Change::Modified(event) } else { Change::None };
        let reply = if resp3 {
            Rv::Array(
                results
                    .iter()
                    .map(|r| match r {
                        Some(Json::Int(i)) => Rv::Int(*i),
                        Some(v) => Rv::Double(v.as_f64().unwrap_or(0.0)),
                        None => Rv::Null,
                    })
                    .collect(),
            )
        } else if p.legacy {
            Rv::Bulk(results.iter().rev().flatten().next().map(num_text).unwrap_or_default())
        } else {
            let arr = Json::array(results.into_iter().map(|r| r.unwrap_or(Json::Null)).collect());
            Rv::Bulk(text(&arr))
        };
        Ok((reply, change))
    });
}

/// `JSON.NUMINCRBY key path number`
pub(super) fn numincrby(ctx: &mut Ctx, args: Args) {
    num_cmd(ctx, args, NumOp::Incr, "json.numincrby", "json.numincrby")
}

/// `JSON.NUMMULTBY key path number`
pub(super) fn nummultby(ctx: &mut Ctx, args: Args) {
    num_cmd(ctx, args, NumOp::Mult, "json.nummultby", "json.nummultby")
}

/// `JSON.NUMPOWBY key path number`
pub(super) fn numpowby(ctx: &mut Ctx, args: Args) {
    num_cmd(ctx, args, NumOp::Pow, "json.numpowby", "json.numpowby")
}

/// Runs a per-match write for the array, string and boolean commands: `op` on each match `want` accepts; the
/// JSONPath reply lists each result (null for the others), the legacy one the last result, or `legacy_err` when
/// nothing matched.
fn per_match(
    doc: &mut Json,
    p: &PathArg,
    want: impl Fn(&Json) -> bool,
    legacy_err: &str,
    op: impl FnMut(&mut Json) -> Result<Rv, String>,
) -> Result<(Rv, bool), String> {
    per_match_adding(doc, p, want, legacy_err, &[], op)
}

/// [`per_match`] for ARRPOP, which answers null for a match whose location does not lead back to it where the
/// others fail ([`typed_paths_checked`]).
fn per_match_lenient(
    doc: &mut Json,
    p: &PathArg,
    want: impl Fn(&Json) -> bool,
    legacy_err: &str,
    op: impl FnMut(&mut Json) -> Result<Rv, String>,
) -> Result<(Rv, bool), String> {
    let (paths, gone) = typed_paths_checked(doc, p, want)?;
    if gone && p.legacy && paths.iter().all(Option::is_none) {
        // Found, so not the legacy error; nothing popped there.
        return Ok((Rv::Null, false));
    }
    apply_per_match(doc, p, paths, legacy_err, &[], op)
}

/// [`per_match`] for the writes that put `added` inside each match (ARRAPPEND, ARRINSERT): refused before any
/// change when that would nest the document too deep ([`check_nesting`]).
fn per_match_adding(
    doc: &mut Json,
    p: &PathArg,
    want: impl Fn(&Json) -> bool,
    legacy_err: &str,
    added: &[Json],
    op: impl FnMut(&mut Json) -> Result<Rv, String>,
) -> Result<(Rv, bool), String> {
    let (paths, gone) = typed_paths_checked(doc, p, want)?;
    if gone {
        return Err(PATH_GONE.into());
    }
    apply_per_match(doc, p, paths, legacy_err, added, op)
}

fn apply_per_match(
    doc: &mut Json,
    p: &PathArg,
    paths: Located,
    legacy_err: &str,
    added: &[Json],
    mut op: impl FnMut(&mut Json) -> Result<Rv, String>,
) -> Result<(Rv, bool), String> {
    if p.legacy && paths.iter().all(Option::is_none) {
        return Err(legacy_err.to_string());
    }
    if !added.is_empty() {
        let deepest = paths.iter().flatten().map(Vec::len).max().unwrap_or(0);
        Json::check_nesting(deepest + 1, added)?;
    }
    let mut out = Vec::new();
    let mut changed = false;
    for at in paths {
        match at.and_then(|at| get_mut(doc, &at).map(|_| at)) {
            Some(at) => {
                let Some(node) = get_mut(doc, &at) else { continue };
                out.push(op(node)?);
                changed = true;
            }
            None => out.push(Rv::Null),
        }
    }
    if p.legacy {
        Ok((out.into_iter().rev().find(|r| !matches!(r, Rv::Null)).unwrap_or(Rv::Null), changed))
    } else {
        Ok((Rv::Array(out), changed))
    }
}

/// `JSON.TOGGLE key path`
pub(super) fn toggle(ctx: &mut Ctx, args: Args) {
    if args.len() != 3 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.toggle' command");
    }
    let p = match PathArg::arg(args.get(2)) {
        Ok(p) => p,
        Err(e) => return error(ctx.reply(), &e),
    };
    write_doc(ctx, args.get(1), |doc, _| {
        let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
        let legacy = p.legacy;
        let (r, changed) = per_match(
            doc,
            &p,
            |v| matches!(v, Json::Bool(_)),
            &no_path_or(&p.fixed, "not a bool"),
            |v| {
                let Json::Bool(b) = v else { return Ok(Rv::Null) };
                *b = !*b;
                Ok(if legacy { Rv::Bulk(b.to_string().into_bytes()) } else { Rv::Int(*b as i64) })
            },
        )?;
        Ok((r, if changed { Change::Modified("json.toggle") } else { Change::None }))
    });
}

/// `JSON.STRAPPEND key [path] value`
pub(super) fn strappend(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 || args.len() > 4 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.strappend' command");
    }
    let (p, val) =
        if args.len() == 4 { (PathArg::arg(args.get(2)), args.get(3)) } else { (Ok(PathArg::new(".")), args.get(2)) };
    let p = match p.and_then(|p| utf8(val).map(|_| p)) {
        Ok(p) => p,
        Err(e) => return error(ctx.reply(), &e),
    };
    let val = utf8(val).unwrap_or_default();
    write_doc(ctx, args.get(1), |doc, _| {
        let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
        let (r, changed) = per_match(
            doc,
            &p,
            |v| matches!(v, Json::Str(_)),
            &no_path_or(&p.fixed, "not a string"),
            |v| {
                let add = match parse_strict(val) {
                    Ok(Json::Str(s)) => s,
                    Ok(_) => return Err(expected("string", val)),
                    Err(e) => return Err(format!("ERR {e}")),
                };
                let Json::Str(s) = v else { return Ok(Rv::Null) };
                let joined = format!("{s}{add}");
                let n = joined.len();
                *s = joined.into();
                Ok(Rv::Int(n as i64))
            },
        )?;
        Ok((r, if changed { Change::Modified("json.strappend") } else { Change::None }))
    });
}

fn parse_values(args: &Args, from: usize) -> Result<Vec<Json>, String> {
    (from..args.len()).map(|i| parse_value(args.get(i))).collect()
}

fn is_array(v: &Json) -> bool {
    matches!(v, Json::Array(_))
}

/// `JSON.ARRAPPEND key path value [value ...]`
pub(super) fn arrappend(ctx: &mut Ctx, args: Args) {
    if args.len() < 4 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.arrappend' command");
    }
    let parsed = PathArg::arg(args.get(2)).and_then(|p| Ok((p, parse_values(&args, 3)?)));
    let (p, vals) = match parsed {
        Ok(x) => x,
        Err(e) => return error(ctx.reply(), &e),
    };
    write_doc(ctx, args.get(1), |doc, _| {
        let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
        let (r, changed) = per_match_adding(doc, &p, is_array, &no_path_or(p.original, "not an array"), &vals, |v| {
            let Json::Array(a) = v else { return Ok(Rv::Null) };
            a.extend(vals.iter().cloned());
            Ok(Rv::Int(a.len() as i64))
        })?;
        Ok((r, if changed { Change::Modified("json.arrappend") } else { Change::None }))
    });
}

/// `JSON.ARRINSERT key path index value [value ...]`
pub(super) fn arrinsert(ctx: &mut Ctx, args: Args) {
    if args.len() < 5 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.arrinsert' command");
    }
    let parsed = (|| -> Result<(PathArg, i64, Vec<Json>), String> {
        let p = PathArg::arg(args.get(2))?;
        let index = int_arg(args.get(3))?;
        Ok((p, index, parse_values(&args, 4)?))
    })();
    let (p, index, vals) = match parsed {
        Ok(x) => x,
        Err(e) => return error(ctx.reply(), &e),
    };
    write_doc(ctx, args.get(1), |doc, _| {
        let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
        let (r, changed) = per_match_adding(doc, &p, is_array, &no_path_or(&p.fixed, "not an array"), &vals, |v| {
            let Json::Array(a) = v else { return Ok(Rv::Null) };
            let len = a.len() as i64;
            let at = if index < 0 { len + index } else { index };
            if !(0..=len).contains(&at) {
                return Err("ERR index out of bounds".into());
            }
            let at = at as usize;
            a.insert_many(at, vals.iter().cloned());
            Ok(Rv::Int(a.len() as i64))
        })?;
        Ok((r, if changed { Change::Modified("json.arrinsert") } else { Change::None }))
    });
}

/// `JSON.ARRPOP key [FORMAT f] [path [index]]`
pub(super) fn arrpop(ctx: &mut Ctx, args: Args) {
    let resp3 = ctx.reply().is_resp3();
    let parsed = (|| -> Result<(PathArg, i64, ReplyFormat), String> {
        if args.len() < 2 {
            return Err("ERR wrong number of arguments for 'json.arrpop' command".into());
        }
        let mut fmt = ReplyFormat::Strings;
        let mut i = 2;
        if i < args.len() && utf8(args.get(i))?.eq_ignore_ascii_case("FORMAT") && i + 1 < args.len() {
            fmt = ReplyFormat::parse(utf8(args.get(i + 1))?)?;
            if fmt == ReplyFormat::String {
                return Err("ERR wrong reply format".into());
            }
            if !resp3 {
                return Err("ERR FORMAT argument is not supported on RESP2".into());
            }
            i += 2;
        }
        if i >= args.len() {
            return Ok((PathArg::new("."), i64::MAX, fmt));
        }
        let p = PathArg::arg(args.get(i))?;
        let index = if i + 1 < args.len() { crate::util::parse_i64(args.get(i + 1)).unwrap_or(-1) } else { -1 };
        Ok((p, index, fmt))
    })();
    let (p, index, fmt) = match parsed {
        Ok(x) => x,
        Err(e) => return error(ctx.reply(), &e),
    };
    write_doc(ctx, args.get(1), |doc, resp3| {
        if p.legacy && fmt != ReplyFormat::Strings {
            return Err("Legacy paths are supported only with FORMAT STRINGS".into());
        }
        let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
        let expand = resp3 && fmt != ReplyFormat::Strings;
        let mut popped = false;
        let (r, matched) = per_match_lenient(doc, &p, is_array, &no_path_or(&p.fixed, "not an array"), |v| {
            let Json::Array(a) = v else { return Ok(Rv::Null) };
            if a.is_empty() {
                return Ok(Rv::Null);
            }
            let i = norm_start(index, a.len() as i64) as usize;
            let Some(x) = a.remove(i) else { return Ok(Rv::Null) };
            popped = true;
            Ok(if expand { value_resp3(&x, fmt, &Format::default()) } else { Rv::Bulk(text(&x)) })
        })?;
        let changed = if p.legacy { matched } else { popped };
        Ok((r, if changed { Change::Modified("json.arrpop") } else { Change::None }))
    });
}

/// `JSON.ARRTRIM key path start stop`
pub(super) fn arrtrim(ctx: &mut Ctx, args: Args) {
    if args.len() != 5 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.arrtrim' command");
    }
    let parsed = (|| -> Result<(PathArg, i64, i64), String> {
        Ok((PathArg::arg(args.get(2))?, int_arg(args.get(3))?, int_arg(args.get(4))?))
    })();
    let (p, start, stop) = match parsed {
        Ok(x) => x,
        Err(e) => return error(ctx.reply(), &e),
    };
    write_doc(ctx, args.get(1), |doc, _| {
        let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
        let (r, changed) = per_match(doc, &p, is_array, &no_path_or(&p.fixed, "not an array"), |v| {
            let Json::Array(a) = v else { return Ok(Rv::Null) };
            let len = a.len() as i64;
            let norm = |i: i64| -> i64 {
                if i < 0 {
                    len - len.min(-i)
                } else if len > 0 {
                    (len - 1).min(i)
                } else {
                    0
                }
            };
            let stop = norm(stop);
            let start = if start < 0 || start < len { norm(start) } else { stop + 1 };
            let (s, e) = if start > stop || len == 0 { (0, 0) } else { (start as usize, stop as usize + 1) };
            a.truncate(e);
            a.remove_front(s);
            Ok(Rv::Int(a.len() as i64))
        })?;
        Ok((r, if changed { Change::Modified("json.arrtrim") } else { Change::None }))
    });
}

/// `JSON.CLEAR key [path ...] (only the first path counts, as in RedisJSON)`
pub(super) fn clear(ctx: &mut Ctx, args: Args) {
    let Some(p) = key_and_path(ctx, &args, "json.clear") else { return };
    write_doc(ctx, args.get(1), |doc, _| {
        let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
        let want = |v: &Json| match v {
            Json::Array(a) => !a.is_empty(),
            Json::Object(o) => !o.is_empty(),
            Json::Int(n) => *n != 0,
            Json::UInt(n) => *n != 0,
            Json::Float(f) => *f != 0.0,
            _ => false,
        };
        // Matches are chosen before any is cleared; a location matched twice is cleared (and counted) twice.
        let paths = typed_paths(doc, &p, want)?;
        let mut n = 0;
        for at in paths.into_iter().flatten() {
            let Some(v) = get_mut(doc, &at) else { continue };
            match v {
                Json::Array(a) => a.clear(),
                Json::Object(o) => o.clear(),
                other => *other = Json::Int(0),
            }
            n += 1;
        }
        Ok((Rv::Int(n), if n > 0 { Change::Modified("json.clear") } else { Change::None }))
    });
}
