//! Lua 5.1's instruction set and its 32-bit encoding, unchanged.
//!
//! Keeping the reference encoding means `luac5.1 -l` listings are a test oracle for the compiler
//! (`tests/scripting/lua_compile.rs` compares instruction by instruction), and the VM can be read side by side with the
//! reference `lvm.c`.
//!
//! ```text
//!  31        23 22        14 13      6 5     0
//! |     B      |     C      |    A    |  op   |   iABC
//! |          Bx             |    A    |  op   |   iABx   (sBx = Bx - MAXARG_SBX)
//! ```
//! `RK(x)`: a register when `x < BITRK`, else constant `x - BITRK`.

/// One opcode; the numeric values are Lua 5.1's (`lopcodes.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// R(A) := R(B)
    Move = 0,
    /// R(A) := Kst(Bx)
    LoadK,
    /// R(A) := (Bool)B; if (C) pc++
    LoadBool,
    /// R(A) := ... := R(B) := nil
    LoadNil,
    /// R(A) := UpValue\[B\]
    GetUpval,
    /// R(A) := Gbl\[Kst(Bx)\]
    GetGlobal,
    /// R(A) := R(B)\[RK(C)\]
    GetTable,
    /// Gbl\[Kst(Bx)\] := R(A)
    SetGlobal,
    /// UpValue\[B\] := R(A)
    SetUpval,
    /// R(A)\[RK(B)\] := RK(C)
    SetTable,
    /// R(A) := {} (size hints B = array, C = hash, both in "floating point byte" form)
    NewTable,
    /// R(A+1) := R(B); R(A) := R(B)\[RK(C)\]
    SelfOp,
    /// R(A) := RK(B) + RK(C)
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    /// R(A) := -R(B)
    Unm,
    /// R(A) := not R(B)
    Not,
    /// R(A) := length of R(B)
    Len,
    /// R(A) := R(B).. ... ..R(C)
    Concat,
    /// pc += sBx
    Jmp,
    /// if ((RK(B) == RK(C)) ~= A) then pc++
    Eq,
    /// if ((RK(B) <  RK(C)) ~= A) then pc++
    Lt,
    /// if ((RK(B) <= RK(C)) ~= A) then pc++
    Le,
    /// if not (R(A) <=> C) then pc++
    Test,
    /// if (R(B) <=> C) then R(A) := R(B) else pc++
    TestSet,
    /// R(A), ... ,R(A+C-2) := R(A)(R(A+1), ... ,R(A+B-1))
    Call,
    /// return R(A)(R(A+1), ... ,R(A+B-1))
    TailCall,
    /// return R(A), ... ,R(A+B-2)
    Return,
    /// R(A) += R(A+2); if R(A) <?= R(A+1) then { pc += sBx; R(A+3) = R(A) }
    ForLoop,
    /// R(A) -= R(A+2); pc += sBx
    ForPrep,
    /// R(A+3), ... ,R(A+2+C) := R(A)(R(A+1), R(A+2)); if R(A+3) ~= nil then R(A+2) = R(A+3) else pc++
    TForLoop,
    /// R(A)\[(C-1)*FPF+i\] := R(A+i), 1 <= i <= B (C = 0: the next instruction word is C)
    SetList,
    /// close all upvalues >= R(A)
    Close,
    /// R(A) := closure(KPROTO\[Bx\], R(A), ... ,R(A+n)); followed by one MOVE/GETUPVAL per upvalue
    Closure,
    /// R(A), R(A+1), ..., R(A+B-1) = vararg
    VarArg,
}

pub const NUM_OPCODES: usize = Op::VarArg as usize + 1;

impl Op {
    const ALL: [Op; NUM_OPCODES] = [
        Op::Move,
        Op::LoadK,
        Op::LoadBool,
        Op::LoadNil,
        Op::GetUpval,
        Op::GetGlobal,
        Op::GetTable,
        Op::SetGlobal,
        Op::SetUpval,
        Op::SetTable,
        Op::NewTable,
        Op::SelfOp,
        Op::Add,
        Op::Sub,
        Op::Mul,
        Op::Div,
        Op::Mod,
        Op::Pow,
        Op::Unm,
        Op::Not,
        Op::Len,
        Op::Concat,
        Op::Jmp,
        Op::Eq,
        Op::Lt,
        Op::Le,
        Op::Test,
        Op::TestSet,
        Op::Call,
        Op::TailCall,
        Op::Return,
        Op::ForLoop,
        Op::ForPrep,
        Op::TForLoop,
        Op::SetList,
        Op::Close,
        Op::Closure,
        Op::VarArg,
    ];

    /// The opcode for a 6-bit field; `None` for the unused values 38..63.
    #[inline]
    pub fn from_u8(v: u8) -> Option<Op> {
        Op::ALL.get(v as usize).copied()
    }

    /// The upper-case name `luac -l` prints.
    pub fn name(self) -> &'static str {
        const NAMES: [&str; NUM_OPCODES] = [
            "MOVE",
            "LOADK",
            "LOADBOOL",
            "LOADNIL",
            "GETUPVAL",
            "GETGLOBAL",
            "GETTABLE",
            "SETGLOBAL",
            "SETUPVAL",
            "SETTABLE",
            "NEWTABLE",
            "SELF",
            "ADD",
            "SUB",
            "MUL",
            "DIV",
            "MOD",
            "POW",
            "UNM",
            "NOT",
            "LEN",
            "CONCAT",
            "JMP",
            "EQ",
            "LT",
            "LE",
            "TEST",
            "TESTSET",
            "CALL",
            "TAILCALL",
            "RETURN",
            "FORLOOP",
            "FORPREP",
            "TFORLOOP",
            "SETLIST",
            "CLOSE",
            "CLOSURE",
            "VARARG",
        ];
        NAMES[self as usize]
    }
}

pub const SIZE_OP: u32 = 6;
pub const SIZE_A: u32 = 8;
pub const SIZE_B: u32 = 9;
pub const SIZE_C: u32 = 9;
pub const SIZE_BX: u32 = SIZE_B + SIZE_C;
pub const POS_A: u32 = SIZE_OP;
pub const POS_C: u32 = POS_A + SIZE_A;
pub const POS_B: u32 = POS_C + SIZE_C;
pub const POS_BX: u32 = POS_C;

pub const MAXARG_A: u32 = (1 << SIZE_A) - 1;
pub const MAXARG_B: u32 = (1 << SIZE_B) - 1;
pub const MAXARG_C: u32 = (1 << SIZE_C) - 1;
pub const MAXARG_BX: u32 = (1 << SIZE_BX) - 1;
pub const MAXARG_SBX: i32 = (MAXARG_BX >> 1) as i32;

/// RK operands with this bit set name a constant.
pub const BITRK: u32 = 1 << (SIZE_B - 1);
/// The largest constant index an RK operand can hold.
pub const MAXINDEXRK: u32 = BITRK - 1;
/// SETLIST flushes every this many list items (`LFIELDS_PER_FLUSH`).
pub const FIELDS_PER_FLUSH: u32 = 50;
/// The most registers a function may use (`MAXSTACK`).
pub const MAX_STACK: u32 = 250;
/// `NO_REG`: "no register" marker for jump lists.
pub const NO_REG: u32 = MAXARG_A;

/// A 32-bit instruction word with field accessors.
pub type Instr = u32;

#[inline(always)]
pub fn op(i: Instr) -> u8 {
    (i & 0x3f) as u8
}
#[inline(always)]
pub fn arg_a(i: Instr) -> u32 {
    (i >> POS_A) & MAXARG_A
}
#[inline(always)]
pub fn arg_b(i: Instr) -> u32 {
    (i >> POS_B) & MAXARG_B
}
#[inline(always)]
pub fn arg_c(i: Instr) -> u32 {
    (i >> POS_C) & MAXARG_C
}
#[inline(always)]
pub fn arg_bx(i: Instr) -> u32 {
    (i >> POS_BX) & MAXARG_BX
}
#[inline(always)]
pub fn arg_sbx(i: Instr) -> i32 {
    arg_bx(i) as i32 - MAXARG_SBX
}
#[inline(always)]
pub fn is_k(x: u32) -> bool {
    x & BITRK != 0
}
#[inline(always)]
pub fn index_k(x: u32) -> u32 {
    x & !BITRK
}
#[inline(always)]
pub fn rk_as_k(x: u32) -> u32 {
    x | BITRK
}

pub fn create_abc(o: Op, a: u32, b: u32, c: u32) -> Instr {
    (o as u32) | (a << POS_A) | (b << POS_B) | (c << POS_C)
}
pub fn create_abx(o: Op, a: u32, bx: u32) -> Instr {
    (o as u32) | (a << POS_A) | (bx << POS_BX)
}
pub fn create_asbx(o: Op, a: u32, sbx: i32) -> Instr {
    create_abx(o, a, (sbx + MAXARG_SBX) as u32)
}
pub fn set_a(i: &mut Instr, a: u32) {
    *i = (*i & !(MAXARG_A << POS_A)) | (a << POS_A);
}
pub fn set_b(i: &mut Instr, b: u32) {
    *i = (*i & !(MAXARG_B << POS_B)) | (b << POS_B);
}
pub fn set_c(i: &mut Instr, c: u32) {
    *i = (*i & !(MAXARG_C << POS_C)) | (c << POS_C);
}
pub fn set_bx(i: &mut Instr, bx: u32) {
    *i = (*i & !(MAXARG_BX << POS_BX)) | (bx << POS_BX);
}
pub fn set_sbx(i: &mut Instr, sbx: i32) {
    set_bx(i, (sbx + MAXARG_SBX) as u32);
}
pub fn set_op(i: &mut Instr, o: Op) {
    *i = (*i & !0x3f) | o as u32;
}

/// `luaO_int2fb`: an integer as a "floating point byte" (eeeeexxx), rounding up; NEWTABLE's size hints.
pub fn int2fb(mut x: u32) -> u32 {
    let mut e = 0;
    while x >= 16 {
        x = (x + 1) >> 1;
        e += 1;
    }
    if x < 8 {
        x
    } else {
        ((e + 1) << 3) | (x - 8)
    }
}

/// `luaO_fb2int`: the inverse of [`int2fb`].
pub fn fb2int(x: u32) -> u32 {
    let e = (x >> 3) & 31;
    if e == 0 {
        x
    } else {
        ((x & 7) + 8) << (e - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let i = create_abc(Op::SetTable, 3, rk_as_k(7), 200);
        assert_eq!(Op::from_u8(op(i)), Some(Op::SetTable));
        assert_eq!((arg_a(i), arg_b(i), arg_c(i)), (3, 263, 200));
        assert!(is_k(arg_b(i)) && index_k(arg_b(i)) == 7);
        let j = create_asbx(Op::Jmp, 0, -5);
        assert_eq!(arg_sbx(j), -5);
        assert_eq!(Op::from_u8(38), None);
    }

    #[test]
    fn floating_point_bytes() {
        for x in [0u32, 1, 7, 8, 15, 16, 17, 100, 1000, 65535] {
            assert!(fb2int(int2fb(x)) >= x, "{x}");
        }
        assert_eq!(int2fb(100), 0x25);
    }
}
