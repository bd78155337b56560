//! JSON.* : RedisJSON 2.8's command set over the native JSON type ([`crate::keyspace::types::json`]).
//!
//! Replies, errors and their order follow RedisJSON 2.8.3 (checked against it loaded into Redis 7.0.15, see
//! `tests/types/json.rs`): a path written in the legacy syntax answers one value (the first match) and errors
//! when nothing matches; a JSONPath answers an array with one entry per match (`null` where a match has the wrong
//! type). RedisJSON's own texts are kept, including those without an error code ("Existing key has wrong Redis
//! type", serde_json's parse errors).
//!
//! Every write goes through the door: a write lookup ([`Ctx::write`](crate::command::Ctx::write)) or [`Ctx::open_write`](crate::command::Ctx::open_write) and
//! the door's [`Door::insert`](crate::command::context::door::Door::insert) for a new key, settled with one change when the document changed (RedisJSON's
//! `ReplicateVerbatim`: the command is propagated as it was sent), then the keyspace event RedisJSON emits
//! (`json.set`, `json.del`, ... in the `d` module class). Reads use the one lookup, [`Ctx::lookup`](crate::command::Ctx::lookup).
//!
//! Files: `read` holds the commands that only read, `write` those that change documents, and this file
//! the shared argument, path and reply helpers and the command table.

#![forbid(unsafe_code)]

mod read;
mod write;

use super::{flag, Command, Group, KeySpec, KeySpecDef, BASE};
use crate::keyspace::object::{Entry, Value};
use crate::keyspace::types::json::path::Query;
use crate::keyspace::types::json::{write_array_formatted, write_compact, write_formatted, Doc, Format, Json};
use crate::resp::reply::Reply;

/// RedisJSON's answer for a key of another type.
const WRONG_TYPE: &str = "Existing key has wrong Redis type";
const NO_KEY: &str = "ERR could not perform this operation on a key that doesn't exist";
const NOT_UTF8: &str = "Couldn't parse as UTF-8 string";
const NOT_INT: &str = "Couldn't parse as integer";

/// A reply under construction (RedisJSON's `RedisValue`), written out by [`emit`].
#[derive(Debug)]
enum Rv {
    Null,
    Int(i64),
    Double(f64),
    Bulk(Vec<u8>),
    Simple(&'static str),
    Bool(bool),
    Array(Vec<Rv>),
    Map(Vec<(Vec<u8>, Rv)>),
}

type Res = Result<Rv, String>;

fn emit(r: &mut Reply, v: &Rv) {
    match v {
        Rv::Null => r.null(),
        Rv::Int(n) => r.int(*n),
        Rv::Double(d) => r.double(*d),
        Rv::Bulk(b) => r.bulk(b),
        Rv::Simple(s) => r.simple(s),
        Rv::Bool(b) => r.boolean(*b),
        Rv::Array(a) => {
            r.array(a.len());
            for x in a {
                emit(r, x);
            }
        }
        Rv::Map(m) => {
            r.map(m.len());
            for (k, x) in m {
                r.bulk(k);
                emit(r, x);
            }
        }
    }
}

fn answer(r: &mut Reply, res: Res) {
    match res {
        Ok(v) => emit(r, &v),
        Err(e) => error(r, &e),
    }
}

/// An error reply in the bytes RedisJSON sends: its `redis-module` crate (2.0.7) writes each character of the
/// text as the low byte of its code point (`é` is the byte E9, `ā` the byte 01), CR, LF and NUL as spaces. A
/// character whose low byte is 0 (`Ā`, most CJK, emoji) makes that crate abort the server; here it is a space too.
fn error(r: &mut Reply, msg: &str) {
    if msg.is_ascii() && !msg.bytes().any(|b| b == 0) {
        return r.error(msg);
    }
    let bytes: Vec<u8> =
        msg.chars().map(|c| if matches!(c as u8, b'\r' | b'\n' | 0) { b' ' } else { c as u8 }).collect();
    r.error_bytes(&bytes);
}

fn utf8(b: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|_| NOT_UTF8.to_string())
}

fn int_arg(b: &[u8]) -> Result<i64, String> {
    crate::util::parse_i64(b).ok_or_else(|| NOT_INT.to_string())
}

/// A path argument as RedisJSON's `Path` keeps it: as written, and rewritten into JSONPath when legacy.
struct PathArg<'a> {
    original: &'a str,
    fixed: String,
    legacy: bool,
}

impl<'a> PathArg<'a> {
    fn new(original: &'a str) -> PathArg<'a> {
        let b = original.as_bytes();
        let jsonpath = b.first() == Some(&b'$') && (b.len() < 2 || b[1] == b'.' || b[1] == b'[');
        let fixed = if jsonpath {
            original.to_string()
        } else if original == "." {
            "$".to_string()
        } else if original.starts_with('.') {
            format!("${original}")
        } else {
            format!("$.{original}")
        };
        PathArg { original, fixed, legacy: !jsonpath }
    }

    fn arg(b: &'a [u8]) -> Result<PathArg<'a>, String> {
        Ok(PathArg::new(utf8(b)?))
    }

    fn is_root(&self) -> bool {
        self.fixed == "$"
    }

    fn compile(&self) -> Result<Query, String> {
        Query::compile(&self.fixed).map_err(|e| e.0)
    }
}

/// The document under a key: `Ok(None)` when there is no key, RedisJSON's error for another type.
fn doc_entry(e: Option<&mut Entry>) -> Result<Option<&mut Doc>, String> {
    match e {
        None => Ok(None),
        Some(e) => match e.value_mut() {
            Some(Value::Json(d)) => Ok(Some(d)),
            _ => Err(WRONG_TYPE.to_string()),
        },
    }
}

/// [`doc_entry`]'s tree, thawed when the document was packed (see `keyspace::types::json::doc`).
fn doc_of(e: Option<&mut Entry>) -> Result<Option<&mut Json>, String> {
    Ok(doc_entry(e)?.map(Doc::tree_mut))
}

/// Compact text of a value (serde_json's `to_string`).
fn text(v: &Json) -> Vec<u8> {
    let mut out = Vec::new();
    write_compact(v, &mut out);
    out
}

/// Text of a list of values as one JSON array, formatted.
fn array_text(vs: &[&Json], f: &Format) -> Vec<u8> {
    let mut out = Vec::new();
    write_array_formatted(vs, f, &mut out);
    out
}

/// `ERR Path '<p>' does not exist`
fn no_path(p: &str) -> String {
    format!("ERR Path '{p}' does not exist")
}

/// `ERR Path '<p>' does not exist or <what>`
fn no_path_or(p: &str, what: &str) -> String {
    format!("ERR Path '{p}' does not exist or {what}")
}

/// `WRONGTYPE wrong type of path value - expected <e> but found <f>`
fn expected(e: &str, found: &str) -> String {
    format!("WRONGTYPE wrong type of path value - expected {e} but found {found}")
}

const JSON: Command = Command { group: Group::Module, since: "", complexity: "", ..BASE };
const ONE: KeySpec = KeySpec { first: 1, last: 1, step: 1 };
/// RedisJSON registers every command with one key spec, "RW access update", whatever the command does.
const SPEC: &[KeySpecDef] = &[KeySpecDef::at(1, "RW access update")];

/// JSON.DEBUG's key comes after its subcommand.
const DEBUG_KEY: KeySpec = KeySpec { first: 2, last: 2, step: 1 };
const DEBUG_SPEC: &[KeySpecDef] = &[KeySpecDef::at(2, "RW access update")];
/// JSON.MSET's keys: every third argument.
const MSET_KEYS: KeySpec = KeySpec { first: 1, last: -1, step: 3 };
const MSET_SPEC: &[KeySpecDef] = &[KeySpecDef::range(1, -1, 3, "RW access update")];

macro_rules! json_cmd {
    ($name:literal, $flags:expr, $handler:expr, $keys:expr, $spec:expr) => {
        Command {
            name: $name,
            arity: -1,
            flags: $flags | flag::MODULE,
            acl: "",
            keys: $keys,
            key_specs: $spec,
            handler: $handler,
            ..JSON
        }
    };
    ($name:literal, $flags:expr, $handler:expr) => {
        Command {
            name: $name,
            arity: -1,
            flags: $flags | flag::MODULE,
            acl: "",
            keys: ONE,
            key_specs: SPEC,
            handler: $handler,
            ..JSON
        }
    };
}

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    json_cmd!("json.del", flag::WRITE, write::del),
    json_cmd!("json.forget", flag::WRITE, write::del),
    json_cmd!("json.get", flag::READONLY, read::get),
    json_cmd!("json.mget", flag::READONLY, read::mget),
    json_cmd!("json.set", flag::WRITE | flag::DENYOOM, write::set),
    json_cmd!("json.mset", flag::WRITE | flag::DENYOOM, write::mset, MSET_KEYS, MSET_SPEC),
    json_cmd!("json.merge", flag::WRITE | flag::DENYOOM, write::merge_handler),
    json_cmd!("json.type", flag::READONLY, read::type_),
    json_cmd!("json.numincrby", flag::WRITE, write::numincrby),
    json_cmd!("json.nummultby", flag::WRITE, write::nummultby),
    json_cmd!("json.numpowby", flag::WRITE, write::numpowby),
    json_cmd!("json.toggle", flag::WRITE | flag::DENYOOM, write::toggle),
    json_cmd!("json.strappend", flag::WRITE | flag::DENYOOM, write::strappend),
    json_cmd!("json.strlen", flag::READONLY, read::strlen),
    json_cmd!("json.arrappend", flag::WRITE | flag::DENYOOM, write::arrappend),
    json_cmd!("json.arrindex", flag::READONLY, read::arrindex),
    json_cmd!("json.arrinsert", flag::WRITE | flag::DENYOOM, write::arrinsert),
    json_cmd!("json.arrlen", flag::READONLY, read::arrlen),
    json_cmd!("json.arrpop", flag::WRITE, write::arrpop),
    json_cmd!("json.arrtrim", flag::WRITE, write::arrtrim),
    json_cmd!("json.objkeys", flag::READONLY, read::objkeys),
    json_cmd!("json.objlen", flag::READONLY, read::objlen),
    json_cmd!("json.clear", flag::WRITE, write::clear),
    json_cmd!("json.debug", flag::READONLY, read::debug, DEBUG_KEY, DEBUG_SPEC),
    json_cmd!("json.resp", flag::READONLY, read::resp),
];
