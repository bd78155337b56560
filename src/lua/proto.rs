//! Function prototypes: what the compiler produces and the VM runs.
//!
//! A [`Proto`] is immutable once compiled and shared (`Rc`) by every closure made from it. Its constants are
//! [`Value`]s (nil, booleans, numbers, interned strings), so the collector marks them through the closures that
//! reference the prototype (see `heap.rs`).

use std::rc::Rc;

use super::opcodes::Instr;
use super::value::{StrRef, Value};

/// `is_vararg` bits, as Lua 5.1's `VARARG_*`.
pub const VARARG_HASARG: u8 = 1;
pub const VARARG_ISVARARG: u8 = 2;
pub const VARARG_NEEDSARG: u8 = 4;

/// A local variable's name and the instruction range where it is active (for error messages such as
/// "attempt to index local 't' (a nil value)").
#[derive(Clone, Debug)]
pub struct LocVar {
    pub name: StrRef,
    /// First instruction where the variable is active.
    pub start_pc: u32,
    /// First instruction where it is dead.
    pub end_pc: u32,
}

#[derive(Debug, Default)]
pub struct Proto {
    pub code: Vec<Instr>,
    /// Source line of each instruction (same length as `code`).
    pub line_info: Vec<u32>,
    /// Constants: only `Nil`, `Bool`, `Num` and `Str` appear here.
    pub constants: Vec<Value>,
    /// Nested functions, indexed by CLOSURE's Bx.
    pub protos: Vec<Rc<Proto>>,
    pub loc_vars: Vec<LocVar>,
    /// Names of the upvalues, in order (for error messages and debug).
    pub upvalue_names: Vec<StrRef>,
    /// The chunk name as given to `load` (for example `@user_script` or `=stdin`).
    pub source: Rc<str>,
    pub line_defined: u32,
    pub last_line_defined: u32,
    pub num_upvalues: u8,
    pub num_params: u8,
    /// `VARARG_*` bits.
    pub is_vararg: u8,
    /// Registers the function needs (`maxstacksize`).
    pub max_stack: u8,
}

impl Proto {
    /// Source line of instruction `pc`, 0 when unknown.
    pub fn line_at(&self, pc: usize) -> u32 {
        self.line_info.get(pc).copied().unwrap_or(0)
    }

    /// Name of the `n`-th (1-based) local active at `pc` (`luaF_getlocalname`).
    pub fn local_name(&self, mut n: u32, pc: u32) -> Option<StrRef> {
        for lv in &self.loc_vars {
            if lv.start_pc > pc {
                break;
            }
            if pc < lv.end_pc {
                n -= 1;
                if n == 0 {
                    return Some(lv.name);
                }
            }
        }
        None
    }
}

/// `luaO_chunkid`: how a chunk name is shown in messages. `=name` is shown as is, `@file` as the file name,
/// anything else (a source string) as `[string "first line..."]`. `max` is LUA_IDSIZE (60).
pub fn chunk_id(source: &str) -> String {
    chunk_id_sized(source, 60)
}

/// [`chunk_id`] with another buffer size: the lexer's syntax errors use `MAXSRC` (80), runtime errors `LUA_IDSIZE`
/// (60).
pub fn chunk_id_sized(source: &str, idsize: usize) -> String {
    let id_size = idsize.max(20);
    let src = source.as_bytes();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if let Some(rest) = src.strip_prefix(b"=") {
        text(&rest[..rest.len().min(id_size - 1)])
    } else if let Some(rest) = src.strip_prefix(b"@") {
        let budget = id_size - " '...' ".len() - 1;
        if rest.len() > budget {
            format!("...{}", text(&rest[rest.len() - budget..]))
        } else {
            text(rest)
        }
    } else {
        let budget = id_size - " [string \"...\"] ".len() - 1;
        let line = src.iter().position(|&c| c == b'\n' || c == b'\r').unwrap_or(src.len());
        let len = line.min(budget);
        if len < src.len() {
            format!("[string \"{}...\"]", text(&src[..len]))
        } else {
            format!("[string \"{}\"]", text(src))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{chunk_id, chunk_id_sized};

    #[test]
    fn chunk_ids_match_lua() {
        assert_eq!(chunk_id("@user_script"), "user_script");
        assert_eq!(chunk_id("=stdin"), "stdin");
        assert_eq!(chunk_id("return 1"), "[string \"return 1\"]");
        assert_eq!(chunk_id("x=1\ny=2"), "[string \"x=1...\"]");
        let long = "x = = 1 -- a comment that is long enough to go past sixty characters for sure, really";
        assert_eq!(
            chunk_id_sized(long, 80),
            "[string \"x = = 1 -- a comment that is long enough to go past sixty chara...\"]"
        );
        assert_eq!(chunk_id(long), "[string \"x = = 1 -- a comment that is long enough to...\"]");
    }
}
