//! Debug support for the VM: the bytecode check run once per loaded chunk, error messages with variable names
//! (Lua 5.1's `ldebug.c`: `getobjname` by symbolic execution), positions ("chunk:line: "), and stack inspection
//! for `debug.getinfo`/`debug.traceback`-style callers.
//!
//! [`verify`] is what lets the VM index registers and constants without per-instruction range checks failing:
//! every register operand is below `max_stack`, every constant and prototype index exists, every jump lands
//! inside the code, every test instruction is followed by its jump, and an instruction that leaves a variable
//! number of values on the stack is followed by one that consumes them.
//!
//! Tested by the VM's unit tests (error wording) and the `verify` tests below.

use std::rc::Rc;

use super::opcodes::*;
use super::proto::{chunk_id, Proto, VARARG_ISVARARG, VARARG_NEEDSARG};
use super::value::{ErrorKind, LuaError, StrRef, Value};
use super::Lua;

/// Operand kinds, as `lopcodes.c`'s `OpArgMask`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    /// Not used.
    N,
    /// Used, not a register or constant.
    U,
    /// A register.
    R,
    /// A register or a constant (RK), or a constant index for iABx.
    K,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Abc,
    Abx,
    Asbx,
}

/// (test mode, sets A, B kind, C kind, format) per opcode: `luaP_opmodes`.
const MODES: [(bool, bool, Arg, Arg, Mode); NUM_OPCODES] = {
    use Arg::*;
    use Mode::*;
    [
        (false, true, R, N, Abc),   // MOVE
        (false, true, K, N, Abx),   // LOADK
        (false, true, U, U, Abc),   // LOADBOOL
        (false, true, R, N, Abc),   // LOADNIL
        (false, true, U, N, Abc),   // GETUPVAL
        (false, true, K, N, Abx),   // GETGLOBAL
        (false, true, R, K, Abc),   // GETTABLE
        (false, false, K, N, Abx),  // SETGLOBAL
        (false, false, U, N, Abc),  // SETUPVAL
        (false, false, K, K, Abc),  // SETTABLE
        (false, true, U, U, Abc),   // NEWTABLE
        (false, true, R, K, Abc),   // SELF
        (false, true, K, K, Abc),   // ADD
        (false, true, K, K, Abc),   // SUB
        (false, true, K, K, Abc),   // MUL
        (false, true, K, K, Abc),   // DIV
        (false, true, K, K, Abc),   // MOD
        (false, true, K, K, Abc),   // POW
        (false, true, R, N, Abc),   // UNM
        (false, true, R, N, Abc),   // NOT
        (false, true, R, N, Abc),   // LEN
        (false, true, R, R, Abc),   // CONCAT
        (false, false, R, N, Asbx), // JMP
        (true, false, K, K, Abc),   // EQ
        (true, false, K, K, Abc),   // LT
        (true, false, K, K, Abc),   // LE
        (true, true, R, U, Abc),    // TEST
        (true, true, R, U, Abc),    // TESTSET
        (false, true, U, U, Abc),   // CALL
        (false, true, U, U, Abc),   // TAILCALL
        (false, false, U, N, Abc),  // RETURN
        (false, true, R, N, Asbx),  // FORLOOP
        (false, true, R, N, Asbx),  // FORPREP
        (true, false, N, U, Abc),   // TFORLOOP
        (false, false, U, U, Abc),  // SETLIST
        (false, false, N, N, Abc),  // CLOSE
        (false, true, U, N, Abx),   // CLOSURE
        (false, true, U, N, Abc),   // VARARG
    ]
};

fn is_open_consumer(i: Instr) -> bool {
    matches!(Op::from_u8(op(i)), Some(Op::Call | Op::TailCall | Op::Return | Op::SetList)) && arg_b(i) == 0
}

/// Check a prototype (and its nested ones) before the VM runs it (`luaG_checkcode`).
pub fn verify(p: &Proto) -> Result<(), String> {
    let ms = p.max_stack as u32;
    let code = &p.code;
    let n = code.len();
    let fail = |pc: usize, what: &str| Err(format!("{what} at instruction {}", pc + 1));
    if ms > MAX_STACK {
        return fail(0, "stack too large");
    }
    let extra = u32::from(p.is_vararg & VARARG_NEEDSARG != 0);
    if p.num_params as u32 + extra > ms {
        return fail(0, "parameters exceed the stack");
    }
    if !p.line_info.is_empty() && p.line_info.len() != n {
        return fail(0, "line information size");
    }
    if n == 0 || Op::from_u8(op(code[n - 1])) != Some(Op::Return) {
        return fail(n.saturating_sub(1), "missing final RETURN");
    }
    let reg = |r: u32| r < ms;
    let mut pc = 0;
    while pc < n {
        let i = code[pc];
        let Some(o) = Op::from_u8(op(i)) else { return fail(pc, "bad opcode") };
        let (test, _, bm, cm, mode) = MODES[o as usize];
        let (a, b, c) = (arg_a(i), arg_b(i), arg_c(i));
        if o != Op::Jmp && !reg(a) {
            return fail(pc, "register A out of range");
        }
        let check_arg = |x: u32, m: Arg| match m {
            Arg::N | Arg::U => true,
            Arg::R => reg(x),
            Arg::K => {
                if is_k(x) {
                    (index_k(x) as usize) < p.constants.len()
                } else {
                    reg(x)
                }
            }
        };
        match mode {
            Mode::Abc => {
                if !check_arg(b, bm) || !check_arg(c, cm) {
                    return fail(pc, "operand out of range");
                }
            }
            Mode::Abx => {
                if bm == Arg::K && arg_bx(i) as usize >= p.constants.len() {
                    return fail(pc, "constant out of range");
                }
            }
            Mode::Asbx => {
                let dest = pc as i64 + 1 + arg_sbx(i) as i64;
                if dest < 0 || dest >= n as i64 {
                    return fail(pc, "jump out of range");
                }
            }
        }
        if test && (pc + 2 >= n || Op::from_u8(op(code[pc + 1])) != Some(Op::Jmp)) {
            return fail(pc, "test without jump");
        }
        let open_next = |pc: usize| pc + 1 < n && is_open_consumer(code[pc + 1]);
        match o {
            Op::LoadBool if c != 0 && pc + 2 >= n => return fail(pc, "LOADBOOL skip out of range"),
            Op::LoadNil if !reg(b) => return fail(pc, "LOADNIL range"),
            Op::GetUpval | Op::SetUpval if b >= p.num_upvalues as u32 => return fail(pc, "upvalue out of range"),
            Op::SelfOp if !reg(a + 1) => return fail(pc, "SELF range"),
            Op::Concat if b >= c => return fail(pc, "CONCAT operands"),
            Op::TForLoop if c < 1 || !reg(a + 2 + c) => return fail(pc, "TFORLOOP range"),
            Op::ForLoop | Op::ForPrep if !reg(a + 3) => return fail(pc, "numeric for range"),
            Op::Call | Op::TailCall => {
                if b != 0 && !reg(a + b - 1) {
                    return fail(pc, "call arguments out of range");
                }
                if c == 0 {
                    if !open_next(pc) {
                        return fail(pc, "open call not consumed");
                    }
                } else if c > 1 && !reg(a + c - 2) {
                    return fail(pc, "call results out of range");
                }
            }
            Op::Return if b > 1 && !reg(a + b - 2) => return fail(pc, "RETURN range"),
            Op::SetList => {
                if b > 0 && !reg(a + b) {
                    return fail(pc, "SETLIST range");
                }
                if c == 0 {
                    pc += 1;
                    if pc >= n - 1 {
                        return fail(pc, "SETLIST count missing");
                    }
                }
            }
            Op::Closure => {
                let Some(sub) = p.protos.get(arg_bx(i) as usize) else { return fail(pc, "CLOSURE prototype") };
                let nup = sub.num_upvalues as usize;
                if pc + nup >= n {
                    return fail(pc, "CLOSURE upvalues");
                }
                for j in 1..=nup {
                    let u = code[pc + j];
                    let ok = match Op::from_u8(op(u)) {
                        Some(Op::GetUpval) => arg_b(u) < p.num_upvalues as u32,
                        Some(Op::Move) => reg(arg_b(u)),
                        _ => false,
                    };
                    if !ok {
                        return fail(pc + j, "CLOSURE upvalue");
                    }
                }
                pc += nup;
            }
            Op::VarArg => {
                if p.is_vararg & VARARG_ISVARARG == 0 {
                    return fail(pc, "VARARG outside a vararg function");
                }
                if b == 0 {
                    if !open_next(pc) {
                        return fail(pc, "open VARARG not consumed");
                    }
                } else if b > 1 && !reg(a + b - 2) {
                    return fail(pc, "VARARG range");
                }
            }
            _ => {}
        }
        pc += 1;
    }
    for sub in &p.protos {
        verify(sub)?;
    }
    Ok(())
}

/// `symbexec` in tracing mode: the last instruction before `lastpc` that changed register `reg`.
fn symbexec(p: &Proto, lastpc: usize, reg: u32) -> Option<Instr> {
    let code = &p.code;
    let mut last = code.len().checked_sub(1)?;
    let mut pc = 0;
    while pc < lastpc && pc < code.len() {
        let i = code[pc];
        let o = Op::from_u8(op(i))?;
        let (a, b, c) = (arg_a(i), arg_b(i), arg_c(i));
        if MODES[o as usize].1 && a == reg {
            last = pc;
        }
        match o {
            Op::LoadNil if a <= reg && reg <= b => last = pc,
            Op::SelfOp if reg == a + 1 => last = pc,
            Op::TForLoop if reg >= a + 2 => last = pc,
            Op::ForLoop | Op::ForPrep | Op::Jmp => {
                let dest = pc as i64 + 1 + arg_sbx(i) as i64;
                if (pc as i64) < dest && dest <= lastpc as i64 {
                    pc = (pc as i64 + arg_sbx(i) as i64) as usize;
                }
            }
            Op::Call | Op::TailCall if reg >= a => last = pc,
            Op::SetList if c == 0 => pc += 1,
            Op::Closure => {
                if let Some(sub) = p.protos.get(arg_bx(i) as usize) {
                    pc += sub.num_upvalues as usize;
                }
            }
            _ => {}
        }
        pc += 1;
    }
    code.get(last).copied()
}

/// Position and name information about one active function (`lua_Debug`).
#[derive(Clone, Debug)]
pub struct FrameInfo {
    /// "Lua", "C" or "main".
    pub what: &'static str,
    /// The chunk name as loaded ("@user_script"), "=\[C\]" for natives.
    pub source: String,
    /// `luaO_chunkid` of the source.
    pub short_src: String,
    /// Current line, -1 for natives.
    pub current_line: i64,
    pub line_defined: i64,
    /// ("global" | "local" | "method" | "field" | "upvalue", name) from the calling instruction, if known.
    pub name: Option<(&'static str, String)>,
    /// The native's registered name (natives only).
    pub native_name: Option<&'static str>,
    /// Whether the frame replaced others by tail calls.
    pub tailcalls: u32,
}

impl Lua {
    /// The prototype of frame `idx`, when it is a Lua frame.
    pub(crate) fn frame_proto(&self, idx: usize) -> Option<Rc<Proto>> {
        let f = self.frames.get(idx)?;
        if !f.is_lua {
            return None;
        }
        match self.stack.get(f.func)? {
            Value::Func(fr) => match self.heap.func(*fr) {
                super::heap::Function::Lua(c) => Some(c.proto.clone()),
                super::heap::Function::Native(_) => None,
            },
            _ => None,
        }
    }

    /// (chunk id, current line) of frame `idx` when it is a Lua frame.
    pub(crate) fn frame_position(&self, idx: usize) -> Option<(String, u32)> {
        let p = self.frame_proto(idx)?;
        let pc = self.frames[idx].pc.saturating_sub(1);
        Some((chunk_id(&p.source), p.line_at(pc)))
    }

    /// A runtime error raised by the VM itself: "chunk:line: msg" when the running function is a Lua function
    /// (`luaG_runerror`'s `addinfo`), the bare message otherwise.
    pub(crate) fn vm_error(&mut self, msg: &str) -> LuaError {
        let text = match self.frames.len().checked_sub(1).and_then(|i| self.frame_position(i)) {
            Some((src, line)) => format!("{src}:{line}: {msg}"),
            None => msg.to_string(),
        };
        let v = self.new_str(text.as_bytes());
        LuaError::new(ErrorKind::Runtime, v)
    }

    /// `getobjname`: what register `reg` of frame `idx` holds, by name.
    pub(crate) fn obj_name(&self, idx: usize, reg: usize) -> Option<(&'static str, String)> {
        let p = self.frame_proto(idx)?;
        let pc = self.frames[idx].pc.saturating_sub(1);
        let text = |s| String::from_utf8_lossy(self.heap.str(s)).into_owned();
        if let Some(n) = p.local_name(reg as u32 + 1, pc as u32) {
            return Some(("local", text(n)));
        }
        let i = symbexec(&p, pc, reg as u32)?;
        let kname = |c: u32| -> String {
            if is_k(c) {
                if let Some(Value::Str(s)) = p.constants.get(index_k(c) as usize) {
                    return text(*s);
                }
            }
            "?".to_string()
        };
        match Op::from_u8(op(i))? {
            Op::GetGlobal => match p.constants.get(arg_bx(i) as usize) {
                Some(Value::Str(s)) => Some(("global", text(*s))),
                _ => None,
            },
            Op::Move => {
                let (a, b) = (arg_a(i), arg_b(i));
                if b < a {
                    self.obj_name(idx, b as usize)
                } else {
                    None
                }
            }
            Op::GetTable => Some(("field", kname(arg_c(i)))),
            Op::GetUpval => {
                let name = p.upvalue_names.get(arg_b(i) as usize).map(|s| text(*s)).unwrap_or_else(|| "?".into());
                Some(("upvalue", name))
            }
            Op::SelfOp => Some(("method", kname(arg_c(i)))),
            _ => None,
        }
    }

    /// `luaG_typeerror`: "attempt to OP KIND 'NAME' (a TYPE value)" when `src` names a register of the running
    /// Lua function, else "attempt to OP a TYPE value".
    pub(crate) fn op_type_error(&mut self, v: Value, src: Option<usize>, op: &str) -> LuaError {
        let t = v.type_name();
        let top = self.frames.len().checked_sub(1);
        let named = match (top, src) {
            (Some(fi), Some(r)) if self.frames[fi].is_lua => self.obj_name(fi, r),
            _ => None,
        };
        match named {
            Some((kind, name)) => self.vm_error(&format!("attempt to {op} {kind} '{name}' (a {t} value)")),
            None => self.vm_error(&format!("attempt to {op} a {t} value")),
        }
    }

    /// `luaG_ordererror` (including its quirk of comparing the third letters of the type names).
    pub(crate) fn order_error(&mut self, a: Value, b: Value) -> LuaError {
        let (t1, t2) = (a.type_name(), b.type_name());
        if t1.as_bytes()[2] == t2.as_bytes()[2] {
            self.vm_error(&format!("attempt to compare two {t1} values"))
        } else {
            self.vm_error(&format!("attempt to compare {t1} with {t2}"))
        }
    }

    /// Information about the function `level` levels up (0 = the running function), as `lua_getstack` +
    /// `lua_getinfo`. `None` past the outermost frame.
    pub fn frame_info(&self, level: usize) -> Option<FrameInfo> {
        let n = self.frames.len();
        if level >= n {
            return None;
        }
        let idx = n - 1 - level;
        let fr = &self.frames[idx];
        // The name comes from the instruction that called this frame, in the caller (`getfuncname`).
        let name = if fr.tailcalls == 0 && idx > 0 && self.frames[idx - 1].is_lua {
            let caller = idx - 1;
            self.frame_proto(caller).and_then(|p| {
                let pc = self.frames[caller].pc.saturating_sub(1);
                let i = *p.code.get(pc)?;
                match Op::from_u8(op(i))? {
                    Op::Call | Op::TailCall | Op::TForLoop => self.obj_name(caller, arg_a(i) as usize),
                    _ => None,
                }
            })
        } else {
            None
        };
        match self.frame_proto(idx) {
            Some(p) => {
                let pc = fr.pc.saturating_sub(1);
                Some(FrameInfo {
                    what: if p.line_defined == 0 { "main" } else { "Lua" },
                    source: p.source.to_string(),
                    short_src: chunk_id(&p.source),
                    current_line: p.line_at(pc) as i64,
                    line_defined: p.line_defined as i64,
                    name,
                    native_name: None,
                    tailcalls: fr.tailcalls,
                })
            }
            None => {
                let native_name = match self.stack.get(fr.func) {
                    Some(Value::Func(f)) => match self.heap.func(*f) {
                        super::heap::Function::Native(c) => Some(c.name),
                        super::heap::Function::Lua(_) => None,
                    },
                    _ => None,
                };
                Some(FrameInfo {
                    what: "C",
                    source: "=[C]".to_string(),
                    short_src: "[C]".to_string(),
                    current_line: -1,
                    line_defined: -1,
                    name,
                    native_name,
                    tailcalls: fr.tailcalls,
                })
            }
        }
    }

    /// The named locals active in the function `level` levels up (0 = the running function), in order, with their
    /// values: `lua_getlocal` for n = 1, 2... without the unnamed temporaries. Empty for a native function, `None`
    /// past the outermost frame.
    pub fn frame_locals(&self, level: usize) -> Option<Vec<(StrRef, Value)>> {
        let idx = self.frames.len().checked_sub(level + 1)?;
        let Some(p) = self.frame_proto(idx) else { return Some(Vec::new()) };
        let fr = &self.frames[idx];
        let pc = fr.pc.saturating_sub(1) as u32;
        let mut out = Vec::new();
        let mut n = 1;
        while let Some(name) = p.local_name(n, pc) {
            out.push((name, self.stack.get(fr.base + n as usize - 1).copied().unwrap_or(Value::Nil)));
            n += 1;
        }
        Some(out)
    }

    /// `luaL_argerror`'s message: the function is named from its call site ("?" when it has no name there, as
    /// for a function called by `pcall`), and a method call does not count `self`.
    pub fn arg_error_text(&self, narg: usize, msg: &str) -> String {
        let Some(fi) = self.frame_info(0) else { return format!("bad argument #{narg} ({msg})") };
        let mut narg = narg;
        if let Some(("method", name)) = fi.name.as_ref().map(|(k, n)| (*k, n)) {
            narg -= 1;
            if narg == 0 {
                return format!("calling '{name}' on bad self ({msg})");
            }
        }
        let name = fi.name.map(|(_, n)| n).unwrap_or_else(|| "?".to_string());
        format!("bad argument #{narg} to '{name}' ({msg})")
    }

    /// `debug.traceback`'s text from `level` up: "stack traceback:\n\tchunk:line: in function 'f'"...
    pub fn traceback(&self, level: usize) -> String {
        let mut out = String::from("stack traceback:");
        let mut lv = level;
        while let Some(fi) = self.frame_info(lv) {
            out.push_str("\n\t");
            out.push_str(&fi.short_src);
            out.push(':');
            if fi.current_line > 0 {
                out.push_str(&format!("{}:", fi.current_line));
            }
            match (&fi.name, fi.what) {
                (Some((_, n)), _) => out.push_str(&format!(" in function '{n}'")),
                (None, "main") => out.push_str(" in main chunk"),
                (None, "C") => match fi.native_name {
                    Some(n) => out.push_str(&format!(" in function '{n}'")),
                    None => out.push_str(" ?"),
                },
                (None, _) => out.push_str(&format!(" in function <{}:{}>", fi.short_src, fi.line_defined)),
            }
            if fi.tailcalls > 0 {
                out.push_str("\n\t(tail call): ?");
            }
            lv += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto(code: Vec<Instr>, max_stack: u8) -> Proto {
        Proto { line_info: vec![1; code.len()], code, max_stack, source: "=t".into(), ..Default::default() }
    }

    #[test]
    fn verify_accepts_simple_code_and_rejects_bad_operands() {
        let ok = proto(vec![create_abx(Op::LoadK, 0, 0), create_abc(Op::Return, 0, 2, 0)], 2);
        let mut ok = ok;
        ok.constants.push(Value::Num(1.0));
        assert!(verify(&ok).is_ok());
        // Register out of range.
        let bad = proto(vec![create_abc(Op::Move, 5, 0, 0), create_abc(Op::Return, 0, 1, 0)], 2);
        assert!(verify(&bad).is_err());
        // Constant out of range.
        let bad = proto(vec![create_abx(Op::LoadK, 0, 3), create_abc(Op::Return, 0, 1, 0)], 2);
        assert!(verify(&bad).is_err());
        // Jump out of range.
        let bad = proto(vec![create_asbx(Op::Jmp, 0, 5), create_abc(Op::Return, 0, 1, 0)], 2);
        assert!(verify(&bad).is_err());
        // Missing final return.
        let bad = proto(vec![create_abc(Op::Move, 0, 1, 0)], 2);
        assert!(verify(&bad).is_err());
        // An open call must be consumed.
        let bad = proto(
            vec![create_abc(Op::Call, 0, 1, 0), create_abc(Op::Move, 1, 0, 0), create_abc(Op::Return, 0, 1, 0)],
            2,
        );
        assert!(verify(&bad).is_err());
    }
}
