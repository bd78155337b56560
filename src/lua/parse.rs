//! The Lua 5.1 parser (a port of `lparser.c`): a single-pass recursive-descent compiler from tokens to a
//! [`Proto`], generating code through `code.rs` as it reads.
//!
//! Entry point: [`compile`]. The result is bit-for-bit the bytecode `luac5.1` produces for the same source:
//! the same instructions, constants in the same order, the same `max_stack`, line info, local variable ranges
//! and upvalue names. Errors are the reference's messages word for word ("user_script:1: '=' expected near
//! 'x'").
//!
//! Bounds (every one is an error, never a crash):
//! - Recursion: every recursive path goes through `enter_level` (a statement list or a subexpression), which
//!   fails with "chunk has too many syntax levels" past `LUAI_MAXCCALLS` (200), so deeply nested input such as
//!   100000 `(` cannot exhaust the Rust stack. Multiple assignment, recursive in C, is a loop here.
//! - Locals per function (200), upvalues per function (60), registers (250), constants (2^18 - 1), local
//!   variable records (32767): the messages of `lparser.c`/`lcode.c`/`lmem.c`.
//!
//! Tested by the unit tests below and `tests/scripting/lua_compile.rs`, which compares listings instruction by
//! instruction with `luac5.1 -l -l` and error messages with `luac5.1 -p`; the `lua_compile` fuzz target feeds
//! it arbitrary bytes.

use std::rc::Rc;

use super::code::{BinOpr, BlockCnt, ExpDesc, ExpKind, FuncState, UnOpr, UpvalDesc, MULTRET, NO_JUMP, R};
use super::heap::Heap;
use super::lex::{token2str, Lexer, Tok};
use super::opcodes::{int2fb, Op, FIELDS_PER_FLUSH};
use super::proto::{LocVar, Proto, VARARG_HASARG, VARARG_ISVARARG, VARARG_NEEDSARG};
use super::value::StrRef;

/// `LUAI_MAXCCALLS`: the syntactic nesting limit.
pub const MAX_LEVELS: u32 = 200;
/// `LUAI_MAXVARS`: active locals per function.
pub const MAX_VARS: i32 = 200;
/// `LUAI_MAXUPVALUES`.
pub const MAX_UPVALUES: usize = 60;
/// The most local variable records a function may have (`SHRT_MAX`, the limit of `luaM_growvector`).
const MAX_LOCVARS: usize = i16::MAX as usize;
/// The most nested functions a function may have (`MAXARG_Bx`).
const MAX_PROTOS: usize = super::opcodes::MAXARG_BX as usize;
/// Unary operators bind tighter than every binary operator but `^`.
const UNARY_PRIORITY: u32 = 8;

/// Compile `source` into the prototype of its main function. `chunkname` is the name as given to `load`
/// (`@user_script`, `=stdin`, or the source itself); messages show it through [`super::proto::chunk_id`].
/// Strings (constants, local and upvalue names) are interned in `heap`.
pub fn compile(heap: &mut Heap, source: &[u8], chunkname: &str) -> Result<Proto, String> {
    compile_at_level(heap, source, chunkname, 0)
}

/// [`compile`] with `levels` syntax levels already in use. Lua counts nested C calls and syntax levels in
/// one counter, so the nesting a chunk may use depends on the caller: Redis compiles scripts with no C call
/// active (0), the `luac` and `lua` programs from inside one (1).
pub fn compile_at_level(heap: &mut Heap, source: &[u8], chunkname: &str, levels: u32) -> Result<Proto, String> {
    let source_name: Rc<str> = Rc::from(chunkname);
    let mut p = Parser {
        lex: Lexer::new(heap, source, chunkname),
        fs: FuncState::new(source_name.clone()),
        outer: Vec::new(),
        level: levels,
        source_name,
    };
    p.fs.f.is_vararg = VARARG_ISVARARG; // the main function is always vararg
    p.lex.next_token()?;
    p.chunk()?;
    p.check(Tok::Eos)?;
    let (f, _) = p.close_func()?;
    Ok(f)
}

/// Parser state: the lexer, the function being compiled and the functions enclosing it.
pub struct Parser<'a> {
    pub(super) lex: Lexer<'a>,
    pub(super) fs: FuncState,
    /// Enclosing functions, outermost first.
    pub(super) outer: Vec<FuncState>,
    /// Syntax levels in use (`nCcalls`).
    level: u32,
    source_name: Rc<str>,
}

/// Constructor state ([`ConsControl`]).
struct ConsControl {
    /// Last list item read.
    v: ExpDesc,
    /// Register of the table.
    t: i32,
    /// Record (hash) items.
    nh: i32,
    /// Array items.
    na: i32,
    /// Array items not yet stored.
    tostore: i32,
}

fn block_follow(t: Tok) -> bool {
    matches!(t, Tok::Else | Tok::Elseif | Tok::End | Tok::Until | Tok::Eos)
}

impl<'a> Parser<'a> {
    // ---- token helpers ----

    fn error_expected(&self, t: Tok) -> String {
        self.lex.syntax_error(&format!("'{}' expected", token2str(t)))
    }

    /// `errorlimit`: "main function has more than 200 local variables".
    fn error_limit(&self, line_defined: u32, limit: usize, what: &str) -> String {
        let msg = if line_defined == 0 {
            format!("main function has more than {limit} {what}")
        } else {
            format!("function at line {line_defined} has more than {limit} {what}")
        };
        self.lex.lex_error(&msg, None)
    }

    fn test_next(&mut self, t: Tok) -> R<bool> {
        if self.lex.t.tok == t {
            self.lex.next_token()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn check(&self, t: Tok) -> R<()> {
        if self.lex.t.tok != t {
            return Err(self.error_expected(t));
        }
        Ok(())
    }

    fn check_next(&mut self, t: Tok) -> R<()> {
        self.check(t)?;
        self.lex.next_token()
    }

    fn check_match(&mut self, what: Tok, who: Tok, where_: u32) -> R<()> {
        if !self.test_next(what)? {
            if where_ == self.lex.line {
                return Err(self.error_expected(what));
            }
            return Err(self.lex.syntax_error(&format!(
                "'{}' expected (to close '{}' at line {})",
                token2str(what),
                token2str(who),
                where_
            )));
        }
        Ok(())
    }

    fn str_checkname(&mut self) -> R<StrRef> {
        self.check(Tok::Name)?;
        let s = self.lex.t.s;
        self.lex.next_token()?;
        Ok(s)
    }

    fn code_string(&mut self, s: StrRef) -> R<ExpDesc> {
        Ok(ExpDesc::new(ExpKind::K, self.string_k(s)?))
    }

    fn checkname(&mut self) -> R<ExpDesc> {
        let s = self.str_checkname()?;
        self.code_string(s)
    }

    fn enter_level(&mut self) -> R<()> {
        self.level = self.level.saturating_add(1);
        if self.level > MAX_LEVELS {
            return Err(self.lex.lex_error("chunk has too many syntax levels", None));
        }
        Ok(())
    }

    fn leave_level(&mut self) {
        self.level = self.level.saturating_sub(1);
    }

    // ---- variables ----

    fn register_local_var(&mut self, name: StrRef) -> R<u32> {
        let n = self.fs.f.loc_vars.len();
        if n >= MAX_LOCVARS {
            return Err("too many local variables".to_string());
        }
        self.fs.f.loc_vars.push(LocVar { name, start_pc: 0, end_pc: 0 });
        Ok(n as u32)
    }

    /// `new_localvar`: declare local `n` (0-based among those being declared) without activating it.
    fn new_localvar(&mut self, name: StrRef, n: i32) -> R<()> {
        if self.fs.nactvar + n + 1 > MAX_VARS {
            return Err(self.error_limit(self.fs.f.line_defined, MAX_VARS as usize, "local variables"));
        }
        let idx = self.register_local_var(name)?;
        let slot = (self.fs.nactvar + n) as usize;
        if self.fs.actvar.len() <= slot {
            self.fs.actvar.resize(slot + 1, 0);
        }
        self.fs.actvar[slot] = idx;
        Ok(())
    }

    fn new_localvar_literal(&mut self, name: &str, n: i32) -> R<()> {
        let s = self.lex.heap.intern(name.as_bytes());
        self.new_localvar(s, n)
    }

    fn loc_var_mut(&mut self, i: i32) -> Option<&mut LocVar> {
        let idx = *self.fs.actvar.get(i as usize)?;
        self.fs.f.loc_vars.get_mut(idx as usize)
    }

    /// `adjustlocalvars`: activate the last `nvars` declared locals.
    fn adjust_local_vars(&mut self, nvars: i32) {
        self.fs.nactvar += nvars;
        let pc = self.fs.pc() as u32;
        for i in self.fs.nactvar - nvars..self.fs.nactvar {
            if let Some(lv) = self.loc_var_mut(i) {
                lv.start_pc = pc;
            }
        }
    }

    fn remove_vars(&mut self, tolevel: i32) {
        let pc = self.fs.pc() as u32;
        while self.fs.nactvar > tolevel {
            self.fs.nactvar -= 1;
            let i = self.fs.nactvar;
            if let Some(lv) = self.loc_var_mut(i) {
                lv.end_pc = pc;
            }
        }
    }

    /// `singlevar`: resolve a name to a local, an upvalue (registering it in every function between its
    /// definition and here) or a global.
    fn singlevar(&mut self) -> R<ExpDesc> {
        let name = self.str_checkname()?;
        if let Some(v) = search_var(&self.fs, name) {
            return Ok(ExpDesc::new(ExpKind::Local, v));
        }
        // Find the innermost enclosing function where `name` is a local.
        let mut found = None;
        for lvl in (0..self.outer.len()).rev() {
            if let Some(v) = search_var(&self.outer[lvl], name) {
                found = Some((lvl, v));
                break;
            }
        }
        let Some((lvl, v)) = found else {
            let k = self.string_k(name)?;
            return Ok(ExpDesc::new(ExpKind::Global, k));
        };
        mark_upval(&mut self.outer[lvl], v);
        // Thread the upvalue through every function from the one inside `lvl` down to the current one.
        let mut desc = UpvalDesc { in_stack: true, info: v };
        for l in lvl + 1..self.outer.len() {
            let idx = self.index_upvalue(Some(l), name, desc)?;
            desc = UpvalDesc { in_stack: false, info: idx };
        }
        let idx = self.index_upvalue(None, name, desc)?;
        Ok(ExpDesc::new(ExpKind::Upval, idx))
    }

    /// `indexupvalue` in `outer[lvl]` (or the current function for `None`).
    fn index_upvalue(&mut self, lvl: Option<usize>, name: StrRef, desc: UpvalDesc) -> R<i32> {
        let fs = match lvl {
            Some(l) => match self.outer.get_mut(l) {
                Some(fs) => fs,
                None => return Err("internal error: bad function level".to_string()),
            },
            None => &mut self.fs,
        };
        if let Some(i) = fs.upvalues.iter().position(|u| *u == desc) {
            return Ok(i as i32);
        }
        if fs.upvalues.len() + 1 > MAX_UPVALUES {
            let line = fs.f.line_defined;
            return Err(self.error_limit(line, MAX_UPVALUES, "upvalues"));
        }
        fs.upvalues.push(desc);
        fs.f.upvalue_names.push(name);
        Ok(fs.upvalues.len() as i32 - 1)
    }

    // ---- blocks and functions ----

    fn enter_block(&mut self, isbreakable: bool) {
        let nactvar = self.fs.nactvar;
        self.fs.blocks.push(BlockCnt { breaklist: NO_JUMP, nactvar, upval: false, isbreakable });
    }

    fn leave_block(&mut self) -> R<()> {
        let Some(bl) = self.fs.blocks.pop() else { return Ok(()) };
        self.remove_vars(bl.nactvar);
        if bl.upval {
            self.code_abc(Op::Close, bl.nactvar, 0, 0)?;
        }
        self.fs.freereg = self.fs.nactvar;
        self.patch_to_here(bl.breaklist)
    }

    fn open_func(&mut self) {
        let new = FuncState::new(self.source_name.clone());
        let old = std::mem::replace(&mut self.fs, new);
        self.outer.push(old);
    }

    /// `close_func`: finish the current function and return to the enclosing one.
    fn close_func(&mut self) -> R<(Proto, Vec<UpvalDesc>)> {
        self.remove_vars(0);
        self.ret(0, 0)?;
        let parent = self.outer.pop();
        let done = match parent {
            Some(p) => std::mem::replace(&mut self.fs, p),
            None => std::mem::replace(&mut self.fs, FuncState::new(self.source_name.clone())),
        };
        let mut f = done.f;
        f.num_upvalues = done.upvalues.len() as u8;
        f.code.shrink_to_fit();
        f.line_info.shrink_to_fit();
        f.constants.shrink_to_fit();
        Ok((f, done.upvalues))
    }

    fn push_closure(&mut self, f: Proto, upvals: Vec<UpvalDesc>) -> R<ExpDesc> {
        if self.fs.f.protos.len() >= MAX_PROTOS {
            return Err("constant table overflow".to_string());
        }
        self.fs.f.protos.push(Rc::new(f));
        let np = self.fs.f.protos.len() as i32;
        let e = ExpDesc::new(ExpKind::Relocable, self.code_abx(Op::Closure, 0, np - 1)?);
        for u in upvals {
            let o = if u.in_stack { Op::Move } else { Op::GetUpval };
            self.code_abc(o, 0, u.info, 0)?;
        }
        Ok(e)
    }

    // ---- rules ----

    fn field(&mut self, v: &mut ExpDesc) -> R<()> {
        self.exp2anyreg(v)?;
        self.lex.next_token()?; // skip the dot or colon
        let mut key = self.checkname()?;
        self.indexed(v, &mut key)
    }

    fn yindex(&mut self) -> R<ExpDesc> {
        self.lex.next_token()?; // skip '['
        let mut v = self.expr()?;
        self.exp2val(&mut v)?;
        self.check_next(Tok::Char(b']'))?;
        Ok(v)
    }

    fn recfield(&mut self, cc: &mut ConsControl) -> R<()> {
        let reg = self.fs.freereg;
        let mut key = if self.lex.t.tok == Tok::Name { self.checkname()? } else { self.yindex()? };
        cc.nh += 1;
        self.check_next(Tok::Char(b'='))?;
        let rkkey = self.exp2rk(&mut key)?;
        let mut val = self.expr()?;
        let rkval = self.exp2rk(&mut val)?;
        self.code_abc(Op::SetTable, cc.t, rkkey, rkval)?;
        self.fs.freereg = reg;
        Ok(())
    }

    fn close_list_field(&mut self, cc: &mut ConsControl) -> R<()> {
        if cc.v.k == ExpKind::Void {
            return Ok(());
        }
        self.exp2nextreg(&mut cc.v)?;
        cc.v.k = ExpKind::Void;
        if cc.tostore == FIELDS_PER_FLUSH as i32 {
            self.set_list(cc.t, cc.na, cc.tostore)?;
            cc.tostore = 0;
        }
        Ok(())
    }

    fn last_list_field(&mut self, cc: &mut ConsControl) -> R<()> {
        if cc.tostore == 0 {
            return Ok(());
        }
        if cc.v.has_multret() {
            self.set_multret(&cc.v)?;
            self.set_list(cc.t, cc.na, MULTRET)?;
            cc.na -= 1; // the open item's count is unknown
        } else {
            if cc.v.k != ExpKind::Void {
                self.exp2nextreg(&mut cc.v)?;
            }
            self.set_list(cc.t, cc.na, cc.tostore)?;
        }
        Ok(())
    }

    fn list_field(&mut self, cc: &mut ConsControl) -> R<()> {
        cc.v = self.expr()?;
        if cc.na == i32::MAX {
            return Err(self.error_limit(self.fs.f.line_defined, i32::MAX as usize, "items in a constructor"));
        }
        cc.na += 1;
        cc.tostore += 1;
        Ok(())
    }

    fn constructor(&mut self) -> R<ExpDesc> {
        let line = self.lex.line;
        let pc = self.code_abc(Op::NewTable, 0, 0, 0)?;
        let mut t = ExpDesc::new(ExpKind::Relocable, pc);
        self.exp2nextreg(&mut t)?; // fix it at the stack top
        let mut cc = ConsControl { v: ExpDesc::void(), t: t.info, nh: 0, na: 0, tostore: 0 };
        self.check_next(Tok::Char(b'{'))?;
        loop {
            if self.lex.t.tok == Tok::Char(b'}') {
                break;
            }
            self.close_list_field(&mut cc)?;
            match self.lex.t.tok {
                Tok::Name => {
                    if self.lex.lookahead()? != Tok::Char(b'=') {
                        self.list_field(&mut cc)?;
                    } else {
                        self.recfield(&mut cc)?;
                    }
                }
                Tok::Char(b'[') => self.recfield(&mut cc)?,
                _ => self.list_field(&mut cc)?,
            }
            if !(self.test_next(Tok::Char(b','))? || self.test_next(Tok::Char(b';'))?) {
                break;
            }
        }
        self.check_match(Tok::Char(b'}'), Tok::Char(b'{'), line)?;
        self.last_list_field(&mut cc)?;
        if let Some(i) = self.fs.f.code.get_mut(pc as usize) {
            super::opcodes::set_b(i, int2fb(cc.na.max(0) as u32) & super::opcodes::MAXARG_B);
            super::opcodes::set_c(i, int2fb(cc.nh.max(0) as u32) & super::opcodes::MAXARG_C);
        }
        Ok(t)
    }

    fn parlist(&mut self) -> R<()> {
        let mut nparams = 0;
        self.fs.f.is_vararg = 0;
        if self.lex.t.tok != Tok::Char(b')') {
            loop {
                match self.lex.t.tok {
                    Tok::Name => {
                        let name = self.str_checkname()?;
                        self.new_localvar(name, nparams)?;
                        nparams += 1;
                    }
                    Tok::Dots => {
                        self.lex.next_token()?;
                        // LUA_COMPAT_VARARG: `arg` holds the extra arguments unless the body uses `...`.
                        self.new_localvar_literal("arg", nparams)?;
                        nparams += 1;
                        self.fs.f.is_vararg = VARARG_HASARG | VARARG_NEEDSARG | VARARG_ISVARARG;
                    }
                    _ => return Err(self.lex.syntax_error("<name> or '...' expected")),
                }
                if self.fs.f.is_vararg != 0 || !self.test_next(Tok::Char(b','))? {
                    break;
                }
            }
        }
        self.adjust_local_vars(nparams);
        let hasarg = (self.fs.f.is_vararg & VARARG_HASARG) as i32;
        self.fs.f.num_params = (self.fs.nactvar - hasarg) as u8;
        let n = self.fs.nactvar;
        self.reserve_regs(n)
    }

    /// `body`: parameters and statements of a function; the closure is left in the returned expression.
    fn body(&mut self, needself: bool, line: u32) -> R<ExpDesc> {
        self.open_func();
        self.fs.f.line_defined = line;
        self.check_next(Tok::Char(b'('))?;
        if needself {
            self.new_localvar_literal("self", 0)?;
            self.adjust_local_vars(1);
        }
        self.parlist()?;
        self.check_next(Tok::Char(b')'))?;
        self.chunk()?;
        self.fs.f.last_line_defined = self.lex.line;
        self.check_match(Tok::End, Tok::Function, line)?;
        let (f, upvals) = self.close_func()?;
        self.push_closure(f, upvals)
    }

    /// `explist1`: one or more expressions; all but the last are put in consecutive registers.
    fn explist1(&mut self, v: &mut ExpDesc) -> R<i32> {
        let mut n = 1;
        *v = self.expr()?;
        while self.test_next(Tok::Char(b','))? {
            self.exp2nextreg(v)?;
            *v = self.expr()?;
            n += 1;
        }
        Ok(n)
    }

    fn funcargs(&mut self, f: &mut ExpDesc) -> R<()> {
        let line = self.lex.line;
        let args = match self.lex.t.tok {
            Tok::Char(b'(') => {
                if line != self.lex.lastline {
                    return Err(self.lex.syntax_error("ambiguous syntax (function call x new statement)"));
                }
                self.lex.next_token()?;
                let mut args = ExpDesc::void();
                if self.lex.t.tok != Tok::Char(b')') {
                    self.explist1(&mut args)?;
                    self.set_multret(&args)?;
                }
                self.check_match(Tok::Char(b')'), Tok::Char(b'('), line)?;
                args
            }
            Tok::Char(b'{') => self.constructor()?,
            Tok::String => {
                let s = self.lex.t.s;
                let e = self.code_string(s)?;
                self.lex.next_token()?;
                e
            }
            _ => return Err(self.lex.syntax_error("function arguments expected")),
        };
        let mut args = args;
        let base = f.info;
        let nparams = if args.has_multret() {
            MULTRET
        } else {
            if args.k != ExpKind::Void {
                self.exp2nextreg(&mut args)?;
            }
            self.fs.freereg - (base + 1)
        };
        *f = ExpDesc::new(ExpKind::Call, self.code_abc(Op::Call, base, nparams + 1, 2)?);
        self.fix_line(line);
        self.fs.freereg = base + 1; // the call leaves one result (unless changed)
        Ok(())
    }

    fn prefixexp(&mut self) -> R<ExpDesc> {
        match self.lex.t.tok {
            Tok::Char(b'(') => {
                let line = self.lex.line;
                self.lex.next_token()?;
                let mut v = self.expr()?;
                self.check_match(Tok::Char(b')'), Tok::Char(b'('), line)?;
                self.discharge_vars(&mut v)?;
                Ok(v)
            }
            Tok::Name => self.singlevar(),
            _ => Err(self.lex.syntax_error("unexpected symbol")),
        }
    }

    fn primaryexp(&mut self) -> R<ExpDesc> {
        let mut v = self.prefixexp()?;
        loop {
            match self.lex.t.tok {
                Tok::Char(b'.') => self.field(&mut v)?,
                Tok::Char(b'[') => {
                    self.exp2anyreg(&mut v)?;
                    let mut key = self.yindex()?;
                    self.indexed(&mut v, &mut key)?;
                }
                Tok::Char(b':') => {
                    self.lex.next_token()?;
                    let mut key = self.checkname()?;
                    self.code_self(&mut v, &mut key)?;
                    self.funcargs(&mut v)?;
                }
                Tok::Char(b'(') | Tok::String | Tok::Char(b'{') => {
                    self.exp2nextreg(&mut v)?;
                    self.funcargs(&mut v)?;
                }
                _ => return Ok(v),
            }
        }
    }

    fn simpleexp(&mut self) -> R<ExpDesc> {
        let v = match self.lex.t.tok {
            Tok::Number => ExpDesc::num(self.lex.t.num),
            Tok::String => {
                let s = self.lex.t.s;
                self.code_string(s)?
            }
            Tok::Nil => ExpDesc::new(ExpKind::Nil, 0),
            Tok::True => ExpDesc::new(ExpKind::True, 0),
            Tok::False => ExpDesc::new(ExpKind::False, 0),
            Tok::Dots => {
                if self.fs.f.is_vararg == 0 {
                    return Err(self.lex.syntax_error("cannot use '...' outside a vararg function"));
                }
                self.fs.f.is_vararg &= !VARARG_NEEDSARG;
                ExpDesc::new(ExpKind::Vararg, self.code_abc(Op::VarArg, 0, 1, 0)?)
            }
            Tok::Char(b'{') => return self.constructor(),
            Tok::Function => {
                self.lex.next_token()?;
                let line = self.lex.line;
                return self.body(false, line);
            }
            _ => return self.primaryexp(),
        };
        self.lex.next_token()?;
        Ok(v)
    }

    /// `subexpr`: `(simpleexp | unop subexpr) { binop subexpr }` for binary operators binding tighter than
    /// `limit`; returns the expression and the first operator it did not take.
    fn subexpr(&mut self, limit: u32) -> R<(ExpDesc, Option<BinOpr>)> {
        self.enter_level()?;
        let mut v = if let Some(uop) = UnOpr::from_tok(self.lex.t.tok) {
            self.lex.next_token()?;
            let (mut v, _) = self.subexpr(UNARY_PRIORITY)?;
            self.prefix(uop, &mut v)?;
            v
        } else {
            self.simpleexp()?
        };
        let mut op = BinOpr::from_tok(self.lex.t.tok);
        while let Some(o) = op {
            let (left, right) = o.priority();
            if left <= limit {
                break;
            }
            self.lex.next_token()?;
            self.infix(o, &mut v)?;
            let (mut v2, nextop) = self.subexpr(right)?;
            self.posfix(o, &mut v, &mut v2)?;
            op = nextop;
        }
        self.leave_level();
        Ok((v, op))
    }

    fn expr(&mut self) -> R<ExpDesc> {
        Ok(self.subexpr(0)?.0)
    }

    // ---- statements ----

    fn block(&mut self) -> R<()> {
        self.enter_block(false);
        self.chunk()?;
        self.leave_block()
    }

    /// `check_conflict`: when a local assigned in a multiple assignment is also the table or key of an
    /// earlier indexed target, copy it first and let the earlier target use the copy.
    fn check_conflict(&mut self, lhs: &mut [ExpDesc], v: &ExpDesc) -> R<()> {
        let extra = self.fs.freereg;
        let mut conflict = false;
        for lh in lhs.iter_mut() {
            if lh.k == ExpKind::Indexed {
                if lh.info == v.info {
                    conflict = true;
                    lh.info = extra;
                }
                if lh.aux == v.info {
                    conflict = true;
                    lh.aux = extra;
                }
            }
        }
        if conflict {
            let r = self.fs.freereg;
            self.code_abc(Op::Move, r, v.info, 0)?;
            self.reserve_regs(1)?;
        }
        Ok(())
    }

    /// `assignment`, with C's recursion over the targets turned into a loop.
    fn assignment(&mut self, first: ExpDesc) -> R<()> {
        let mut lhs = vec![first];
        loop {
            let last = lhs.last().map_or(ExpKind::Void, |e| e.k);
            if !matches!(last, ExpKind::Local | ExpKind::Upval | ExpKind::Global | ExpKind::Indexed) {
                return Err(self.lex.syntax_error("syntax error"));
            }
            if !self.test_next(Tok::Char(b','))? {
                break;
            }
            let nv = self.primaryexp()?;
            if nv.k == ExpKind::Local {
                self.check_conflict(&mut lhs, &nv)?;
            }
            let limit = MAX_LEVELS as i64 - self.level as i64;
            if lhs.len() as i64 > limit {
                let limit = limit.max(0) as usize;
                return Err(self.error_limit(self.fs.f.line_defined, limit, "variables in assignment"));
            }
            lhs.push(nv);
        }
        self.check_next(Tok::Char(b'='))?;
        let nvars = lhs.len() as i32;
        let mut e = ExpDesc::void();
        let nexps = self.explist1(&mut e)?;
        let mut rest = lhs.len();
        if nexps != nvars {
            self.adjust_assign(nvars, nexps, &mut e)?;
            if nexps > nvars {
                self.fs.freereg -= nexps - nvars; // drop the extra values
            }
        } else {
            self.set_one_ret(&mut e);
            if let Some(var) = lhs.last() {
                let var = *var;
                self.store_var(&var, &mut e)?;
            }
            rest -= 1;
        }
        for var in lhs[..rest].iter().rev() {
            let mut e = ExpDesc::new(ExpKind::NonReloc, self.fs.freereg - 1);
            self.store_var(var, &mut e)?;
        }
        Ok(())
    }

    /// `adjust_assign`: make `nexps` expressions (the last one `e`) fill `nvars` registers.
    fn adjust_assign(&mut self, nvars: i32, nexps: i32, e: &mut ExpDesc) -> R<()> {
        let mut extra = nvars - nexps;
        if e.has_multret() {
            extra += 1; // includes the call itself
            if extra < 0 {
                extra = 0;
            }
            self.set_returns(e, extra)?;
            if extra > 1 {
                self.reserve_regs(extra - 1)?;
            }
        } else {
            if e.k != ExpKind::Void {
                self.exp2nextreg(e)?;
            }
            if extra > 0 {
                let reg = self.fs.freereg;
                self.reserve_regs(extra)?;
                self.nil(reg, extra)?;
            }
        }
        Ok(())
    }

    /// `cond`: a condition; returns its false-exit jump list.
    fn cond(&mut self) -> R<i32> {
        let mut v = self.expr()?;
        if v.k == ExpKind::Nil {
            v.k = ExpKind::False; // all falses are equal here
        }
        self.go_if_true(&mut v)?;
        Ok(v.f)
    }

    fn breakstat(&mut self) -> R<()> {
        let mut upval = false;
        let mut target = None;
        for (i, bl) in self.fs.blocks.iter().enumerate().rev() {
            if bl.isbreakable {
                target = Some(i);
                break;
            }
            upval |= bl.upval;
        }
        let Some(i) = target else {
            return Err(self.lex.syntax_error("no loop to break"));
        };
        let nactvar = self.fs.blocks[i].nactvar;
        if upval {
            self.code_abc(Op::Close, nactvar, 0, 0)?;
        }
        let j = self.jump()?;
        let list = self.fs.blocks[i].breaklist;
        let list = self.concat(list, j)?;
        self.fs.blocks[i].breaklist = list;
        Ok(())
    }

    fn whilestat(&mut self, line: u32) -> R<()> {
        self.lex.next_token()?; // skip WHILE
        let whileinit = self.get_label();
        let condexit = self.cond()?;
        self.enter_block(true);
        self.check_next(Tok::Do)?;
        self.block()?;
        let j = self.jump()?;
        self.patch_list(j, whileinit)?;
        self.check_match(Tok::End, Tok::While, line)?;
        self.leave_block()?;
        self.patch_to_here(condexit)
    }

    fn repeatstat(&mut self, line: u32) -> R<()> {
        let repeat_init = self.get_label();
        self.enter_block(true); // loop block
        self.enter_block(false); // scope block
        self.lex.next_token()?; // skip REPEAT
        self.chunk()?;
        self.check_match(Tok::Until, Tok::Repeat, line)?;
        let condexit = self.cond()?; // read the condition inside the scope block
        let scope_upval = self.fs.blocks.last().is_some_and(|b| b.upval);
        if !scope_upval {
            self.leave_block()?;
            self.patch_list(condexit, repeat_init)?;
        } else {
            // With upvalues, the loop must close them on both exits.
            self.breakstat()?;
            self.patch_to_here(condexit)?;
            self.leave_block()?;
            let j = self.jump()?;
            self.patch_list(j, repeat_init)?;
        }
        self.leave_block()
    }

    fn exp1(&mut self) -> R<()> {
        let mut e = self.expr()?;
        self.exp2nextreg(&mut e)
    }

    fn forbody(&mut self, base: i32, line: u32, nvars: i32, isnum: bool) -> R<()> {
        self.adjust_local_vars(3); // control variables
        self.check_next(Tok::Do)?;
        let prep = if isnum { self.code_asbx(Op::ForPrep, base, NO_JUMP)? } else { self.jump()? };
        self.enter_block(false); // scope of the declared variables
        self.adjust_local_vars(nvars);
        self.reserve_regs(nvars)?;
        self.block()?;
        self.leave_block()?;
        self.patch_to_here(prep)?;
        let endfor = if isnum {
            self.code_asbx(Op::ForLoop, base, NO_JUMP)?
        } else {
            self.code_abc(Op::TForLoop, base, 0, nvars)?
        };
        self.fix_line(line); // pretend the loop instruction starts the loop
        let l = if isnum { endfor } else { self.jump()? };
        self.patch_list(l, prep + 1)
    }

    fn fornum(&mut self, varname: StrRef, line: u32) -> R<()> {
        let base = self.fs.freereg;
        self.new_localvar_literal("(for index)", 0)?;
        self.new_localvar_literal("(for limit)", 1)?;
        self.new_localvar_literal("(for step)", 2)?;
        self.new_localvar(varname, 3)?;
        self.check_next(Tok::Char(b'='))?;
        self.exp1()?; // initial value
        self.check_next(Tok::Char(b','))?;
        self.exp1()?; // limit
        if self.test_next(Tok::Char(b','))? {
            self.exp1()?; // step
        } else {
            let k = self.number_k(1.0)?;
            let r = self.fs.freereg;
            self.code_abx(Op::LoadK, r, k)?;
            self.reserve_regs(1)?;
        }
        self.forbody(base, line, 1, true)
    }

    fn forlist(&mut self, indexname: StrRef) -> R<()> {
        let base = self.fs.freereg;
        self.new_localvar_literal("(for generator)", 0)?;
        self.new_localvar_literal("(for state)", 1)?;
        self.new_localvar_literal("(for control)", 2)?;
        self.new_localvar(indexname, 3)?;
        let mut nvars = 4;
        while self.test_next(Tok::Char(b','))? {
            let name = self.str_checkname()?;
            self.new_localvar(name, nvars)?;
            nvars += 1;
        }
        self.check_next(Tok::In)?;
        let line = self.lex.line;
        let mut e = ExpDesc::void();
        let n = self.explist1(&mut e)?;
        self.adjust_assign(3, n, &mut e)?;
        self.check_stack(3)?; // room to call the generator
        self.forbody(base, line, nvars - 3, false)
    }

    fn forstat(&mut self, line: u32) -> R<()> {
        self.enter_block(true); // scope of the loop and control variables
        self.lex.next_token()?; // skip FOR
        let varname = self.str_checkname()?;
        match self.lex.t.tok {
            Tok::Char(b'=') => self.fornum(varname, line)?,
            Tok::Char(b',') | Tok::In => self.forlist(varname)?,
            _ => return Err(self.lex.syntax_error("'=' or 'in' expected")),
        }
        self.check_match(Tok::End, Tok::For, line)?;
        self.leave_block() // `break` jumps here
    }

    fn test_then_block(&mut self) -> R<i32> {
        self.lex.next_token()?; // skip IF or ELSEIF
        let condexit = self.cond()?;
        self.check_next(Tok::Then)?;
        self.block()?;
        Ok(condexit)
    }

    fn ifstat(&mut self, line: u32) -> R<()> {
        let mut escapelist = NO_JUMP;
        let mut flist = self.test_then_block()?;
        while self.lex.t.tok == Tok::Elseif {
            let j = self.jump()?;
            escapelist = self.concat(escapelist, j)?;
            self.patch_to_here(flist)?;
            flist = self.test_then_block()?;
        }
        if self.lex.t.tok == Tok::Else {
            let j = self.jump()?;
            escapelist = self.concat(escapelist, j)?;
            self.patch_to_here(flist)?;
            self.lex.next_token()?; // skip ELSE (after the patch, for the line info)
            self.block()?;
        } else {
            escapelist = self.concat(escapelist, flist)?;
        }
        self.patch_to_here(escapelist)?;
        self.check_match(Tok::End, Tok::If, line)
    }

    fn localfunc(&mut self) -> R<()> {
        let name = self.str_checkname()?;
        self.new_localvar(name, 0)?;
        let v = ExpDesc::new(ExpKind::Local, self.fs.freereg);
        self.reserve_regs(1)?;
        self.adjust_local_vars(1);
        let line = self.lex.line;
        let mut b = self.body(false, line)?;
        self.store_var(&v, &mut b)?;
        // Debug information only sees the variable after this point.
        let pc = self.fs.pc() as u32;
        let i = self.fs.nactvar - 1;
        if let Some(lv) = self.loc_var_mut(i) {
            lv.start_pc = pc;
        }
        Ok(())
    }

    fn localstat(&mut self) -> R<()> {
        let mut nvars = 0;
        loop {
            let name = self.str_checkname()?;
            self.new_localvar(name, nvars)?;
            nvars += 1;
            if !self.test_next(Tok::Char(b','))? {
                break;
            }
        }
        let mut e = ExpDesc::void();
        let nexps = if self.test_next(Tok::Char(b'='))? { self.explist1(&mut e)? } else { 0 };
        self.adjust_assign(nvars, nexps, &mut e)?;
        self.adjust_local_vars(nvars);
        Ok(())
    }

    fn funcstat(&mut self, line: u32) -> R<()> {
        self.lex.next_token()?; // skip FUNCTION
        let mut v = self.singlevar()?;
        let mut needself = false;
        while self.lex.t.tok == Tok::Char(b'.') {
            self.field(&mut v)?;
        }
        if self.lex.t.tok == Tok::Char(b':') {
            needself = true;
            self.field(&mut v)?;
        }
        let mut b = self.body(needself, line)?;
        self.store_var(&v, &mut b)?;
        self.fix_line(line); // the definition "happens" on the first line
        Ok(())
    }

    fn exprstat(&mut self) -> R<()> {
        let v = self.primaryexp()?;
        if v.k == ExpKind::Call {
            // A call statement uses no results.
            if let Some(i) = self.fs.f.code.get_mut(v.info as usize) {
                super::opcodes::set_c(i, 1);
            }
            Ok(())
        } else {
            self.assignment(v)
        }
    }

    fn retstat(&mut self) -> R<()> {
        self.lex.next_token()?; // skip RETURN
        let (first, nret);
        if block_follow(self.lex.t.tok) || self.lex.t.tok == Tok::Char(b';') {
            first = 0;
            nret = 0;
        } else {
            let mut e = ExpDesc::void();
            let n = self.explist1(&mut e)?;
            if e.has_multret() {
                self.set_multret(&e)?;
                if e.k == ExpKind::Call && n == 1 {
                    if let Some(i) = self.fs.f.code.get_mut(e.info as usize) {
                        super::opcodes::set_op(i, Op::TailCall);
                    }
                }
                first = self.fs.nactvar;
                nret = MULTRET;
            } else if n == 1 {
                first = self.exp2anyreg(&mut e)?;
                nret = 1;
            } else {
                self.exp2nextreg(&mut e)?;
                first = self.fs.nactvar;
                nret = n;
            }
        }
        self.ret(first, nret)
    }

    /// One statement; true when it must be the last of its block (`return`, `break`).
    fn statement(&mut self) -> R<bool> {
        let line = self.lex.line;
        match self.lex.t.tok {
            Tok::If => self.ifstat(line)?,
            Tok::While => self.whilestat(line)?,
            Tok::Do => {
                self.lex.next_token()?;
                self.block()?;
                self.check_match(Tok::End, Tok::Do, line)?;
            }
            Tok::For => self.forstat(line)?,
            Tok::Repeat => self.repeatstat(line)?,
            Tok::Function => self.funcstat(line)?,
            Tok::Local => {
                self.lex.next_token()?;
                if self.test_next(Tok::Function)? {
                    self.localfunc()?;
                } else {
                    self.localstat()?;
                }
            }
            Tok::Return => {
                self.retstat()?;
                return Ok(true);
            }
            Tok::Break => {
                self.lex.next_token()?;
                self.breakstat()?;
                return Ok(true);
            }
            _ => self.exprstat()?,
        }
        Ok(false)
    }

    /// `chunk`: `{ stat [';'] }`.
    fn chunk(&mut self) -> R<()> {
        self.enter_level()?;
        let mut islast = false;
        while !islast && !block_follow(self.lex.t.tok) {
            islast = self.statement()?;
            self.test_next(Tok::Char(b';'))?;
            self.fs.freereg = self.fs.nactvar; // free registers
        }
        self.leave_level();
        Ok(())
    }
}

/// `searchvar`: the register of the active local `name`, innermost first.
fn search_var(fs: &FuncState, name: StrRef) -> Option<i32> {
    (0..fs.nactvar).rev().find(|&i| {
        fs.actvar.get(i as usize).and_then(|&idx| fs.f.loc_vars.get(idx as usize)).is_some_and(|lv| lv.name == name)
    })
}

/// `markupval`: the block declaring local `level` has a captured variable (it must CLOSE on exit).
fn mark_upval(fs: &mut FuncState, level: i32) {
    if let Some(bl) = fs.blocks.iter_mut().rev().find(|bl| bl.nactvar <= level) {
        bl.upval = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lua::listing::listing;

    fn list(src: &str) -> String {
        let mut heap = Heap::new();
        let p = compile(&mut heap, src.as_bytes(), "=t").unwrap_or_else(|e| panic!("{e}"));
        listing(&heap, &p, false)
    }

    fn err(src: &str) -> String {
        let mut heap = Heap::new();
        compile(&mut heap, src.as_bytes(), "@user_script").err().unwrap_or_default()
    }

    /// The listing `luac5.1 -l -l` prints for this program (addresses replaced), kept here so the comparison
    /// also runs where luac5.1 is not installed.
    #[test]
    fn listing_matches_recorded_luac_output() {
        let src = "local t = {1, 2, x = \"a\\n\"}\nfor i = 1, #t do t[i] = t[i] and i or nil end\n\
                   local function f(...) return t, ... end\nreturn f(1)";
        let mut heap = Heap::new();
        let p = compile_at_level(&mut heap, src.as_bytes(), "=stdin", 1).unwrap_or_else(|e| panic!("{e}"));
        crate::lua::debug::verify(&p).unwrap_or_else(|e| panic!("{e}"));
        let expected = "
main <stdin:0,0> (24 instructions, 96 bytes at ADDR)
0+ params, 6 slots, 0 upvalues, 6 locals, 4 constants, 1 function
\t1\t[1]\tNEWTABLE \t0 2 1
\t2\t[1]\tLOADK    \t1 -1\t; 1
\t3\t[1]\tLOADK    \t2 -2\t; 2
\t4\t[1]\tSETTABLE \t0 -3 -4\t; \"x\" \"a\\n\"
\t5\t[1]\tSETLIST  \t0 2 1\t; 1
\t6\t[2]\tLOADK    \t1 -1\t; 1
\t7\t[2]\tLEN      \t2 0
\t8\t[2]\tLOADK    \t3 -1\t; 1
\t9\t[2]\tFORPREP  \t1 7\t; to 17
\t10\t[2]\tGETTABLE \t5 0 4
\t11\t[2]\tTEST     \t5 0 0
\t12\t[2]\tJMP      \t2\t; to 15
\t13\t[2]\tTESTSET  \t5 4 1
\t14\t[2]\tJMP      \t1\t; to 16
\t15\t[2]\tLOADNIL  \t5 5
\t16\t[2]\tSETTABLE \t0 4 5
\t17\t[2]\tFORLOOP  \t1 -8\t; to 10
\t18\t[3]\tCLOSURE  \t1 0\t; ADDR
\t19\t[3]\tMOVE     \t0 0
\t20\t[4]\tMOVE     \t2 1
\t21\t[4]\tLOADK    \t3 -1\t; 1
\t22\t[4]\tTAILCALL \t2 2 0
\t23\t[4]\tRETURN   \t2 0
\t24\t[4]\tRETURN   \t0 1
constants (4) for ADDR:
\t1\t1
\t2\t2
\t3\t\"x\"
\t4\t\"a\\n\"
locals (6) for ADDR:
\t0\tt\t6\t24
\t1\t(for index)\t9\t18
\t2\t(for limit)\t9\t18
\t3\t(for step)\t9\t18
\t4\ti\t10\t17
\t5\tf\t20\t24
upvalues (0) for ADDR:

function <stdin:3,3> (4 instructions, 16 bytes at ADDR)
0+ params, 3 slots, 1 upvalue, 1 local, 0 constants, 0 functions
\t1\t[3]\tGETUPVAL \t1 0\t; t
\t2\t[3]\tVARARG   \t2 0
\t3\t[3]\tRETURN   \t1 0
\t4\t[3]\tRETURN   \t0 1
constants (0) for ADDR:
locals (1) for ADDR:
\t0\targ\t1\t4
upvalues (1) for ADDR:
\t0\tt
";
        assert_eq!(crate::lua::listing::listing(&heap, &p, true), expected);
        assert_eq!(p.is_vararg, VARARG_ISVARARG);
        assert_eq!(p.protos[0].is_vararg, VARARG_ISVARARG | VARARG_HASARG);
    }

    #[test]
    fn verifier_rejects_broken_code() {
        let mut heap = Heap::new();
        let good = compile(&mut heap, b"local a, b = 1, 2\nif a then b = a end\nreturn b", "=t").unwrap_or_default();
        assert!(crate::lua::debug::verify(&good).is_ok());
        let mut p = compile(&mut heap, b"local a, b = 1, 2\nif a then b = a end\nreturn b", "=t").unwrap_or_default();
        p.max_stack = 1;
        assert!(crate::lua::debug::verify(&p).is_err());
        let mut p = compile(&mut heap, b"local a, b = 1, 2\nif a then b = a end\nreturn b", "=t").unwrap_or_default();
        p.constants.clear();
        assert!(crate::lua::debug::verify(&p).is_err());
        let mut p = compile(&mut heap, b"local a, b = 1, 2\nif a then b = a end\nreturn b", "=t").unwrap_or_default();
        p.code.truncate(p.code.len() - 2); // no final RETURN, and the jump over `b = a` leaves the code
        p.line_info.truncate(p.code.len());
        assert!(crate::lua::debug::verify(&p).is_err());
    }

    #[test]
    fn simple_chunk() {
        let l = list("local a = 1\nreturn a + 2");
        assert!(l.contains("LOADK    \t0 -1\t; 1"), "{l}");
        assert!(l.contains("ADD      \t1 0 -2\t; - 2"), "{l}");
        assert!(l.contains("RETURN   \t1 2"), "{l}");
    }

    #[test]
    fn folding_never_makes_nan_or_divides_by_zero() {
        let l = list("return 1/0, 0/0, 2^10, 5%0");
        assert!(l.contains("DIV"), "{l}");
        assert!(l.contains("MOD"), "{l}");
        assert!(l.contains("; 1024"), "{l}");
    }

    #[test]
    fn error_messages() {
        assert_eq!(err("x"), "user_script:1: '=' expected near '<eof>'");
        assert_eq!(err("break"), "user_script:1: no loop to break near '<eof>'");
        assert_eq!(
            err("function f() return ... end"),
            "user_script:1: cannot use '...' outside a vararg function near '...'"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = "x = ".to_string() + &"(".repeat(100_000);
        assert_eq!(err(&src), "user_script:1: chunk has too many syntax levels");
        let src = "x = ".to_string() + &"{".repeat(100_000);
        assert_eq!(err(&src), "user_script:1: chunk has too many syntax levels");
        let src = "do ".repeat(100_000);
        assert_eq!(err(&src), "user_script:1: chunk has too many syntax levels");
        let src = "x = ".to_string() + &"- ".repeat(100_000) + "1";
        assert_eq!(err(&src), "user_script:1: chunk has too many syntax levels");
    }
}
