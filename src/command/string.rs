//! String commands (Redis `t_string.c`).

use super::{flag, Args, Command, Ctx, Group, BASE, ONE_KEY};
use crate::object::StrRef;

pub static COMMANDS: &[Command] = &[Command {
    name: "get",
    arity: 2,
    flags: flag::READONLY | flag::FAST,
    acl: "read string fast",
    keys: ONE_KEY,
    group: Group::String,
    summary: "Get the value of a key",
    syntax: "key",
    handler: get,
    ..BASE
}];

/// GET key
fn get(ctx: &mut Ctx, args: Args) {
    let (e, r) = ctx.read_reply(&args[1]);
    match e {
        None => r.null(),
        Some(e) => match e.as_str() {
            Some(StrRef::Bytes(b)) => r.bulk(b),
            Some(StrRef::Int(n)) => r.bulk_int(n),
            None => r.err_wrongtype(),
        },
    }
}
