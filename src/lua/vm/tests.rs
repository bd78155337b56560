//! VM unit tests. Chunks are compiled by the reference `luac5.1` and read back with a small test-only loader
//! for its binary format (`lundump.c`), so the VM is tested on the reference compiler's exact bytecode,
//! independently of our compiler. A few natives (`pcall`, `error`, `setmetatable`, `tostring`, `select`) stand
//! in for the base library.

use std::any::Any;
use std::rc::Rc;

use crate::lua::heap::Function;
use crate::lua::proto::{LocVar, Proto};
use crate::lua::value::{ErrorKind, LuaError, Value};
use crate::lua::Lua;

struct Undump<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Undump<'_> {
    fn bytes(&mut self, n: usize) -> &[u8] {
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    fn byte(&mut self) -> u8 {
        self.bytes(1)[0]
    }
    fn int(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes(4).try_into().unwrap())
    }
    fn size(&mut self) -> usize {
        u64::from_le_bytes(self.bytes(8).try_into().unwrap()) as usize
    }
    fn string(&mut self) -> Option<Vec<u8>> {
        let n = self.size();
        if n == 0 {
            None
        } else {
            Some(self.bytes(n)[..n - 1].to_vec())
        }
    }
    fn function(&mut self, l: &mut Lua, parent: &str) -> Proto {
        let source = match self.string() {
            Some(s) => String::from_utf8_lossy(&s).into_owned(),
            None => parent.to_string(),
        };
        let line_defined = self.int();
        let last_line_defined = self.int();
        let num_upvalues = self.byte();
        let num_params = self.byte();
        let is_vararg = self.byte();
        let max_stack = self.byte();
        let n = self.int() as usize;
        let code = (0..n).map(|_| self.int()).collect();
        let n = self.int() as usize;
        let mut constants = Vec::new();
        for _ in 0..n {
            let v = match self.byte() {
                0 => Value::Nil,
                1 => Value::Bool(self.byte() != 0),
                3 => Value::Num(f64::from_le_bytes(self.bytes(8).try_into().unwrap())),
                4 => {
                    let s = self.string().unwrap_or_default();
                    l.new_str(&s)
                }
                t => panic!("constant type {t}"),
            };
            constants.push(v);
        }
        let n = self.int() as usize;
        let protos = (0..n).map(|_| Rc::new(self.function(l, &source))).collect();
        let n = self.int() as usize;
        let line_info = (0..n).map(|_| self.int()).collect();
        let n = self.int() as usize;
        let mut loc_vars = Vec::new();
        for _ in 0..n {
            let name = self.string().unwrap_or_default();
            let name = l.intern(&name);
            let start_pc = self.int();
            let end_pc = self.int();
            loc_vars.push(LocVar { name, start_pc, end_pc });
        }
        let n = self.int() as usize;
        let upvalue_names = (0..n)
            .map(|_| {
                let s = self.string().unwrap_or_default();
                l.intern(&s)
            })
            .collect();
        Proto {
            code,
            line_info,
            constants,
            protos,
            loc_vars,
            upvalue_names,
            source: source.into(),
            line_defined,
            last_line_defined,
            num_upvalues,
            num_params,
            is_vararg,
            max_stack,
        }
    }
}

/// Whether Debian's `lua5.1` and `luac5.1` (the reference these tests compare with) are installed. When they are
/// not, the test prints `skipped: ...` and returns; with `FERREDIS_REQUIRE_ORACLES=1` (CI) it fails instead.
pub(crate) fn have_reference_lua() -> bool {
    let found = ["luac5.1", "lua5.1"].iter().all(|b| {
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(b).is_file()))
    });
    if !found {
        assert!(
            std::env::var("FERREDIS_REQUIRE_ORACLES").map_or(true, |v| v != "1"),
            "lua5.1/luac5.1 are not installed and FERREDIS_REQUIRE_ORACLES=1 (apt-get install lua5.1)"
        );
        println!("skipped: lua5.1/luac5.1 not installed");
    }
    found
}

/// Compile `src` with `luac5.1` (chunk name "=stdin", like `lua5.1 -`) and load it.
pub(crate) fn luac(l: &mut Lua, src: &str) -> Value {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let out = std::env::temp_dir().join(format!(
        "ferredis-vmtest-{}-{:?}.luac",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut child = Command::new("luac5.1")
        .arg("-o")
        .arg(&out)
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("luac5.1");
    child.stdin.take().unwrap().write_all(src.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "luac5.1: {}", String::from_utf8_lossy(&o.stderr));
    let bin = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    assert_eq!(&bin[..12], b"\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00");
    let mut u = Undump { b: &bin, pos: 12 };
    let p = u.function(l, "=?");
    l.load_proto(Rc::new(p)).unwrap()
}

fn n_pcall(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    l.check_any(1)?;
    let func = l.base;
    let ok = l.pcall(host, func, -1, None)?;
    l.stack.insert(func, Value::Bool(ok));
    Ok(l.stack.len() - func)
}

fn n_xpcall(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let h = l.arg(2);
    let func = l.base;
    l.stack.truncate(func + 1);
    let ok = l.pcall(host, func, -1, Some(h))?;
    l.stack.insert(func, Value::Bool(ok));
    Ok(l.stack.len() - func)
}

fn n_error(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let v = l.arg(1);
    let level = l.opt_int(2, 1)? as usize;
    if let (Value::Str(s), true) = (v, level > 0) {
        let mut text = l.where_prefix(level).into_bytes();
        text.extend_from_slice(l.heap.str(s));
        let v = l.new_string(text);
        return Err(l.error_value(v));
    }
    Err(l.error_value(v))
}

fn n_setmetatable(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    l.heap.table_mut(t).metatable = match l.arg(2) {
        Value::Table(m) => Some(m),
        _ => None,
    };
    l.push(Value::Table(t));
    Ok(1)
}

fn n_tostring(l: &mut Lua, host: &mut dyn Any) -> Result<usize, LuaError> {
    let v = l.arg(1);
    let s = l.tostring(host, v)?;
    l.push(s);
    Ok(1)
}

fn n_select(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let n = l.nargs();
    if let Some(b"#") = l.str_bytes(l.arg(1)) {
        l.push(Value::Num((n - 1) as f64));
        return Ok(1);
    }
    let i = l.check_int(1)? as usize;
    Ok(n.saturating_sub(i))
}

fn n_next(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    match l.next(t, l.arg(2))? {
        Some((k, v)) => {
            l.push(k);
            l.push(v);
            Ok(2)
        }
        None => {
            l.push(Value::Nil);
            Ok(1)
        }
    }
}

fn n_pairs(l: &mut Lua, _host: &mut dyn Any) -> Result<usize, LuaError> {
    let t = l.check_table(1)?;
    let next = l.get_global("next");
    l.push(next);
    l.push(Value::Table(t));
    l.push(Value::Nil);
    Ok(3)
}

fn state() -> Lua {
    let mut l = Lua::new();
    // Test threads have 2 MiB stacks.
    l.vm.c_stack_budget = 1 << 20;
    let g = l.globals;
    l.register(g, "pcall", n_pcall);
    l.register(g, "xpcall", n_xpcall);
    l.register(g, "error", n_error);
    l.register(g, "setmetatable", n_setmetatable);
    l.register(g, "tostring", n_tostring);
    l.register(g, "select", n_select);
    l.register(g, "next", n_next);
    l.register(g, "pairs", n_pairs);
    crate::lua::lib::coroutine::open(&mut l);
    l
}

/// Which compiler the helpers use: ours ([`Lua::load`](crate::lua::Lua::load)) or the reference `luac5.1`.
#[derive(Clone, Copy)]
enum Via {
    Load,
    Luac,
}

fn run_via(l: &mut Lua, src: &str, via: Via) -> Result<Vec<Value>, LuaError> {
    let f = match via {
        Via::Luac => luac(l, src),
        Via::Load => l.load(src.as_bytes(), "=stdin")?,
    };
    l.call(&mut (), f, &[])
}

fn run_in(l: &mut Lua, src: &str) -> Result<Vec<Value>, LuaError> {
    run_via(l, src, Via::Load)
}

/// Run `src`, returning its results shown as text (strings quoted with '').
fn show(l: &mut Lua, vals: &[Value]) -> String {
    vals.iter()
        .map(|v| match v {
            Value::Str(s) => format!("'{}'", String::from_utf8_lossy(l.heap.str(*s))),
            Value::Num(_) => String::from_utf8_lossy(&l.to_bytes(*v).unwrap()).into_owned(),
            Value::Nil => "nil".into(),
            Value::Bool(b) => b.to_string(),
            other => other.type_name().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The results of `src` as text, the same through both compilers.
fn ok(src: &str) -> String {
    let mut out = Vec::new();
    for via in [Via::Luac, Via::Load] {
        let mut l = state();
        let r = run_via(&mut l, src, via);
        match r {
            Ok(v) => out.push(show(&mut l, &v)),
            Err(e) => panic!("error: {}", String::from_utf8_lossy(&l.error_text(&e).unwrap_or_default())),
        }
    }
    assert_eq!(out[0], out[1], "luac5.1 vs load for {src}");
    out.pop().unwrap_or_default()
}

/// The error message of `src`, the same through both compilers.
fn err(src: &str) -> String {
    let mut out = Vec::new();
    for via in [Via::Luac, Via::Load] {
        let mut l = state();
        match run_via(&mut l, src, via) {
            Ok(v) => panic!("expected an error, got {}", show(&mut l, &v)),
            Err(e) => out.push(
                String::from_utf8_lossy(&l.error_text(&e).unwrap_or_else(|| b"<non-string>".to_vec())).into_owned(),
            ),
        }
    }
    assert_eq!(out[0], out[1], "luac5.1 vs load for {src}");
    out.pop().unwrap_or_default()
}

#[test]
fn arithmetic_and_coercion() {
    if !have_reference_lua() {
        return;
    }
    assert_eq!(ok("return 1 + 2 * 3, '10' + 1, 7 % 3, -7 % 3, 7 % -3, 2 ^ 10, 7 / 2, -'2'"), "7,11,1,2,-2,1024,3.5,-2");
    assert_eq!(ok("local a, b = 5.5, 2 return a % b, a - b, a * b"), "1.5,3.5,11");
    assert_eq!(ok("return 1 .. 2, 'a' .. 1.5 .. 'b', #'abc', #{1, 2, 3}"), "'12','a1.5b',3,3");
    assert_eq!(
        ok("return 1 < 2, 'a' < 'b', 'a\\0b' < 'a\\0c', 2 <= 2, not nil, 1 == 1.0, 'x' ~= 'x'"),
        "true,true,true,true,true,true,false"
    );
}

#[test]
fn control_flow_and_loops() {
    if !have_reference_lua() {
        return;
    }
    assert_eq!(ok("local s = 0 for i = 1, 10 do s = s + i end return s"), "55");
    assert_eq!(ok("local s = 0 for i = 10, 1, -2 do s = s + i end return s"), "30");
    assert_eq!(ok("local s = 0 for i = '1', '3' do s = s + i end return s"), "6");
    assert_eq!(ok("local t, s = {10, 20, 30}, 0 for k, v in pairs(t) do s = s + k * v end return s"), "140");
    assert_eq!(ok("local i, s = 0, 0 while i < 5 do i = i + 1 if i % 2 == 0 then s = s + i end end return s"), "6");
    assert_eq!(ok("local i = 0 repeat i = i + 1 until i >= 3 return i"), "3");
    assert_eq!(ok("local a = nil or false or 'x' local b = 1 and 2 return a, b"), "'x',2");
}

#[test]
fn calls_varargs_and_multiple_results() {
    if !have_reference_lua() {
        return;
    }
    assert_eq!(ok("local function f(...) return select('#', ...), ... end return f(1, nil, 3)"), "3,1,nil,3");
    assert_eq!(ok("local function f() return 1, 2, 3 end local t = {f()} return #t, f()"), "3,1,2,3");
    assert_eq!(ok("local function f() return 1, 2, 3 end local t = {f(), f()} return #t"), "4");
    assert_eq!(ok("local function f(a, b) return b, a end return (f(1, 2))"), "2");
    assert_eq!(ok("local function f(a, ...) local x, y = ... return a, x, y end return f(1)"), "1,nil,nil");
    assert_eq!(ok("function g(...) return arg and arg.n end return g(1, 2)"), "2");
    assert_eq!(
        ok("local function f(n) if n == 0 then return 'done' end return f(n - 1) end return f(100000)"),
        "'done'"
    );
    assert_eq!(
        ok("local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end return fib(20)"),
        "6765"
    );
    assert_eq!(ok("local t = setmetatable({}, {__call = function(self, a) return a * 2 end}) return t(21)"), "42");
}

#[test]
fn closures_capture_fresh_variables() {
    if !have_reference_lua() {
        return;
    }
    assert_eq!(
        ok("local t = {} for i = 1, 3 do t[i] = function() return i end end return t[1](), t[2](), t[3]()"),
        "1,2,3"
    );
    assert_eq!(
        ok("local function counter() local n = 0 return function() n = n + 1 return n end end
            local a, b = counter(), counter() a() a() return a(), b()"),
        "3,1"
    );
    assert_eq!(
        ok("local fs = {} local i = 1 while i <= 3 do local j = i fs[i] = function() j = j + 10 return j end i = i + 1 end
            return fs[1](), fs[1](), fs[3]()"),
        "11,21,13"
    );
    // Two closures share one upvalue, which stays shared after the frame returns.
    assert_eq!(
        ok("local function mk() local v = 0 return function() v = v + 1 end, function() return v end end
            local inc, get = mk() inc() inc() return get()"),
        "2"
    );
}

#[test]
fn metamethods() {
    if !have_reference_lua() {
        return;
    }
    assert_eq!(
        ok("local t = setmetatable({}, {__index = function(t, k) return k .. '!' end}) return t.x, t[1]"),
        "'x!','1!'"
    );
    assert_eq!(ok("local base = {a = 1} local t = setmetatable({}, {__index = base}) return t.a, t.b"), "1,nil");
    assert_eq!(
        ok("local log = {} local t = setmetatable({}, {__newindex = function(t, k, v) rawlog = k end}) t.x = 1 return rawlog, t.x"),
        "'x',nil"
    );
    assert_eq!(
        ok("local mt = {__add = function(a, b) return 'add' end, __concat = function(a, b) return 'cat' end,
                       __unm = function(a) return 'unm' end, __len = function() return 'len' end}
            local t = setmetatable({}, mt) return t + 1, 1 + t, t .. 'x', 'x' .. t, -t, #t"),
        "'add','add','cat','cat','unm',0"
    );
    assert_eq!(
        ok("local mt = {__lt = function(a, b) return true end} local a, b = setmetatable({}, mt), setmetatable({}, mt)
            return a < b, a <= b, a > b"),
        "true,false,true"
    );
    assert_eq!(
        ok("local mt = {__eq = function(a, b) return true end} local a, b = setmetatable({}, mt), setmetatable({}, mt)
            local c = setmetatable({}, {__eq = function() return true end})
            return a == b, a ~= b, a == c, a == a"),
        "true,false,false,true"
    );
    assert_eq!(ok("local t = setmetatable({}, {__tostring = function() return 'T' end}) return tostring(t)"), "'T'");
    assert_eq!(
        err("local a = {} local b = setmetatable({}, {__index = a}) setmetatable(a, {__index = b}) return b.x"),
        "stdin:1: loop in gettable"
    );
    assert_eq!(
        err("local a = {} local b = setmetatable({}, {__newindex = a}) setmetatable(a, {__newindex = b}) b.x = 1"),
        "stdin:1: loop in settable"
    );
}

#[test]
fn error_messages_name_variables() {
    if !have_reference_lua() {
        return;
    }
    assert_eq!(err("local t = nil return t.x"), "stdin:1: attempt to index local 't' (a nil value)");
    assert_eq!(err("return foo.bar"), "stdin:1: attempt to index global 'foo' (a nil value)");
    assert_eq!(err("foo()"), "stdin:1: attempt to call global 'foo' (a nil value)");
    assert_eq!(err("local t = {} t.x.y = 1"), "stdin:1: attempt to index field 'x' (a nil value)");
    assert_eq!(
        err("local t = {x = {}} return t.x + 1"),
        "stdin:1: attempt to perform arithmetic on field 'x' (a table value)"
    );
    assert_eq!(
        err("local u\nlocal f = function() return 'a' .. u end\nreturn f()"),
        "stdin:2: attempt to concatenate upvalue 'u' (a nil value)"
    );
    assert_eq!(err("return {} < {}"), "stdin:1: attempt to compare two table values");
    assert_eq!(err("return 1 < nil"), "stdin:1: attempt to compare number with nil");
    assert_eq!(err("return 'a' < 1"), "stdin:1: attempt to compare string with number");
    assert_eq!(err("local s = 'x' return s:nope()"), "stdin:1: attempt to index local 's' (a string value)");
    assert_eq!(err("local t = {} t:m()"), "stdin:1: attempt to call method 'm' (a nil value)");
    assert_eq!(err("return #nil"), "stdin:1: attempt to get length of a nil value");
    assert_eq!(err("return -{}"), "stdin:1: attempt to perform arithmetic on a table value");
    assert_eq!(err("for i = 'x', 2 do end"), "stdin:1: 'for' initial value must be a number");
    assert_eq!(err("for i = 1, {} do end"), "stdin:1: 'for' limit must be a number");
    assert_eq!(err("for i = 1, 2, nil do end"), "stdin:1: 'for' step must be a number");
    assert_eq!(err("local t = {} t[nil] = 1"), "stdin:1: table index is nil");
    assert_eq!(err("local t = {} t[0/0] = 1"), "stdin:1: table index is NaN");
    assert_eq!(err("\n\nerror('boom')"), "stdin:3: boom");
    assert_eq!(err("local function f() error('deep', 2) end\nf()"), "stdin:2: deep");
}

#[test]
fn error_messages_match_lua51() {
    if !have_reference_lua() {
        return;
    }
    // The reference interpreter decides: run each snippet through lua5.1 and compare the message.
    let cases = [
        "local t = nil return t.x",
        "return a.b.c",
        "local a = {} return a.b.c",
        "x = 1 return x()",
        "local up = {} return (function() return up.x.y end)()",
        "return ('x')()",
        "return 1 + {}",
        "local s = 'a' return s + {}",
        "return 2 ^ nil",
        "local t = {} return t .. 'x'",
        "return {} .. 'x'",
        "return true < false",
        "return pcall < 1",
        "local a, b = 1 return a <= b",
        "local t = setmetatable({}, {__index = function(t, k) return nil + 1 end}) return t.x",
    ];
    for src in cases {
        let mut l = state();
        let mine = match run_in(&mut l, src) {
            Ok(_) => "<no error>".to_string(),
            Err(e) => String::from_utf8_lossy(&l.error_text(&e).unwrap_or_default()).into_owned(),
        };
        let out = std::process::Command::new("lua5.1")
            .arg("-e")
            .arg(format!("local f = assert(loadstring({src:?}, '=stdin')) local ok, e = pcall(f) io.write(ok and '<no error>' or tostring(e))"))
            .output()
            .expect("lua5.1");
        let theirs = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(mine, theirs, "for {src}");
    }
}

#[test]
fn pcall_catches_and_restores() {
    if !have_reference_lua() {
        return;
    }
    assert_eq!(ok("return pcall(error, 'x')"), "false,'x'");
    assert_eq!(
        ok("return pcall(function() local t = nil return t.x end)"),
        "false,'stdin:1: attempt to index local 't' (a nil value)'"
    );
    assert_eq!(ok("local ok, e = pcall(error, {code = 1}) return ok, e.code"), "false,1");
    assert_eq!(ok("return pcall(function(...) return ... end, 1, 2)"), "true,1,2");
    assert_eq!(ok("local n = 0 for i = 1, 100 do pcall(error, i) n = n + 1 end return n"), "100");
    // Upvalues of the failed frames are closed with their last values.
    assert_eq!(
        ok("local get local ok = pcall(function() local v = 5 get = function() return v end v = 6 error('x') end)
            return ok, get()"),
        "false,6"
    );
    // xpcall's handler runs at the error point and its result is the error value.
    assert_eq!(
        ok("return xpcall(function() error('e') end, function(m) return 'handled: ' .. m end)"),
        "false,'handled: stdin:1: e'"
    );
}

#[test]
fn deep_recursion_is_a_clean_stack_overflow() {
    if !have_reference_lua() {
        return;
    }
    let e = err("local function f() return 1 + f() end return f()");
    assert!(e.ends_with("stack overflow"), "{e}");
    assert_eq!(
        ok("local function f() return 1 + f() end local ok, e = pcall(f) return ok, (string and 1 or 2)"),
        "false,2"
    );
    // Native re-entry (pcall inside pcall...) is bounded too.
    let e = ok("local function f() return pcall(f) end return f()");
    assert!(e.starts_with("true,true") || e.contains("false"), "{e}");
    let mut l = state();
    let r = run_in(&mut l, "local function f() local ok, e = pcall(f) if not ok then error(e, 0) end end f()");
    let msg = String::from_utf8_lossy(&l.error_text(&r.unwrap_err()).unwrap()).into_owned();
    assert!(msg.contains("stack overflow"), "{msg}");
    assert!(l.frames.is_empty() && l.stack.is_empty());
}

#[test]
fn memory_limit_raises_not_enough_memory() {
    let mut l = state();
    l.heap.limit = l.heap.bytes + 4 * 1024 * 1024;
    let r = run_in(&mut l, "local t = {} for i = 1, 1e6 do t[i] = i end return #t");
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Memory);
    assert_eq!(l.error_text(&e).unwrap(), b"not enough memory");
    // The state is usable afterwards and the garbage is collectable.
    l.full_gc();
    assert!(l.heap.bytes < l.heap.limit);
    let v = run_in(&mut l, "return 1 + 1").unwrap();
    assert_eq!(show(&mut l, &v), "2");
    // pcall catches it.
    let v = run_in(&mut l, "return pcall(function() local t = {} for i = 1, 1e6 do t[i] = i end end)").unwrap();
    assert_eq!(show(&mut l, &v), "false,'not enough memory'");
}

#[test]
fn garbage_is_collected_during_long_loops() {
    let mut l = state();
    l.heap.gc_threshold = 64 * 1024;
    let v = run_in(
        &mut l,
        "local keep = {} for i = 1, 20000 do local t = {i, tostring(i)} if i % 1000 == 0 then keep[#keep + 1] = t end end
         local s = 0 for _, t in pairs(keep) do s = s + t[1] + tostring(t[2]) end return s",
    )
    .unwrap();
    assert_eq!(show(&mut l, &v), "420000");
    assert!(l.heap.cycles > 0);
}

#[test]
fn hook_stops_a_runaway_script() {
    fn kill(l: &mut Lua, _h: &mut dyn Any) -> Result<(), LuaError> {
        let v = l.new_str(b"killed");
        Err(LuaError::new(ErrorKind::Killed, v))
    }
    let mut l = state();
    l.hook = Some(kill);
    l.hook_interval = 1000;
    l.vm.hook_left = 1000;
    let e = run_in(&mut l, "while true do pcall(function() end) end").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Killed);
    assert!(l.frames.is_empty() && l.stack.is_empty() && l.native_depth == 0);
}

#[test]
fn coroutines() {
    if !have_reference_lua() {
        return;
    }
    assert_eq!(
        ok("local co = coroutine.create(function(a, b) local c = coroutine.yield(a + b) local d, e = coroutine.yield(c * 2) return d + e end)
            local r = {} local function add(...) for i = 1, select('#', ...) do r[#r + 1] = tostring((select(i, ...))) end end
            add(coroutine.resume(co, 1, 2)) add(coroutine.resume(co, 10)) add(coroutine.resume(co, 3, 4)) add(coroutine.resume(co))
            add(coroutine.status(co))
            return unpackr and 1 or #r, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]"),
        "9,'true','3','true','20','true','7','false','cannot resume dead coroutine','dead'"
    );
    assert_eq!(
        ok("local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
            return gen(), gen(), gen()"),
        "1,2,3"
    );
    assert_eq!(
        ok("local co co = coroutine.create(function() return coroutine.status(co), coroutine.running() == co end)
            return coroutine.resume(co)"),
        "true,'running',true"
    );
    assert_eq!(ok("return coroutine.resume(coroutine.create(function() error('x') end))"), "false,'stdin:1: x'");
    assert_eq!(
        ok("local co = coroutine.create(function() return pcall(coroutine.yield, 1) end) return coroutine.resume(co)"),
        "true,false,'attempt to yield across metamethod/C-call boundary'"
    );
    assert_eq!(err("coroutine.yield(1)"), "attempt to yield across metamethod/C-call boundary");
    assert_eq!(err("local f = coroutine.wrap(function() error('inner') end)\nf()"), "stdin:2: stdin:1: inner");
    // Upvalues of a suspended coroutine point into its saved stack.
    assert_eq!(
        ok("local get local co = coroutine.create(function() local v = 1 get = function() return v end coroutine.yield() v = 2 coroutine.yield() end)
            coroutine.resume(co) local a = get() coroutine.resume(co) local b = get() coroutine.resume(co) return a, b, get()"),
        "1,2,2"
    );
    // Nested coroutines and "normal" status.
    assert_eq!(
        ok("local outer outer = coroutine.create(function()
              local inner = coroutine.create(function() return coroutine.status(outer) end)
              return coroutine.resume(inner) end)
            return coroutine.resume(outer)"),
        "true,true,'normal'"
    );
    assert_eq!(
        ok("return coroutine.resume(coroutine.running and coroutine.create(function() return pcall(error) end))"),
        "true,false,nil"
    );
}

#[test]
fn collected_coroutines_and_closures() {
    let mut l = state();
    let v = run_in(
        &mut l,
        "local n = 0 for i = 1, 2000 do local co = coroutine.wrap(function(a) local b = coroutine.yield(a) n = n + b end) co(i) co(1) end return n",
    )
    .unwrap();
    assert_eq!(show(&mut l, &v), "2000");
    l.full_gc();
    let counts = l.heap.counts();
    assert!(counts[4] < 10, "threads left: {}", counts[4]);
}

#[test]
fn load_reports_syntax_errors() {
    let mut l = state();
    let e = l.load(b"x = = 1", "@user_script").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(l.error_text(&e).unwrap(), b"user_script:1: unexpected symbol near '='");
    let f = l.load(b"return ...", "@user_script").unwrap();
    let r = l.call(&mut (), f, &[Value::Num(1.0), Value::Bool(true)]).unwrap();
    assert_eq!(show(&mut l, &r), "1,true");
}

#[test]
fn api_entry_points() {
    if !have_reference_lua() {
        return;
    }
    let mut l = state();
    let f = luac(&mut l, "return function(a, b) return a .. b, select('#', a, b) end");
    let g = l.call(&mut (), f, &[]).unwrap()[0];
    let x = l.new_str(b"x");
    let r = l.call(&mut (), g, &[x, Value::Num(1.0)]).unwrap();
    assert_eq!(show(&mut l, &r), "'x1',2");
    assert!(matches!(l.heap.func(Lua::as_func(g).unwrap()), Function::Lua(_)));
    // index/set_index/equals/less_than from Rust.
    let t = Value::Table(l.new_table(0, 0));
    let k = l.new_str(b"k");
    l.set_index(&mut (), t, k, Value::Num(5.0)).unwrap();
    assert!(l.index(&mut (), t, k).unwrap().raw_eq(Value::Num(5.0)));
    assert!(l.less_than(&mut (), Value::Num(1.0), Value::Num(2.0)).unwrap());
    let e = l.less_than(&mut (), Value::Num(1.0), t).unwrap_err();
    assert_eq!(l.error_text(&e).unwrap(), b"attempt to compare number with table");
    assert!(l.equals(&mut (), t, t).unwrap());
    let s = l.tostring(&mut (), Value::Num(0.1)).unwrap();
    assert_eq!(l.str_bytes(s).unwrap(), b"0.1");
    assert_eq!(l.where_prefix(1), "");
    assert!(l.stack.is_empty() && l.frames.is_empty());
}

/// The VM against `lua5.1` on CPU-bound scripts (run by `benches/lua_vm.sh`; prints, asserts nothing about
/// time). Each script runs once in each interpreter; `lua5.1` is timed around its process, which adds its
/// start-up (about a millisecond).
#[test]
#[ignore]
fn bench_vs_lua51() {
    let scripts = [
        ("add_10M", "local s = 0 for i = 1, 10000000 do s = s + i end return s"),
        ("fib_27", "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end return fib(27)"),
        (
            "string_build",
            "local n = 0 for i = 1, 300000 do local s = 'key:' .. i .. ':' .. (i * 2) n = n + #s end
             local acc = '' for i = 1, 20000 do acc = acc .. 'ab' end return n + #acc",
        ),
        (
            "table_insert",
            "local t = {} for i = 1, 1000000 do t[i] = i end local h = {} for i = 1, 200000 do h['k' .. i] = i end
             local s = 0 for i = 1, #t do s = s + t[i] end return s + h.k777",
        ),
        (
            "method_calls",
            "local P = {} P.__index = P function P.new(x) return setmetatable({x = x}, P) end
             function P:get() return self.x end local s = 0 local o = P.new(3)
             for i = 1, 3000000 do s = s + o:get() end return s",
        ),
        ("closures", "local s = 0 for i = 1, 300000 do local f = function() return i end s = s + f() end return s"),
    ];
    println!("{:<14} {:>10} {:>10} {:>7}", "script", "ferredis", "lua5.1", "ratio");
    for (name, src) in scripts {
        let mut l = state();
        let f = l.load(src.as_bytes(), "=bench").unwrap();
        let t0 = std::time::Instant::now();
        let r = l.call(&mut (), f, &[]).unwrap();
        let mine = t0.elapsed().as_secs_f64();
        let mine_out = show(&mut l, &r);
        let path = std::env::temp_dir().join(format!("ferredis-bench-{name}.lua"));
        std::fs::write(&path, format!("local function run() {src} end io.write(string.format('%.14g', run()))"))
            .unwrap();
        let t0 = std::time::Instant::now();
        let out = std::process::Command::new("lua5.1").arg(&path).output().expect("lua5.1");
        let theirs = t0.elapsed().as_secs_f64();
        let _ = std::fs::remove_file(&path);
        assert_eq!(mine_out, String::from_utf8_lossy(&out.stdout), "{name}");
        println!("{name:<14} {:>9.3}s {:>9.3}s {:>6.2}x", mine, theirs, mine / theirs);
    }
}
