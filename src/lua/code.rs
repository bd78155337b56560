//! The code generator (a port of `lcode.c`): expression descriptors, registers, constants, jump lists and
//! constant folding, emitting Lua 5.1 instructions exactly as the reference compiler does.
//!
//! The parser (`parse.rs`) drives this module one syntactic element at a time; nothing is built as a tree. An
//! expression under construction is an [`ExpDesc`] that says where its value is (a constant, a register, a
//! global, a table slot, an instruction whose target register is still open, a pending jump...). The generator
//! discharges it into a register only when the surrounding syntax needs that.
//!
//! Invariants (those of `lcode.c`):
//! - Registers are a stack: `freereg` is the first free one, locals occupy `0..nactvar`, and temporaries are
//!   freed in the reverse order they were reserved (`free_reg` only pops the top).
//! - A jump list is threaded through the sBx fields of its JMP instructions; `NO_JUMP` (-1) ends it, and an
//!   offset of -1 in an instruction marks the end of its list.
//! - `jpc` is the list of jumps to the next instruction; it is patched when that instruction is emitted.
//! - `lasttarget` is the last pc that is a jump target; the LOADNIL merge never looks across it.
//! - Constants are deduplicated by value (strings by identity, numbers by `==`, so `0` and `-0` share one) in
//!   first-use order, as `addk` does with its hash table.
//!
//! The printer of the compiler's output in `luac5.1 -l -l`'s format is [`super::listing`]; the bytecode check
//! every compiled function passes before it runs is [`super::debug::verify`].
//!
//! Tested through `tests/scripting/lua_compile.rs` (instruction-by-instruction comparison with `luac5.1 -l`) and the
//! unit tests in `parse.rs`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::lex::Tok;
use super::opcodes::{self as oc, Instr, Op, BITRK, MAXARG_BX, MAXARG_C, MAXARG_SBX, MAXINDEXRK, MAX_STACK, NO_REG};
use super::parse::Parser;
use super::proto::Proto;
use super::value::{StrRef, Value};

pub(super) type R<T> = Result<T, String>;

/// End of a jump list.
pub(super) const NO_JUMP: i32 = -1;
/// `LUA_MULTRET`.
pub(super) const MULTRET: i32 = -1;

/// Where an expression's value is (`expkind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ExpKind {
    /// No value (empty expression list).
    Void,
    Nil,
    True,
    False,
    /// `info` = constant index.
    K,
    /// `nval` = the number.
    KNum,
    /// `info` = local register.
    Local,
    /// `info` = upvalue index.
    Upval,
    /// `info` = constant index of the name.
    Global,
    /// `info` = table register, `aux` = key RK.
    Indexed,
    /// `info` = pc of the jump of a comparison.
    Jmp,
    /// `info` = pc of an instruction whose A (target register) is still to be set.
    Relocable,
    /// `info` = the register holding the value.
    NonReloc,
    /// `info` = pc of an open CALL.
    Call,
    /// `info` = pc of an open VARARG.
    Vararg,
}

/// An expression descriptor (`expdesc`).
#[derive(Clone, Copy, Debug)]
pub(super) struct ExpDesc {
    pub k: ExpKind,
    pub info: i32,
    pub aux: i32,
    pub nval: f64,
    /// Patch list of "exit when true".
    pub t: i32,
    /// Patch list of "exit when false".
    pub f: i32,
}

impl ExpDesc {
    pub fn new(k: ExpKind, info: i32) -> ExpDesc {
        ExpDesc { k, info, aux: 0, nval: 0.0, t: NO_JUMP, f: NO_JUMP }
    }
    pub fn void() -> ExpDesc {
        ExpDesc::new(ExpKind::Void, 0)
    }
    pub fn num(n: f64) -> ExpDesc {
        ExpDesc { nval: n, ..ExpDesc::new(ExpKind::KNum, 0) }
    }
    #[inline]
    fn has_jumps(&self) -> bool {
        self.t != self.f
    }
    #[inline]
    fn is_numeral(&self) -> bool {
        self.k == ExpKind::KNum && self.t == NO_JUMP && self.f == NO_JUMP
    }
    #[inline]
    pub fn has_multret(&self) -> bool {
        matches!(self.k, ExpKind::Call | ExpKind::Vararg)
    }
}

/// The parser's binary operators (lcode.h's `BinOpr`); their arithmetic head repeats the opcodes' and the
/// metamethod events' names, as in Lua's C sources: three enums of three layers, each in its own order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BinOpr {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Ne,
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOpr {
    /// Left and right priorities (`priority[]` in lparser.c): `^` and `..` are right associative.
    pub fn priority(self) -> (u32, u32) {
        match self {
            BinOpr::Add | BinOpr::Sub => (6, 6),
            BinOpr::Mul | BinOpr::Div | BinOpr::Mod => (7, 7),
            BinOpr::Pow => (10, 9),
            BinOpr::Concat => (5, 4),
            BinOpr::Ne | BinOpr::Eq | BinOpr::Lt | BinOpr::Le | BinOpr::Gt | BinOpr::Ge => (3, 3),
            BinOpr::And => (2, 2),
            BinOpr::Or => (1, 1),
        }
    }

    pub fn from_tok(t: Tok) -> Option<BinOpr> {
        Some(match t {
            Tok::Char(b'+') => BinOpr::Add,
            Tok::Char(b'-') => BinOpr::Sub,
            Tok::Char(b'*') => BinOpr::Mul,
            Tok::Char(b'/') => BinOpr::Div,
            Tok::Char(b'%') => BinOpr::Mod,
            Tok::Char(b'^') => BinOpr::Pow,
            Tok::Concat => BinOpr::Concat,
            Tok::Ne => BinOpr::Ne,
            Tok::Eq => BinOpr::Eq,
            Tok::Char(b'<') => BinOpr::Lt,
            Tok::Le => BinOpr::Le,
            Tok::Char(b'>') => BinOpr::Gt,
            Tok::Ge => BinOpr::Ge,
            Tok::And => BinOpr::And,
            Tok::Or => BinOpr::Or,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UnOpr {
    Minus,
    Not,
    Len,
}

impl UnOpr {
    pub fn from_tok(t: Tok) -> Option<UnOpr> {
        match t {
            Tok::Not => Some(UnOpr::Not),
            Tok::Char(b'-') => Some(UnOpr::Minus),
            Tok::Char(b'#') => Some(UnOpr::Len),
            _ => None,
        }
    }
}

/// A block ([`BlockCnt`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct BlockCnt {
    /// Jumps out of this loop.
    pub breaklist: i32,
    /// Active locals outside the block.
    pub nactvar: i32,
    /// Some local of the block is captured as an upvalue.
    pub upval: bool,
    /// The block is a loop.
    pub isbreakable: bool,
}

/// How a function reaches one of its upvalues: a local of the enclosing function or one of its upvalues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct UpvalDesc {
    pub in_stack: bool,
    pub info: i32,
}

/// A constant's identity in the deduplication map.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum KKey {
    Nil,
    Bool(bool),
    Num(u64),
    Str(u32),
}

/// A multiplicative hasher for the small keys above (the default SipHash is needlessly slow here).
#[derive(Default)]
pub(super) struct KHasher(u64);

impl Hasher for KHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as u64);
    }
}

/// The state of one function being compiled ([`FuncState`]).
pub(super) struct FuncState {
    pub f: Proto,
    kmap: HashMap<KKey, u32, BuildHasherDefault<KHasher>>,
    pub blocks: Vec<BlockCnt>,
    pub lasttarget: i32,
    pub jpc: i32,
    pub freereg: i32,
    pub nactvar: i32,
    pub upvalues: Vec<UpvalDesc>,
    /// Declared-variable stack: indices into `f.loc_vars`; entries at and above `nactvar` are declared but not
    /// yet active.
    pub actvar: Vec<u32>,
}

impl FuncState {
    pub fn new(source: std::rc::Rc<str>) -> FuncState {
        FuncState {
            // Room for a typical function up front: growing these one doubling at a time was a tenth of the
            // compiler's time (each doubling a realloc and a copy); `close_func` shrinks them to size.
            f: Proto {
                source,
                max_stack: 2,
                code: Vec::with_capacity(64),
                line_info: Vec::with_capacity(64),
                constants: Vec::with_capacity(16),
                ..Proto::default()
            },
            kmap: HashMap::with_capacity_and_hasher(16, Default::default()),
            blocks: Vec::with_capacity(8),
            lasttarget: -1,
            jpc: NO_JUMP,
            freereg: 0,
            nactvar: 0,
            upvalues: Vec::new(),
            actvar: Vec::with_capacity(16),
        }
    }

    #[inline]
    pub fn pc(&self) -> i32 {
        self.f.code.len() as i32
    }

    /// The instruction at `pc` (a pc this module produced).
    #[inline]
    fn ins(&self, pc: i32) -> Instr {
        self.f.code.get(pc as usize).copied().unwrap_or(0)
    }

    #[inline]
    fn ins_mut(&mut self, pc: i32) -> Option<&mut Instr> {
        self.f.code.get_mut(pc as usize)
    }
}

// Field setters that mask their argument, so that no value can spill into another field.
fn set_a(i: &mut Instr, a: i32) {
    oc::set_a(i, a as u32 & oc::MAXARG_A);
}
fn set_b(i: &mut Instr, b: i32) {
    oc::set_b(i, b as u32 & oc::MAXARG_B);
}
fn set_c(i: &mut Instr, c: i32) {
    oc::set_c(i, c as u32 & oc::MAXARG_C);
}
fn create_abc(o: Op, a: i32, b: i32, c: i32) -> Instr {
    oc::create_abc(o, a as u32 & oc::MAXARG_A, b as u32 & oc::MAXARG_B, c as u32 & oc::MAXARG_C)
}
fn create_abx(o: Op, a: i32, bx: u32) -> Instr {
    oc::create_abx(o, a as u32 & oc::MAXARG_A, bx & MAXARG_BX)
}

#[inline]
fn op_of(i: Instr) -> Option<Op> {
    Op::from_u8(oc::op(i))
}

/// `testTMode`: instructions that are followed by a jump they control.
fn test_t_mode(i: Instr) -> bool {
    matches!(op_of(i), Some(Op::Eq | Op::Lt | Op::Le | Op::Test | Op::TestSet | Op::TForLoop))
}

#[inline]
fn is_k(x: i32) -> bool {
    x & BITRK as i32 != 0
}

impl Parser<'_> {
    // ---- emitting ----

    /// `luaK_code`: append an instruction with its line.
    fn code(&mut self, i: Instr, line: u32) -> R<i32> {
        self.discharge_jpc()?;
        if self.fs.f.code.len() >= i32::MAX as usize - 1 {
            return Err("code size overflow".to_string());
        }
        self.fs.f.code.push(i);
        self.fs.f.line_info.push(line);
        Ok(self.fs.pc() - 1)
    }

    pub(super) fn code_abc(&mut self, o: Op, a: i32, b: i32, c: i32) -> R<i32> {
        let line = self.lex.lastline;
        self.code(create_abc(o, a, b, c), line)
    }

    pub(super) fn code_abx(&mut self, o: Op, a: i32, bx: i32) -> R<i32> {
        let line = self.lex.lastline;
        self.code(create_abx(o, a, bx as u32), line)
    }

    pub(super) fn code_asbx(&mut self, o: Op, a: i32, sbx: i32) -> R<i32> {
        self.code_abx(o, a, sbx + MAXARG_SBX)
    }

    /// `luaK_fixline`: attribute the last instruction to `line`.
    pub(super) fn fix_line(&mut self, line: u32) {
        if let Some(l) = self.fs.f.line_info.last_mut() {
            *l = line;
        }
    }

    /// `luaK_nil`: set registers `from..from+n` to nil, merged into a preceding LOADNIL when no jump lands
    /// between them (and omitted at function start, where fresh registers are already nil).
    pub(super) fn nil(&mut self, from: i32, n: i32) -> R<()> {
        let fs = &mut self.fs;
        let pc = fs.pc();
        if pc > fs.lasttarget {
            if pc == 0 {
                if from >= fs.nactvar {
                    return Ok(());
                }
            } else if let Some(prev) = fs.ins_mut(pc - 1) {
                if op_of(*prev) == Some(Op::LoadNil) {
                    let pfrom = oc::arg_a(*prev) as i32;
                    let pto = oc::arg_b(*prev) as i32;
                    if pfrom <= from && from <= pto + 1 {
                        if from + n - 1 > pto {
                            set_b(prev, from + n - 1);
                        }
                        return Ok(());
                    }
                }
            }
        }
        self.code_abc(Op::LoadNil, from, from + n - 1, 0)?;
        Ok(())
    }

    /// `luaK_jump`: an unconditional jump, collecting the jumps pending to here into its list.
    pub(super) fn jump(&mut self) -> R<i32> {
        let jpc = self.fs.jpc;
        self.fs.jpc = NO_JUMP;
        let j = self.code_asbx(Op::Jmp, 0, NO_JUMP)?;
        self.concat(j, jpc)
    }

    /// `luaK_ret`.
    pub(super) fn ret(&mut self, first: i32, nret: i32) -> R<()> {
        self.code_abc(Op::Return, first, nret + 1, 0)?;
        Ok(())
    }

    fn cond_jump(&mut self, o: Op, a: i32, b: i32, c: i32) -> R<i32> {
        self.code_abc(o, a, b, c)?;
        self.jump()
    }

    fn fix_jump(&mut self, pc: i32, dest: i32) -> R<()> {
        let offset = dest - (pc + 1);
        if offset.abs() > MAXARG_SBX {
            return Err(self.lex.syntax_error("control structure too long"));
        }
        if let Some(i) = self.fs.ins_mut(pc) {
            oc::set_sbx(i, offset);
        }
        Ok(())
    }

    /// `luaK_getlabel`: the current pc, marked as a jump target.
    pub(super) fn get_label(&mut self) -> i32 {
        self.fs.lasttarget = self.fs.pc();
        self.fs.lasttarget
    }

    fn get_jump(&self, pc: i32) -> i32 {
        let offset = oc::arg_sbx(self.fs.ins(pc));
        if offset == NO_JUMP {
            NO_JUMP
        } else {
            pc + 1 + offset
        }
    }

    /// `getjumpcontrol`: the pc of the instruction that controls the jump at `pc`.
    fn jump_control(&self, pc: i32) -> i32 {
        if pc >= 1 && test_t_mode(self.fs.ins(pc - 1)) {
            pc - 1
        } else {
            pc
        }
    }

    /// `need_value`: whether some jump in the list does not produce its value through a TESTSET.
    fn need_value(&self, mut list: i32) -> bool {
        while list != NO_JUMP {
            let i = self.fs.ins(self.jump_control(list));
            if op_of(i) != Some(Op::TestSet) {
                return true;
            }
            list = self.get_jump(list);
        }
        false
    }

    /// `patchtestreg`: make the TESTSET controlling `node` store into `reg`, or turn it into a TEST when no
    /// value is needed. False when the jump is not controlled by a TESTSET.
    fn patch_test_reg(&mut self, node: i32, reg: i32) -> bool {
        let ctl = self.jump_control(node);
        let Some(i) = self.fs.ins_mut(ctl) else { return false };
        if op_of(*i) != Some(Op::TestSet) {
            return false;
        }
        let b = oc::arg_b(*i) as i32;
        if reg != NO_REG as i32 && reg != b {
            set_a(i, reg);
        } else {
            *i = create_abc(Op::Test, b, 0, oc::arg_c(*i) as i32);
        }
        true
    }

    fn remove_values(&mut self, mut list: i32) {
        while list != NO_JUMP {
            self.patch_test_reg(list, NO_REG as i32);
            list = self.get_jump(list);
        }
    }

    fn patch_list_aux(&mut self, mut list: i32, vtarget: i32, reg: i32, dtarget: i32) -> R<()> {
        while list != NO_JUMP {
            let next = self.get_jump(list);
            if self.patch_test_reg(list, reg) {
                self.fix_jump(list, vtarget)?;
            } else {
                self.fix_jump(list, dtarget)?;
            }
            list = next;
        }
        Ok(())
    }

    fn discharge_jpc(&mut self) -> R<()> {
        let pc = self.fs.pc();
        let jpc = self.fs.jpc;
        self.fs.jpc = NO_JUMP;
        self.patch_list_aux(jpc, pc, NO_REG as i32, pc)
    }

    /// `luaK_patchlist`: point every jump of `list` at `target`.
    pub(super) fn patch_list(&mut self, list: i32, target: i32) -> R<()> {
        if target == self.fs.pc() {
            self.patch_to_here(list)
        } else {
            self.patch_list_aux(list, target, NO_REG as i32, target)
        }
    }

    /// `luaK_patchtohere`: point `list` at the next instruction.
    pub(super) fn patch_to_here(&mut self, list: i32) -> R<()> {
        self.get_label();
        let jpc = self.fs.jpc;
        self.fs.jpc = self.concat(jpc, list)?;
        Ok(())
    }

    /// `luaK_concat`: append list `l2` to list `l1`; returns the new `l1`.
    pub(super) fn concat(&mut self, l1: i32, l2: i32) -> R<i32> {
        if l2 == NO_JUMP {
            return Ok(l1);
        }
        if l1 == NO_JUMP {
            return Ok(l2);
        }
        let mut list = l1;
        loop {
            let next = self.get_jump(list);
            if next == NO_JUMP {
                break;
            }
            list = next;
        }
        self.fix_jump(list, l2)?;
        Ok(l1)
    }

    // ---- registers ----

    /// `luaK_checkstack`.
    pub(super) fn check_stack(&mut self, n: i32) -> R<()> {
        let newstack = self.fs.freereg + n;
        if newstack > self.fs.f.max_stack as i32 {
            if newstack >= MAX_STACK as i32 {
                return Err(self.lex.syntax_error("function or expression too complex"));
            }
            self.fs.f.max_stack = newstack as u8;
        }
        Ok(())
    }

    /// `luaK_reserveregs`.
    pub(super) fn reserve_regs(&mut self, n: i32) -> R<()> {
        self.check_stack(n)?;
        self.fs.freereg += n;
        Ok(())
    }

    fn free_reg(&mut self, reg: i32) {
        if !is_k(reg) && reg >= self.fs.nactvar {
            self.fs.freereg -= 1;
        }
    }

    fn free_exp(&mut self, e: &ExpDesc) {
        if e.k == ExpKind::NonReloc {
            self.free_reg(e.info);
        }
    }

    // ---- constants ----

    fn add_k(&mut self, key: KKey, v: Value) -> R<i32> {
        if let Some(&i) = self.fs.kmap.get(&key) {
            return Ok(i as i32);
        }
        let nk = self.fs.f.constants.len();
        if nk >= MAXARG_BX as usize {
            return Err("constant table overflow".to_string());
        }
        self.fs.kmap.insert(key, nk as u32);
        self.fs.f.constants.push(v);
        Ok(nk as i32)
    }

    /// `luaK_stringK`.
    pub(super) fn string_k(&mut self, s: StrRef) -> R<i32> {
        self.add_k(KKey::Str(s.0), Value::Str(s))
    }

    /// `luaK_numberK`.
    pub(super) fn number_k(&mut self, r: f64) -> R<i32> {
        // Table keys compare with ==, so -0 finds 0; NaN never reaches here (no literal or fold makes one).
        let bits = if r == 0.0 { 0 } else { r.to_bits() };
        self.add_k(KKey::Num(bits), Value::Num(r))
    }

    fn bool_k(&mut self, b: bool) -> R<i32> {
        self.add_k(KKey::Bool(b), Value::Bool(b))
    }

    fn nil_k(&mut self) -> R<i32> {
        self.add_k(KKey::Nil, Value::Nil)
    }

    // ---- expressions ----

    /// `luaK_setreturns`: make an open call or vararg produce `nresults` values.
    pub(super) fn set_returns(&mut self, e: &ExpDesc, nresults: i32) -> R<()> {
        match e.k {
            ExpKind::Call => {
                if let Some(i) = self.fs.ins_mut(e.info) {
                    set_c(i, nresults + 1);
                }
            }
            ExpKind::Vararg => {
                let freereg = self.fs.freereg;
                if let Some(i) = self.fs.ins_mut(e.info) {
                    set_b(i, nresults + 1);
                    set_a(i, freereg);
                }
                self.reserve_regs(1)?;
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn set_multret(&mut self, e: &ExpDesc) -> R<()> {
        self.set_returns(e, MULTRET)
    }

    /// `luaK_setoneret`.
    pub(super) fn set_one_ret(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpKind::Call => {
                e.k = ExpKind::NonReloc;
                e.info = oc::arg_a(self.fs.ins(e.info)) as i32;
            }
            ExpKind::Vararg => {
                if let Some(i) = self.fs.ins_mut(e.info) {
                    set_b(i, 2);
                }
                e.k = ExpKind::Relocable;
            }
            _ => {}
        }
    }

    /// `luaK_dischargevars`: turn a variable into a value (an instruction or a register).
    pub(super) fn discharge_vars(&mut self, e: &mut ExpDesc) -> R<()> {
        match e.k {
            ExpKind::Local => e.k = ExpKind::NonReloc,
            ExpKind::Upval => {
                e.info = self.code_abc(Op::GetUpval, 0, e.info, 0)?;
                e.k = ExpKind::Relocable;
            }
            ExpKind::Global => {
                e.info = self.code_abx(Op::GetGlobal, 0, e.info)?;
                e.k = ExpKind::Relocable;
            }
            ExpKind::Indexed => {
                self.free_reg(e.aux);
                self.free_reg(e.info);
                e.info = self.code_abc(Op::GetTable, 0, e.info, e.aux)?;
                e.k = ExpKind::Relocable;
            }
            ExpKind::Vararg | ExpKind::Call => self.set_one_ret(e),
            _ => {}
        }
        Ok(())
    }

    fn code_label(&mut self, a: i32, b: i32, jump: i32) -> R<i32> {
        self.get_label();
        self.code_abc(Op::LoadBool, a, b, jump)
    }

    fn discharge2reg(&mut self, e: &mut ExpDesc, reg: i32) -> R<()> {
        self.discharge_vars(e)?;
        match e.k {
            ExpKind::Nil => self.nil(reg, 1)?,
            ExpKind::False | ExpKind::True => {
                self.code_abc(Op::LoadBool, reg, (e.k == ExpKind::True) as i32, 0)?;
            }
            ExpKind::K => {
                self.code_abx(Op::LoadK, reg, e.info)?;
            }
            ExpKind::KNum => {
                let k = self.number_k(e.nval)?;
                self.code_abx(Op::LoadK, reg, k)?;
            }
            ExpKind::Relocable => {
                if let Some(i) = self.fs.ins_mut(e.info) {
                    set_a(i, reg);
                }
            }
            ExpKind::NonReloc => {
                if reg != e.info {
                    self.code_abc(Op::Move, reg, e.info, 0)?;
                }
            }
            _ => return Ok(()), // Void or Jmp: nothing to do
        }
        e.info = reg;
        e.k = ExpKind::NonReloc;
        Ok(())
    }

    fn discharge2anyreg(&mut self, e: &mut ExpDesc) -> R<()> {
        if e.k != ExpKind::NonReloc {
            self.reserve_regs(1)?;
            let r = self.fs.freereg - 1;
            self.discharge2reg(e, r)?;
        }
        Ok(())
    }

    fn exp2reg(&mut self, e: &mut ExpDesc, reg: i32) -> R<()> {
        self.discharge2reg(e, reg)?;
        if e.k == ExpKind::Jmp {
            e.t = self.concat(e.t, e.info)?;
        }
        if e.has_jumps() {
            let mut p_f = NO_JUMP;
            let mut p_t = NO_JUMP;
            if self.need_value(e.t) || self.need_value(e.f) {
                let fj = if e.k == ExpKind::Jmp { NO_JUMP } else { self.jump()? };
                p_f = self.code_label(reg, 0, 1)?;
                p_t = self.code_label(reg, 1, 0)?;
                self.patch_to_here(fj)?;
            }
            let end = self.get_label();
            self.patch_list_aux(e.f, end, reg, p_f)?;
            self.patch_list_aux(e.t, end, reg, p_t)?;
        }
        e.f = NO_JUMP;
        e.t = NO_JUMP;
        e.info = reg;
        e.k = ExpKind::NonReloc;
        Ok(())
    }

    /// `luaK_exp2nextreg`: the value in the next free register.
    pub(super) fn exp2nextreg(&mut self, e: &mut ExpDesc) -> R<()> {
        self.discharge_vars(e)?;
        self.free_exp(e);
        self.reserve_regs(1)?;
        let r = self.fs.freereg - 1;
        self.exp2reg(e, r)
    }

    /// `luaK_exp2anyreg`: the value in some register; returns it.
    pub(super) fn exp2anyreg(&mut self, e: &mut ExpDesc) -> R<i32> {
        self.discharge_vars(e)?;
        if e.k == ExpKind::NonReloc {
            if !e.has_jumps() {
                return Ok(e.info);
            }
            if e.info >= self.fs.nactvar {
                let r = e.info;
                self.exp2reg(e, r)?;
                return Ok(e.info);
            }
        }
        self.exp2nextreg(e)?;
        Ok(e.info)
    }

    /// `luaK_exp2val`.
    pub(super) fn exp2val(&mut self, e: &mut ExpDesc) -> R<()> {
        if e.has_jumps() {
            self.exp2anyreg(e)?;
            Ok(())
        } else {
            self.discharge_vars(e)
        }
    }

    /// `luaK_exp2RK`: an RK operand (a constant index with BITRK when it fits, else a register).
    pub(super) fn exp2rk(&mut self, e: &mut ExpDesc) -> R<i32> {
        self.exp2val(e)?;
        match e.k {
            ExpKind::KNum | ExpKind::True | ExpKind::False | ExpKind::Nil
                if self.fs.f.constants.len() <= MAXINDEXRK as usize =>
            {
                e.info = match e.k {
                    ExpKind::Nil => self.nil_k()?,
                    ExpKind::KNum => self.number_k(e.nval)?,
                    _ => self.bool_k(e.k == ExpKind::True)?,
                };
                e.k = ExpKind::K;
                return Ok(e.info | BITRK as i32);
            }
            ExpKind::K if e.info <= MAXINDEXRK as i32 => return Ok(e.info | BITRK as i32),
            _ => {}
        }
        self.exp2anyreg(e)
    }

    /// `luaK_storevar`: assign `ex` to the variable `var`.
    pub(super) fn store_var(&mut self, var: &ExpDesc, ex: &mut ExpDesc) -> R<()> {
        match var.k {
            ExpKind::Local => {
                self.free_exp(ex);
                return self.exp2reg(ex, var.info);
            }
            ExpKind::Upval => {
                let e = self.exp2anyreg(ex)?;
                self.code_abc(Op::SetUpval, e, var.info, 0)?;
            }
            ExpKind::Global => {
                let e = self.exp2anyreg(ex)?;
                self.code_abx(Op::SetGlobal, e, var.info)?;
            }
            ExpKind::Indexed => {
                let e = self.exp2rk(ex)?;
                self.code_abc(Op::SetTable, var.info, var.aux, e)?;
            }
            _ => {} // the parser only stores to variables
        }
        self.free_exp(ex);
        Ok(())
    }

    /// `luaK_self`: `e:key` sets up the method and `self` in two consecutive registers.
    pub(super) fn code_self(&mut self, e: &mut ExpDesc, key: &mut ExpDesc) -> R<()> {
        self.exp2anyreg(e)?;
        self.free_exp(e);
        let func = self.fs.freereg;
        self.reserve_regs(2)?;
        let k = self.exp2rk(key)?;
        self.code_abc(Op::SelfOp, func, e.info, k)?;
        self.free_exp(key);
        e.info = func;
        e.k = ExpKind::NonReloc;
        Ok(())
    }

    fn invert_jump(&mut self, e: &ExpDesc) {
        let pc = self.jump_control(e.info);
        if let Some(i) = self.fs.ins_mut(pc) {
            let a = oc::arg_a(*i);
            set_a(i, (a == 0) as i32);
        }
    }

    fn jump_on_cond(&mut self, e: &mut ExpDesc, cond: i32) -> R<i32> {
        if e.k == ExpKind::Relocable {
            let ie = self.fs.ins(e.info);
            if op_of(ie) == Some(Op::Not) {
                // Drop the NOT and test its operand with the opposite sense.
                self.fs.f.code.pop();
                self.fs.f.line_info.pop();
                return self.cond_jump(Op::Test, oc::arg_b(ie) as i32, 0, (cond == 0) as i32);
            }
        }
        self.discharge2anyreg(e)?;
        self.free_exp(e);
        self.cond_jump(Op::TestSet, NO_REG as i32, e.info, cond)
    }

    /// `luaK_goiftrue`: fall through when `e` is true, jump (via `e.f`) when false.
    pub(super) fn go_if_true(&mut self, e: &mut ExpDesc) -> R<()> {
        self.discharge_vars(e)?;
        let pc = match e.k {
            ExpKind::K | ExpKind::KNum | ExpKind::True => NO_JUMP,
            ExpKind::Jmp => {
                self.invert_jump(e);
                e.info
            }
            _ => self.jump_on_cond(e, 0)?,
        };
        e.f = self.concat(e.f, pc)?;
        self.patch_to_here(e.t)?;
        e.t = NO_JUMP;
        Ok(())
    }

    fn go_if_false(&mut self, e: &mut ExpDesc) -> R<()> {
        self.discharge_vars(e)?;
        let pc = match e.k {
            ExpKind::Nil | ExpKind::False => NO_JUMP,
            ExpKind::Jmp => e.info,
            _ => self.jump_on_cond(e, 1)?,
        };
        e.t = self.concat(e.t, pc)?;
        self.patch_to_here(e.f)?;
        e.f = NO_JUMP;
        Ok(())
    }

    fn code_not(&mut self, e: &mut ExpDesc) -> R<()> {
        self.discharge_vars(e)?;
        match e.k {
            ExpKind::Nil | ExpKind::False => e.k = ExpKind::True,
            ExpKind::K | ExpKind::KNum | ExpKind::True => e.k = ExpKind::False,
            ExpKind::Jmp => self.invert_jump(e),
            ExpKind::Relocable | ExpKind::NonReloc => {
                self.discharge2anyreg(e)?;
                self.free_exp(e);
                e.info = self.code_abc(Op::Not, 0, e.info, 0)?;
                e.k = ExpKind::Relocable;
            }
            _ => {}
        }
        std::mem::swap(&mut e.f, &mut e.t);
        self.remove_values(e.f);
        self.remove_values(e.t);
        Ok(())
    }

    /// `luaK_indexed`: `t[k]` as a variable.
    pub(super) fn indexed(&mut self, t: &mut ExpDesc, k: &mut ExpDesc) -> R<()> {
        t.aux = self.exp2rk(k)?;
        t.k = ExpKind::Indexed;
        Ok(())
    }

    fn code_arith(&mut self, o: Op, e1: &mut ExpDesc, e2: &mut ExpDesc) -> R<()> {
        if const_folding(o, e1, e2) {
            return Ok(());
        }
        let o2 = if o != Op::Unm && o != Op::Len { self.exp2rk(e2)? } else { 0 };
        let o1 = self.exp2rk(e1)?;
        if o1 > o2 {
            self.free_exp(e1);
            self.free_exp(e2);
        } else {
            self.free_exp(e2);
            self.free_exp(e1);
        }
        e1.info = self.code_abc(o, 0, o1, o2)?;
        e1.k = ExpKind::Relocable;
        Ok(())
    }

    fn code_comp(&mut self, o: Op, mut cond: i32, e1: &mut ExpDesc, e2: &mut ExpDesc) -> R<()> {
        let mut o1 = self.exp2rk(e1)?;
        let mut o2 = self.exp2rk(e2)?;
        self.free_exp(e2);
        self.free_exp(e1);
        if cond == 0 && o != Op::Eq {
            // a > b is b < a, a >= b is b <= a
            std::mem::swap(&mut o1, &mut o2);
            cond = 1;
        }
        e1.info = self.cond_jump(o, cond, o1, o2)?;
        e1.k = ExpKind::Jmp;
        Ok(())
    }

    /// `luaK_prefix`: a unary operator applied to `e`.
    pub(super) fn prefix(&mut self, op: UnOpr, e: &mut ExpDesc) -> R<()> {
        let mut e2 = ExpDesc::num(0.0);
        match op {
            UnOpr::Minus => {
                if !e.is_numeral() {
                    self.exp2anyreg(e)?;
                }
                self.code_arith(Op::Unm, e, &mut e2)
            }
            UnOpr::Not => self.code_not(e),
            UnOpr::Len => {
                self.exp2anyreg(e)?;
                self.code_arith(Op::Len, e, &mut e2)
            }
        }
    }

    /// `luaK_infix`: prepare the left operand before the right one is parsed.
    pub(super) fn infix(&mut self, op: BinOpr, v: &mut ExpDesc) -> R<()> {
        match op {
            BinOpr::And => self.go_if_true(v),
            BinOpr::Or => self.go_if_false(v),
            BinOpr::Concat => self.exp2nextreg(v),
            BinOpr::Add | BinOpr::Sub | BinOpr::Mul | BinOpr::Div | BinOpr::Mod | BinOpr::Pow => {
                if !v.is_numeral() {
                    self.exp2rk(v)?;
                }
                Ok(())
            }
            _ => {
                self.exp2rk(v)?;
                Ok(())
            }
        }
    }

    /// `luaK_posfix`: combine both operands.
    pub(super) fn posfix(&mut self, op: BinOpr, e1: &mut ExpDesc, e2: &mut ExpDesc) -> R<()> {
        match op {
            BinOpr::And => {
                self.discharge_vars(e2)?;
                e2.f = self.concat(e2.f, e1.f)?;
                *e1 = *e2;
                Ok(())
            }
            BinOpr::Or => {
                self.discharge_vars(e2)?;
                e2.t = self.concat(e2.t, e1.t)?;
                *e1 = *e2;
                Ok(())
            }
            BinOpr::Concat => {
                self.exp2val(e2)?;
                if e2.k == ExpKind::Relocable && op_of(self.fs.ins(e2.info)) == Some(Op::Concat) {
                    // Extend the CONCAT of the right operand down to e1's register.
                    self.free_exp(e1);
                    let r = e1.info;
                    if let Some(i) = self.fs.ins_mut(e2.info) {
                        set_b(i, r);
                    }
                    e1.k = ExpKind::Relocable;
                    e1.info = e2.info;
                    Ok(())
                } else {
                    self.exp2nextreg(e2)?;
                    self.code_arith(Op::Concat, e1, e2)
                }
            }
            BinOpr::Add => self.code_arith(Op::Add, e1, e2),
            BinOpr::Sub => self.code_arith(Op::Sub, e1, e2),
            BinOpr::Mul => self.code_arith(Op::Mul, e1, e2),
            BinOpr::Div => self.code_arith(Op::Div, e1, e2),
            BinOpr::Mod => self.code_arith(Op::Mod, e1, e2),
            BinOpr::Pow => self.code_arith(Op::Pow, e1, e2),
            BinOpr::Eq => self.code_comp(Op::Eq, 1, e1, e2),
            BinOpr::Ne => self.code_comp(Op::Eq, 0, e1, e2),
            BinOpr::Lt => self.code_comp(Op::Lt, 1, e1, e2),
            BinOpr::Le => self.code_comp(Op::Le, 1, e1, e2),
            BinOpr::Gt => self.code_comp(Op::Lt, 0, e1, e2),
            BinOpr::Ge => self.code_comp(Op::Le, 0, e1, e2),
        }
    }

    /// `luaK_setlist`: store `tostore` list items (MULTRET: up to the top) from `base+1` into the table at
    /// `base`, the last of them being item `nelems`.
    pub(super) fn set_list(&mut self, base: i32, nelems: i32, tostore: i32) -> R<()> {
        let c = (nelems - 1) / oc::FIELDS_PER_FLUSH as i32 + 1;
        let b = if tostore == MULTRET { 0 } else { tostore };
        if c <= MAXARG_C as i32 {
            self.code_abc(Op::SetList, base, b, c)?;
        } else {
            // C does not fit: C = 0 and the next word holds it.
            self.code_abc(Op::SetList, base, b, 0)?;
            let line = self.lex.lastline;
            self.code(c as u32, line)?;
        }
        self.fs.freereg = base + 1;
        Ok(())
    }
}

/// `constfolding`: fold arithmetic on two numerals, never to NaN and never dividing by zero.
fn const_folding(o: Op, e1: &mut ExpDesc, e2: &ExpDesc) -> bool {
    if !e1.is_numeral() || !e2.is_numeral() {
        return false;
    }
    let (v1, v2) = (e1.nval, e2.nval);
    let r = match o {
        Op::Add => v1 + v2,
        Op::Sub => v1 - v2,
        Op::Mul => v1 * v2,
        Op::Div => {
            if v2 == 0.0 {
                return false;
            }
            v1 / v2
        }
        Op::Mod => {
            if v2 == 0.0 {
                return false;
            }
            v1 - (v1 / v2).floor() * v2
        }
        Op::Pow => v1.powf(v2),
        Op::Unm => -v1,
        _ => return false,
    };
    if r.is_nan() {
        return false;
    }
    e1.nval = r;
    true
}
