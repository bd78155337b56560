//! The Lua compiler on arbitrary bytes: `compile` returns `Ok` or `Err` and never panics, overflows or loops;
//! whatever it accepts passes the bytecode verifier (`luaG_checkcode`'s rules: registers, constants, jumps,
//! open calls, CLOSURE pseudo-instructions); every error message carries the chunk name and a line, except
//! the three limits Lua reports without a position. Compiling the same input twice gives the same result.
#![no_main]
use ferredis::lua::debug::verify;
use ferredis::lua::heap::Heap;
use ferredis::lua::parse::compile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut heap = Heap::new();
    let first = compile(&mut heap, data, "@user_script");
    match &first {
        Ok(p) => {
            if let Err(e) = verify(p) {
                panic!("compiled code fails verification: {e}");
            }
        }
        Err(e) => {
            let positioned = e.starts_with("user_script:");
            let plain =
                matches!(e.as_str(), "constant table overflow" | "too many local variables" | "code size overflow");
            assert!(positioned || plain, "unexpected message shape: {e}");
        }
    }
    let second = compile(&mut heap, data, "@user_script");
    match (&first, &second) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.code, b.code);
            assert_eq!(a.constants.len(), b.constants.len());
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("compiling twice gave different outcomes"),
    }
});
