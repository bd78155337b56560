//! The JSON commands that only read: JSON.GET, MGET, TYPE, STRLEN, ARRINDEX, ARRLEN, OBJKEYS, OBJLEN, RESP and
//! DEBUG.

use super::*;
use crate::command::Access;
use crate::command::{Args, Ctx};
use crate::keyspace::types::json::packed::{self, Step};
use crate::keyspace::types::json::path::{json_eq, BUDGET_ERROR};
use crate::keyspace::types::json::Object;

/// Runs `f` over the document under `args[1]` (`None`: no key) and sends what it answers.
fn with_doc(ctx: &mut Ctx, args: &Args, f: impl FnOnce(Option<&Json>, bool) -> Res) {
    if !has_key(ctx, args) {
        return;
    }
    let (e, r) = ctx.lookup_reencode(Access::READ, args.get(1));
    let resp3 = r.is_resp3();
    let res = doc_of(e).and_then(|d| f(d.map(|d| &*d), resp3));
    answer(r, res);
}

/// Whether the command names a key; otherwise RedisJSON's arity error (its commands are registered with arity
/// -1, so the server's own check lets a bare `JSON.GET` through) has been replied.
fn has_key(ctx: &mut Ctx, args: &Args) -> bool {
    if args.len() < 2 {
        ctx.reply().err_arity(&String::from_utf8_lossy(args.get(0)));
        return false;
    }
    true
}

/// The first match of a legacy path, or RedisJSON's "does not exist" naming the rewritten path.
fn first<'a>(p: &PathArg, doc: &'a Json) -> Result<&'a Json, String> {
    let q = p.compile()?;
    q.select(doc)?.into_iter().next().ok_or_else(|| no_path(&p.fixed))
}

/// The reply format of JSON.GET and JSON.ARRPOP (RESP3 only, beside STRING).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ReplyFormat {
    String,
    Strings,
    Expand1,
    Expand,
}

impl ReplyFormat {
    pub(super) fn parse(s: &str) -> Result<ReplyFormat, String> {
        Ok(match s {
            "STRING" => ReplyFormat::String,
            "STRINGS" => ReplyFormat::Strings,
            "EXPAND1" => ReplyFormat::Expand1,
            "EXPAND" => ReplyFormat::Expand,
            _ => return Err("ERR wrong reply format".into()),
        })
    }
}

/// A value as RESP3 (`EXPAND`: containers as arrays and maps; otherwise containers as their JSON text).
pub(super) fn value_resp3(v: &Json, fmt: ReplyFormat, f: &Format) -> Rv {
    match v {
        Json::Null => Rv::Null,
        Json::Bool(b) => Rv::Bool(*b),
        Json::Int(n) => Rv::Int(*n),
        Json::UInt(n) => Rv::Double(*n as f64),
        Json::Float(x) => Rv::Double(*x),
        Json::Str(s) if fmt == ReplyFormat::Expand => Rv::Bulk(s.as_bytes().to_vec()),
        Json::Array(a) if fmt == ReplyFormat::Expand => Rv::Array(a.iter().map(|x| value_resp3(x, fmt, f)).collect()),
        Json::Object(o) if fmt == ReplyFormat::Expand => {
            Rv::Map(o.iter().map(|(k, x)| (k.as_bytes().to_vec(), value_resp3(x, fmt, f))).collect())
        }
        other => {
            let mut out = Vec::new();
            write_formatted(other, f, &mut out);
            Rv::Bulk(out)
        }
    }
}

/// `JSON.GET key [INDENT s] [NEWLINE s] [SPACE s] [FORMAT f] [path ...]`
pub(super) fn get(ctx: &mut Ctx, args: Args) {
    if !has_key(ctx, &args) {
        return;
    }
    let resp3 = ctx.reply().is_resp3();
    let parsed = (|| -> Result<(Vec<PathArg>, Format, ReplyFormat), String> {
        let mut paths = Vec::new();
        let mut f = Format::default();
        let mut fmt = ReplyFormat::String;
        let mut i = 2;
        let next = |i: usize| -> Result<&[u8], String> {
            if i < args.len() {
                Ok(args.get(i))
            } else {
                Err("ERR wrong number of arguments for 'json.get' command".into())
            }
        };
        while i < args.len() {
            let a = utf8(args.get(i))?;
            if a.len() > 8 {
                paths.push(PathArg::new(a));
            } else if a.eq_ignore_ascii_case("FORMAT") {
                if !resp3 && paths.is_empty() {
                    return Err("ERR FORMAT argument is not supported on RESP2".into());
                }
                i += 1;
                let v = utf8(next(i)?)?;
                if v.eq_ignore_ascii_case("STRINGS") {
                    return Err("ERR wrong reply format".into());
                }
                fmt = ReplyFormat::parse(v)?;
            } else if a.eq_ignore_ascii_case("INDENT") {
                i += 1;
                f.indent = Some(next(i)?);
                utf8(next(i)?)?;
            } else if a.eq_ignore_ascii_case("NEWLINE") {
                i += 1;
                f.newline = Some(next(i)?);
                utf8(next(i)?)?;
            } else if a.eq_ignore_ascii_case("SPACE") {
                i += 1;
                f.space = Some(next(i)?);
                utf8(next(i)?)?;
            } else if !a.eq_ignore_ascii_case("NOESCAPE") {
                paths.push(PathArg::new(a));
            }
            i += 1;
        }
        if paths.is_empty() {
            paths.push(PathArg::new("."));
        }
        Ok((paths, f, fmt))
    })();
    let (paths, f, fmt) = match parsed {
        Ok(x) => x,
        Err(e) => return error(ctx.reply(), &e),
    };
    let (e, r) = ctx.lookup_reencode(Access::READ, args.get(1));
    let resp3 = r.is_resp3();
    let doc = match doc_entry(e) {
        Ok(Some(doc)) => doc,
        Ok(None) => return r.null(),
        Err(e) => return error(r, &e),
    };
    if let Some(text) = doc.text() {
        if get_packed(r, text, &paths, &f, fmt) {
            return;
        }
    }
    let doc = &*doc.tree_mut();
    if paths.len() > 1 || (resp3 && matches!(fmt, ReplyFormat::Expand | ReplyFormat::Expand1)) {
        return answer(r, get_reply(doc, &paths, &f, fmt, resp3));
    }
    // One path, as text: written straight into the reply.
    let p = &paths[0];
    if p.legacy {
        match first(p, doc) {
            Ok(v) => r.bulk_with(|out| write_formatted(v, &f, out)),
            Err(e) => error(r, &e),
        }
    } else {
        match p.compile() {
            Ok(q) => match q.select(doc) {
                Ok(found) => r.bulk_with(|out| write_array_formatted(&found, &f, out)),
                Err(e) => error(r, &e),
            },
            Err(e) => error(r, &e),
        }
    }
}

/// JSON.GET of a packed document without thawing it: one path of keys and indexes (the root included), the compact
/// text. Whether it answered (otherwise the caller thaws the document and answers from the tree).
fn get_packed(r: &mut Reply, text: &[u8], paths: &[PathArg], f: &Format, fmt: ReplyFormat) -> bool {
    let [p] = paths else { return false };
    if !f.is_plain() || matches!(fmt, ReplyFormat::Expand | ReplyFormat::Expand1) {
        return false;
    }
    let Some(value) = packed_match(text, p) else { return false };
    r.bulk_with(|out| packed_reply(value, p, out));
    true
}

/// The one value a path of keys and indexes reaches in a packed document's text, when it reaches one.
fn packed_match<'t>(text: &'t [u8], p: &PathArg) -> Option<&'t [u8]> {
    packed::locate(text, simple_steps(&p.fixed)?).map(|at| &text[at])
}

/// What JSON.GET answers for one matched value: the value (legacy path) or an array of it (JSONPath).
fn packed_reply(value: &[u8], p: &PathArg, out: &mut Vec<u8>) {
    if p.legacy {
        out.extend_from_slice(value);
    } else {
        out.reserve(value.len() + 2);
        out.push(b'[');
        out.extend_from_slice(value);
        out.push(b']');
    }
}

/// The steps of a JSONPath made only of `.name` keys (ASCII letters, digits and `_`, not starting with a digit) and
/// `[n]` indexes (no sign, no leading zero), which match at most one value; `None` for any other path. The path is
/// checked whole first, then its steps are read again as the caller walks them.
fn simple_steps(fixed: &str) -> Option<impl Iterator<Item = Step<'_>>> {
    let path = fixed.strip_prefix('$')?;
    let mut rest = path;
    while !rest.is_empty() {
        rest = next_step(rest)?.1;
    }
    Some(std::iter::successors(next_step(path), |&(_, rest)| next_step(rest)).map(|(step, _)| step))
}

/// The first step of a simple path (see [`simple_steps`]) and what follows it; `None` at the end or when it is not
/// a simple step.
fn next_step(rest: &str) -> Option<(Step<'_>, &str)> {
    if let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(r.len());
        let key = &r[..end];
        if !key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        return Some((Step::Key(key), &r[end..]));
    }
    let r = rest.strip_prefix('[')?;
    let end = r.find(']')?;
    let digits = &r[..end];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    Some((Step::Index(digits.parse().ok()?), &r[end + 1..]))
}

fn get_reply(doc: &Json, paths: &[PathArg], f: &Format, fmt: ReplyFormat, resp3: bool) -> Res {
    let legacy = paths.iter().all(|p| p.legacy);
    if resp3 && matches!(fmt, ReplyFormat::Expand | ReplyFormat::Expand1) {
        let mut all = Vec::with_capacity(paths.len());
        for p in paths {
            all.push(match p.compile() {
                Ok(q) => Rv::Array(q.select(doc)?.into_iter().map(|v| value_resp3(v, fmt, f)).collect()),
                Err(_) => Rv::Array(Vec::new()),
            });
        }
        return Ok(Rv::Array(all));
    }
    if paths.len() > 1 {
        // RedisJSON gathers the paths in a hash map: a path given twice appears once; paths that do not compile
        // are left out. Its order cannot be matched: 2.8.3's `to_json_multi` (redis_json/src/key_value.rs)
        // folds into a `std::collections::HashMap` whose `RandomState` gets fresh SipHash keys for every call,
        // so the same JSON.GET of six paths comes back in a different order each time, even on one server.
        // Here the order given (duplicates keep their first place), which clients cannot tell from a shuffle.
        let mut obj = Object::new();
        let mut missing = None;
        for p in paths {
            let Ok(q) = p.compile() else { continue };
            let found = q.select(doc)?;
            let v = if legacy {
                match found.first() {
                    Some(v) => (*v).clone(),
                    None => {
                        missing.get_or_insert_with(|| p.original.to_string());
                        Json::Null
                    }
                }
            } else {
                Json::array(found.into_iter().cloned().collect())
            };
            obj.insert(p.original, v);
        }
        if let Some(m) = missing {
            return Err(no_path(&m));
        }
        let mut out = Vec::new();
        write_formatted(&Json::Object(obj), f, &mut out);
        return Ok(Rv::Bulk(out));
    }
    let p = &paths[0];
    if legacy {
        let v = first(p, doc)?;
        let mut out = Vec::new();
        write_formatted(v, f, &mut out);
        Ok(Rv::Bulk(out))
    } else {
        let q = p.compile()?;
        Ok(Rv::Bulk(array_text(&q.select(doc)?, f)))
    }
}

/// `JSON.MGET key [key ...] path`
pub(super) fn mget(ctx: &mut Ctx, args: Args) {
    if args.len() < 3 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.mget' command");
    }
    let p = match PathArg::arg(args.get(args.len() - 1)) {
        Ok(p) => p,
        Err(e) => return error(ctx.reply(), &e),
    };
    let mut out = Vec::with_capacity(args.len() - 2);
    for i in 1..args.len() - 1 {
        let (e, _) = ctx.lookup_reencode(Access::READ, args.get(i));
        let doc = doc_entry(e);
        if let Some(value) = doc.as_ref().ok().and_then(|d| d.as_ref()?.text()).and_then(|t| packed_match(t, &p)) {
            let mut v = Vec::with_capacity(value.len() + 2);
            packed_reply(value, &p, &mut v);
            out.push(Rv::Bulk(v));
            continue;
        }
        let v = match doc.map(|d| d.map(|d| &*d.tree_mut())) {
            Ok(Some(doc)) => {
                let got = if p.legacy {
                    first(&p, doc).map(text)
                } else {
                    p.compile().and_then(|q| Ok(array_text(&q.select(doc)?, &Format::default())))
                };
                match got {
                    // A path past its evaluation budget fails the command (other errors are a null per key).
                    Err(e) if e == BUDGET_ERROR => return error(ctx.reply(), &e),
                    got => got.map_or(Rv::Null, Rv::Bulk),
                }
            }
            _ => Rv::Null,
        };
        out.push(v);
    }
    emit(ctx.reply(), &Rv::Array(out));
}

/// The optional path argument at `i` (the root `.` when absent).
pub(super) fn path_at<'a>(args: &Args<'a>, i: usize) -> Result<PathArg<'a>, String> {
    if i < args.len() {
        PathArg::arg(args.get(i))
    } else {
        Ok(PathArg::new("."))
    }
}

/// `JSON.TYPE key [path]`
pub(super) fn type_(ctx: &mut Ctx, args: Args) {
    with_doc(ctx, &args, |doc, resp3| {
        let p = path_at(&args, 2)?;
        let v = if p.legacy {
            match doc {
                None => Rv::Null,
                Some(doc) => first(&p, doc).map_or(Rv::Null, |v| Rv::Bulk(v.type_name().as_bytes().to_vec())),
            }
        } else {
            match doc {
                None => Rv::Null,
                Some(doc) => {
                    let q = p.compile()?;
                    Rv::Array(q.select(doc)?.iter().map(|v| Rv::Bulk(v.type_name().as_bytes().to_vec())).collect())
                }
            }
        };
        Ok(if resp3 { Rv::Array(vec![v]) } else { v })
    });
}

/// Each match of a JSONPath: `f`'s answer for the kind it wants, null for the others.
fn each(doc: &Json, p: &PathArg, mut f: impl FnMut(&Json) -> Option<Rv>) -> Res {
    let q = p.compile()?;
    Ok(Rv::Array(q.select(doc)?.into_iter().map(|v| f(v).unwrap_or(Rv::Null)).collect()))
}

/// `JSON.STRLEN key [path]`
pub(super) fn strlen(ctx: &mut Ctx, args: Args) {
    with_doc(ctx, &args, |doc, _| {
        let p = path_at(&args, 2)?;
        let strlen = |v: &Json| match v {
            Json::Str(s) => Some(Rv::Int(s.len() as i64)),
            _ => None,
        };
        if p.legacy {
            let Some(doc) = doc else { return Ok(Rv::Null) };
            let v = first(&p, doc)?;
            strlen(v).ok_or_else(|| expected("string", v.type_name()))
        } else {
            let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
            each(doc, &p, strlen)
        }
    });
}

/// `JSON.ARRLEN key [path]`
pub(super) fn arrlen(ctx: &mut Ctx, args: Args) {
    with_doc(ctx, &args, |doc, _| {
        let p = path_at(&args, 2)?;
        let doc = match doc {
            Some(d) => d,
            None if p.legacy => return Ok(Rv::Null),
            None => return Err(NO_KEY.into()),
        };
        let len = |v: &Json| match v {
            Json::Array(a) => Some(Rv::Int(a.len() as i64)),
            _ => None,
        };
        if p.legacy {
            let q = p.compile()?;
            let found = q.select(doc)?;
            let v = found.first().ok_or_else(|| no_path(p.original))?;
            len(v).ok_or_else(|| no_path_or(p.original, "not an array"))
        } else {
            each(doc, &p, len)
        }
    });
}

/// `JSON.OBJLEN key [path]`
pub(super) fn objlen(ctx: &mut Ctx, args: Args) {
    with_doc(ctx, &args, |doc, _| {
        let p = path_at(&args, 2)?;
        let len = |v: &Json| match v {
            Json::Object(o) => Some(Rv::Int(o.len() as i64)),
            _ => None,
        };
        if p.legacy {
            let Some(doc) = doc else { return Ok(Rv::Null) };
            let Ok(q) = p.compile() else { return Ok(Rv::Null) };
            match q.select(doc)?.first() {
                None => Ok(Rv::Null),
                Some(v) => len(v).ok_or_else(|| expected("object", v.type_name())),
            }
        } else {
            let doc = doc.ok_or_else(|| no_path_or(&p.fixed, "not an object"))?;
            each(doc, &p, len)
        }
    });
}

/// `JSON.OBJKEYS key [path]`
pub(super) fn objkeys(ctx: &mut Ctx, args: Args) {
    with_doc(ctx, &args, |doc, _| {
        let p = path_at(&args, 2)?;
        let keys = |v: &Json| match v {
            Json::Object(o) => Some(Rv::Array(o.keys().map(|k| Rv::Bulk(k.as_bytes().to_vec())).collect())),
            _ => None,
        };
        if p.legacy {
            let Some(doc) = doc else { return Ok(Rv::Null) };
            let Ok(q) = p.compile() else { return Ok(Rv::Null) };
            match q.select(doc)?.first() {
                None => Ok(Rv::Null),
                Some(v) => keys(v).ok_or_else(|| no_path_or(&p.fixed, "not an object")),
            }
        } else {
            let doc = doc.ok_or_else(|| NO_KEY.to_string())?;
            each(doc, &p, keys)
        }
    });
}

/// RedisJSON's `normalize_arr_start_index`.
pub(super) fn norm_start(start: i64, len: i64) -> i64 {
    if start < 0 {
        0.max(len + start)
    } else {
        start.min(len - 1)
    }
}

fn index_in(arr: &Json, v: &Json, start: i64, end: i64) -> Option<i64> {
    let Json::Array(a) = arr else { return None };
    let len = a.len() as i64;
    if len == 0 {
        return Some(-1);
    }
    let s = norm_start(start, len);
    let e = match end {
        0 => len,
        e if e < 0 => 0.max(len + e),
        e => e.min(len),
    };
    if e < s {
        return Some(-1);
    }
    Some((s..e).find(|&i| strict_eq(&a[i as usize], v)).unwrap_or(-1))
}

/// RedisJSON's `is_equal`: integers equal integers and doubles doubles (1 is not 1.0), objects by members.
fn strict_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Float(x), Json::Float(y)) => x == y,
        (Json::Float(_), _) | (_, Json::Float(_)) => false,
        _ => json_eq(a, b),
    }
}

/// `JSON.ARRINDEX key path value [start [stop]]`
pub(super) fn arrindex(ctx: &mut Ctx, args: Args) {
    let parsed = (|| -> Result<(PathArg, Json, i64, i64), String> {
        if args.len() < 4 || args.len() > 6 {
            return Err("ERR wrong number of arguments for 'json.arrindex' command".into());
        }
        let p = PathArg::arg(args.get(2))?;
        let v = utf8(args.get(3))?;
        let start = if args.len() > 4 { int_arg(args.get(4))? } else { 0 };
        let end = if args.len() > 5 { int_arg(args.get(5))? } else { 0 };
        let v = parse_strict(v).map_err(|e| format!("ERR {e}"))?;
        Ok((p, v, start, end))
    })();
    let (p, v, start, end) = match parsed {
        Ok(x) => x,
        Err(e) => return error(ctx.reply(), &e),
    };
    with_doc(ctx, &args, |doc, _| {
        let doc = doc.ok_or_else(|| no_path(p.original))?;
        if p.legacy {
            let arr = first(&p, doc)?;
            index_in(arr, &v, start, end).map(Rv::Int).ok_or_else(|| expected("array", arr.type_name()))
        } else {
            each(doc, &p, |a| index_in(a, &v, start, end).map(Rv::Int))
        }
    });
}

/// serde_json's `from_str`: one value and nothing but whitespace after it.
pub(super) fn parse_strict(s: &str) -> Result<Json, String> {
    crate::keyspace::types::json::parse::parse_whole(s).map_err(|e| e.0)
}

/// RedisJSON's JSON.DEBUG MEMORY figure for one value (ijson's sizes).
fn memory(v: &Json) -> i64 {
    const IVALUE: i64 = 8;
    IVALUE
        + match v {
            Json::Null | Json::Bool(_) => 0,
            Json::Float(_) => 16,
            Json::Int(n) if (-128..=383).contains(n) => 0,
            Json::Int(n) if *n > -8_388_608 && *n <= 8_388_607 => 4,
            Json::Int(_) | Json::UInt(_) => 16,
            Json::Str(s) => s.len() as i64,
            Json::Array(a) if a.is_empty() => 0,
            Json::Array(a) => 8 * (array_capacity(a.len()) + 2) + a.iter().map(memory).sum::<i64>(),
            Json::Object(o) if o.is_empty() => 0,
            Json::Object(o) => {
                8 * (array_capacity(o.len()) * 3 + 2) + o.iter().map(|(k, x)| k.len() as i64 + memory(x)).sum::<i64>()
            }
        }
}

/// ijson's capacity for `n` elements built by pushes (doubling from 4).
fn array_capacity(n: usize) -> i64 {
    let mut c = 4;
    while c < n {
        c *= 2;
    }
    c as i64
}

/// `JSON.DEBUG MEMORY key [path] | JSON.DEBUG HELP`
pub(super) fn debug(ctx: &mut Ctx, args: Args) {
    if args.len() < 2 {
        return ctx.reply().error("ERR wrong number of arguments for 'json.debug' command");
    }
    let sub = String::from_utf8_lossy(args.get(1)).to_uppercase();
    match sub.as_str() {
        "HELP" => {
            let lines = ["MEMORY <key> [path] - reports memory usage", "HELP                - this message"];
            emit(ctx.reply(), &Rv::Array(lines.iter().map(|l| Rv::Bulk(l.as_bytes().to_vec())).collect()));
        }
        "MEMORY" if args.len() >= 3 => {
            let p = match path_at(&args, 3) {
                Ok(p) => p,
                Err(e) => return error(ctx.reply(), &e),
            };
            let (e, r) = ctx.lookup_reencode(Access::READ, args.get(2));
            let res = doc_of(e).map(|d| d.map(|d| &*d)).and_then(|doc| {
                if p.legacy {
                    Ok(Rv::Int(match doc {
                        Some(doc) => memory(first(&p, doc)?),
                        None => 0,
                    }))
                } else {
                    Ok(Rv::Array(match doc {
                        Some(doc) => p.compile()?.select(doc)?.into_iter().map(|v| Rv::Int(memory(v))).collect(),
                        None => Vec::new(),
                    }))
                }
            });
            answer(r, res);
        }
        "MEMORY" => ctx.reply().error("ERR wrong number of arguments for 'json.debug' command"),
        _ => ctx.reply().error("ERR unknown subcommand - try `JSON.DEBUG HELP`"),
    }
}

/// RedisJSON's JSON.RESP form of a value.
fn resp_of(v: &Json) -> Rv {
    match v {
        Json::Null => Rv::Null,
        Json::Bool(true) => Rv::Simple("true"),
        Json::Bool(false) => Rv::Simple("false"),
        Json::Int(n) => Rv::Int(*n),
        Json::UInt(n) => Rv::Double(*n as f64),
        Json::Float(x) => Rv::Double(*x),
        Json::Str(s) => Rv::Bulk(s.as_bytes().to_vec()),
        Json::Array(a) => {
            let mut out = vec![Rv::Simple("[")];
            out.extend(a.iter().map(resp_of));
            Rv::Array(out)
        }
        Json::Object(o) => {
            let mut out = vec![Rv::Simple("{")];
            for (k, x) in o.iter() {
                out.push(Rv::Bulk(k.as_bytes().to_vec()));
                out.push(resp_of(x));
            }
            Rv::Array(out)
        }
    }
}

/// `JSON.RESP key [path]`
pub(super) fn resp(ctx: &mut Ctx, args: Args) {
    with_doc(ctx, &args, |doc, _| {
        let p = path_at(&args, 2)?;
        let Some(doc) = doc else { return Ok(Rv::Null) };
        if p.legacy {
            Ok(resp_of(first(&p, doc)?))
        } else {
            Ok(Rv::Array(p.compile()?.select(doc)?.into_iter().map(resp_of).collect()))
        }
    });
}
