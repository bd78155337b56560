//! A printer for a [`Proto`] in the format of `luac5.1 -l -l` (luac's `print.c`): the tests compare the compiler's
//! output with the reference compiler's, instruction by instruction.

use super::heap::Heap;
use super::number::fmt_num;
use super::opcodes::{self as oc, Op};
use super::proto::Proto;
use super::value::Value;

fn print_string(out: &mut String, s: &[u8]) {
    out.push('"');
    for &c in s {
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x0b => out.push_str("\\v"),
            32..=126 => out.push(c as char),
            _ => out.push_str(&format!("\\{c:03}")),
        }
    }
    out.push('"');
}

fn print_constant(out: &mut String, heap: &Heap, p: &Proto, i: usize) {
    match p.constants.get(i) {
        Some(Value::Nil) => out.push_str("nil"),
        Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::Num(n)) => {
            let mut b = Vec::new();
            fmt_num(*n, &mut b);
            out.push_str(&String::from_utf8_lossy(&b));
        }
        Some(Value::Str(s)) => print_string(out, heap.str(*s)),
        _ => out.push('?'),
    }
}

/// Which operands `luac -l` prints: (B used, C used) for iABC instructions (`getBMode`/`getCMode` != OpArgN).
fn bc_modes(o: Op) -> (bool, bool) {
    match o {
        Op::Move | Op::LoadNil | Op::GetUpval | Op::SetUpval | Op::Unm | Op::Not | Op::Len | Op::Return => {
            (true, false)
        }
        Op::VarArg => (true, false),
        Op::TForLoop => (false, true),
        Op::Close => (false, false),
        _ => (true, true),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A listing of `p` and its nested functions in the format of `luac5.1 -l` (`-l -l` with `full`). Addresses are
/// printed as `ADDR`, since they differ from run to run.
pub fn listing(heap: &Heap, p: &Proto, full: bool) -> String {
    let mut out = String::new();
    list_function(&mut out, heap, p, full);
    out
}

fn list_function(out: &mut String, heap: &Heap, p: &Proto, full: bool) {
    use std::fmt::Write;
    let src = &*p.source;
    let name = if let Some(rest) = src.strip_prefix('@').or_else(|| src.strip_prefix('=')) {
        rest
    } else if src.starts_with('\x1b') {
        "(bstring)"
    } else {
        "(string)"
    };
    let n = p.code.len();
    let _ = writeln!(
        out,
        "\n{} <{}:{},{}> ({} instruction{}, {} bytes at ADDR)",
        if p.line_defined == 0 { "main" } else { "function" },
        name,
        p.line_defined,
        p.last_line_defined,
        n,
        plural(n),
        n * 4
    );
    let np = p.num_params as usize;
    let _ = write!(
        out,
        "{}{} param{}, {} slot{}, {} upvalue{}, ",
        np,
        if p.is_vararg != 0 { "+" } else { "" },
        plural(np),
        p.max_stack,
        plural(p.max_stack as usize),
        p.num_upvalues,
        plural(p.num_upvalues as usize)
    );
    let _ = writeln!(
        out,
        "{} local{}, {} constant{}, {} function{}",
        p.loc_vars.len(),
        plural(p.loc_vars.len()),
        p.constants.len(),
        plural(p.constants.len()),
        p.protos.len(),
        plural(p.protos.len())
    );
    let mut pc = 0;
    while pc < n {
        let i = p.code[pc];
        let a = oc::arg_a(i) as i64;
        let b = oc::arg_b(i);
        let c = oc::arg_c(i);
        let bx = oc::arg_bx(i) as i64;
        let sbx = oc::arg_sbx(i) as i64;
        let rk = |x: u32| if oc::is_k(x) { -1 - oc::index_k(x) as i64 } else { x as i64 };
        let line = p.line_at(pc);
        let _ = write!(out, "\t{}\t", pc + 1);
        if line > 0 {
            let _ = write!(out, "[{line}]\t");
        } else {
            out.push_str("[-]\t");
        }
        let Some(o) = Op::from_u8(oc::op(i)) else {
            let _ = writeln!(out, "??? {i}");
            pc += 1;
            continue;
        };
        let _ = write!(out, "{:<9}\t", o.name());
        match o {
            Op::LoadK | Op::GetGlobal | Op::SetGlobal => {
                let _ = write!(out, "{} {}", a, -1 - bx);
            }
            Op::Closure => {
                let _ = write!(out, "{a} {bx}");
            }
            Op::Jmp => {
                let _ = write!(out, "{sbx}");
            }
            Op::ForLoop | Op::ForPrep => {
                let _ = write!(out, "{a} {sbx}");
            }
            _ => {
                let (bm, cm) = bc_modes(o);
                let _ = write!(out, "{a}");
                if bm {
                    let _ = write!(out, " {}", rk(b));
                }
                if cm {
                    let _ = write!(out, " {}", rk(c));
                }
            }
        }
        match o {
            Op::LoadK => {
                out.push_str("\t; ");
                print_constant(out, heap, p, bx as usize);
            }
            Op::GetUpval | Op::SetUpval => {
                out.push_str("\t; ");
                match p.upvalue_names.get(b as usize) {
                    Some(s) if !p.upvalue_names.is_empty() => out.push_str(&String::from_utf8_lossy(heap.str(*s))),
                    _ => out.push('-'),
                }
            }
            Op::GetGlobal | Op::SetGlobal => {
                out.push_str("\t; ");
                if let Some(Value::Str(s)) = p.constants.get(bx as usize) {
                    out.push_str(&String::from_utf8_lossy(heap.str(*s)));
                }
            }
            Op::GetTable | Op::SelfOp if oc::is_k(c) => {
                out.push_str("\t; ");
                print_constant(out, heap, p, oc::index_k(c) as usize);
            }
            Op::SetTable | Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow | Op::Eq | Op::Lt | Op::Le
                if oc::is_k(b) || oc::is_k(c) =>
            {
                out.push_str("\t; ");
                if oc::is_k(b) {
                    print_constant(out, heap, p, oc::index_k(b) as usize);
                } else {
                    out.push('-');
                }
                out.push(' ');
                if oc::is_k(c) {
                    print_constant(out, heap, p, oc::index_k(c) as usize);
                } else {
                    out.push('-');
                }
            }
            Op::Jmp | Op::ForLoop | Op::ForPrep => {
                let _ = write!(out, "\t; to {}", sbx + pc as i64 + 2);
            }
            Op::Closure => out.push_str("\t; ADDR"),
            Op::SetList => {
                if c == 0 {
                    pc += 1;
                    let _ = write!(out, "\t; {}", p.code.get(pc).copied().unwrap_or(0) as i32);
                } else {
                    let _ = write!(out, "\t; {c}");
                }
            }
            _ => {}
        }
        out.push('\n');
        pc += 1;
    }
    if full {
        let _ = writeln!(out, "constants ({}) for ADDR:", p.constants.len());
        for i in 0..p.constants.len() {
            let _ = write!(out, "\t{}\t", i + 1);
            print_constant(out, heap, p, i);
            out.push('\n');
        }
        let _ = writeln!(out, "locals ({}) for ADDR:", p.loc_vars.len());
        for (i, lv) in p.loc_vars.iter().enumerate() {
            let _ = writeln!(
                out,
                "\t{}\t{}\t{}\t{}",
                i,
                String::from_utf8_lossy(heap.str(lv.name)),
                lv.start_pc + 1,
                lv.end_pc + 1
            );
        }
        let _ = writeln!(out, "upvalues ({}) for ADDR:", p.upvalue_names.len());
        for (i, s) in p.upvalue_names.iter().enumerate() {
            let _ = writeln!(out, "\t{}\t{}", i, String::from_utf8_lossy(heap.str(*s)));
        }
    }
    for f in &p.protos {
        list_function(out, heap, f, full);
    }
}
