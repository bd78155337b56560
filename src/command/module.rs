//! MODULE: ferredis loads no modules, so it answers as a Redis 7.0 that cannot load the file it is given.
//!
//! LIST names the built-in module families ([`BUILT_IN`]: `ReJSON` and `bf`, as Redis 8 lists its bundled
//! modules) and UNLOAD never finds a name. LOAD and LOADEX check the file the way Redis's `moduleLoad`
//! does (stat for an execute bit, then `dlopen`), but instead of calling `dlopen` they read the file and log the
//! reason glibc's loader would give (missing file, directory, short file, not ELF, an executable) or that the
//! library exports no `RedisModule_OnLoad`; a real Redis module gets a line of our own saying modules are not
//! loaded here. The reply is Redis's in every case. LOAD, LOADEX and UNLOAD are refused unless
//! `enable-module-command` allows the client (Redis's `CMD_PROTECTED`, checked in admission).

use super::shared::{help_entry, reply_help};
use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::command_spec::BUILT_IN;
use crate::log::LogLevel;

/// The refusal of MODULE LOAD/LOADEX/UNLOAD under `enable-module-command no` (or `local` from a remote client).
pub const MODULE_NOT_ALLOWED: &str = "ERR MODULE command not allowed. If the enable-module-command option is set \
to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration \
file, and then restart the server.";

const LOAD_FAILED: &str = "ERR Error loading the extension. Please check the server logs.";

const SUB: Command = Command {
    group: Group::Server,
    flags: flag::NO_ASYNC_LOADING | flag::ADMIN | flag::NOSCRIPT,
    acl: "admin slow dangerous",
    since: "4.0.0",
    ..BASE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "module",
    arity: -2,
    acl: "slow",
    group: Group::Server,
    since: "4.0.0",
    summary: "A container for module commands",
    complexity: "Depends on subcommand.",
    handler: super::shared::container,
    subcommands: SUBCOMMANDS,
    ..BASE
}];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    Command { since: "5.0.0", ..help_entry(SUB, module_help) },
    Command {
        name: "list",
        arity: 2,
        flags: flag::ADMIN | flag::NOSCRIPT,
        summary: "List all modules loaded by the server",
        complexity: "O(N) where N is the number of loaded modules.",
        tips: "nondeterministic_output_order",
        handler: module_list,
        ..SUB
    },
    Command {
        name: "load",
        arity: -3,
        summary: "Load a module",
        syntax: "path [arg [arg ...]]",
        handler: module_load,
        ..SUB
    },
    Command {
        name: "loadex",
        arity: -3,
        since: "7.0.0",
        summary: "Load a module with extended parameters",
        syntax: "path [CONFIG name value [CONFIG name value ...]]{configs} [ARGS arg [arg ...]]{args:block}",
        handler: module_loadex,
        ..SUB
    },
    Command { name: "unload", arity: 3, summary: "Unload a module", syntax: "name", handler: module_unload, ..SUB },
];

/// Whether a full command name is one of the protected MODULE subcommands.
pub fn is_protected(full_name: &str) -> bool {
    matches!(full_name, "module|load" | "module|loadex" | "module|unload")
}

/// MODULE HELP
fn module_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "module",
        &[
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ],
    );
}

/// MODULE LIST: the built-in module families, listed as Redis 8 lists its bundled modules (clients probe for
/// `ReJSON` and `bf` here); no other module is ever loaded.
fn module_list(ctx: &mut Ctx, _args: Args) {
    let r = ctx.reply();
    r.array(BUILT_IN.len());
    for &(name, ver, _, _) in BUILT_IN {
        r.map(4);
        r.bulk(b"name");
        r.bulk(name.as_bytes());
        r.bulk(b"ver");
        r.int(ver);
        r.bulk(b"path");
        r.bulk(b"");
        r.bulk(b"args");
        r.array(0);
    }
}

/// INFO's `# Modules` lines of the built-in modules (Redis's `genModulesInfoString`).
pub fn info_modules_lines() -> String {
    BUILT_IN
        .iter()
        .map(|(name, ver, options, _)| {
            format!("module:name={name},ver={ver},api=1,filters=0,usedby=[],using=[],options={options}\r\n")
        })
        .collect()
}

/// MODULE LOAD path [arg ...]
fn module_load(ctx: &mut Ctx, args: Args) {
    load_failed(args.get(2));
    ctx.reply().error(LOAD_FAILED);
}

/// MODULE LOADEX path [CONFIG name value ...] [ARGS arg ...]: the arguments are checked first, as Redis's
/// `parseLoadexArguments` (its complaints are notices), then the file.
fn module_loadex(ctx: &mut Ctx, args: Args) {
    let mut i = 3;
    let mut parsed = true;
    while i < args.len() {
        let a = args.get(i);
        if a.eq_ignore_ascii_case(b"config") {
            if i + 2 >= args.len() {
                crate::log::log(LogLevel::Notice, "CONFIG specified without name value pair");
                parsed = false;
                break;
            }
            i += 3;
        } else if a.eq_ignore_ascii_case(b"args") {
            break;
        } else {
            let around = String::from_utf8_lossy(a);
            crate::log::log(LogLevel::Notice, &format!("Syntax Error from arguments to loadex around {around}."));
            parsed = false;
            break;
        }
    }
    if parsed {
        load_failed(args.get(2));
    }
    ctx.reply().error(LOAD_FAILED);
}

/// MODULE UNLOAD name: no module has that name.
fn module_unload(ctx: &mut Ctx, _args: Args) {
    ctx.reply().error("ERR Error unloading module: no such module with that name");
}

/// Logs why `path` was not loaded, in the words Redis 7.0 on glibc would use.
fn load_failed(path: &[u8]) {
    let shown = String::from_utf8_lossy(path);
    let line = match load_refusal(path) {
        Refusal::NoOnLoad => format!("Module {shown} does not export RedisModule_OnLoad() symbol. Module not loaded."),
        Refusal::NotExecutable => format!("Module {shown} failed to load: It does not have execute permissions."),
        Refusal::Loader(why) => format!("Module {shown} failed to load: {shown}: {why}"),
        Refusal::IsModule => format!("Module {shown} failed to load: ferredis does not load Redis modules"),
    };
    crate::log::log(LogLevel::Warning, &line);
}

#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    NotExecutable,
    /// What glibc's `dlerror` would say after the path.
    Loader(&'static str),
    NoOnLoad,
    IsModule,
}

fn load_refusal(path: &[u8]) -> Refusal {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let p = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    if let Ok(meta) = std::fs::metadata(p) {
        if meta.permissions().mode() & 0o111 == 0 {
            return Refusal::NotExecutable;
        }
    }
    // Without a slash dlopen searches the library path, not the working directory.
    if !path.contains(&b'/') {
        return Refusal::Loader("cannot open shared object file: No such file or directory");
    }
    let loader_error = |e: std::io::Error| {
        Refusal::Loader(match e.raw_os_error() {
            Some(libc::ENOENT) => "cannot open shared object file: No such file or directory",
            Some(libc::EACCES) => "cannot open shared object file: Permission denied",
            Some(libc::EISDIR) => "cannot read file data: Is a directory",
            _ => "cannot open shared object file: Input/output error",
        })
    };
    let file = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(e) => return loader_error(e),
    };
    // Only a regular file is read, and at most 256 MiB of it: a FIFO would block the server (Redis's dlopen
    // blocks on one) and a device could be endless; either reads as empty here ("file too short").
    let mut data = Vec::new();
    match file.metadata() {
        Ok(m) if m.is_dir() => return Refusal::Loader("cannot read file data: Is a directory"),
        Ok(m) if m.is_file() => {
            use std::io::Read;
            if let Err(e) = file.take(256 << 20).read_to_end(&mut data) {
                return loader_error(e);
            }
        }
        Ok(_) => {}
        Err(e) => return loader_error(e),
    }
    elf_refusal(&data)
}

/// What glibc says of a file's ELF header, or whether the library is a Redis module.
fn elf_refusal(data: &[u8]) -> Refusal {
    const ET_EXEC: u16 = 2;
    const PT_DYNAMIC: u32 = 2;
    const DT_FLAGS_1: u64 = 0x6fff_fffb;
    const DF_1_PIE: u64 = 0x0800_0000;
    if data.len() < 64 {
        return Refusal::Loader("file too short");
    }
    if data[..4] != *b"\x7fELF" || data[5] != 1 {
        return Refusal::Loader("invalid ELF header");
    }
    if data[4] != 2 {
        return Refusal::Loader("wrong ELF class: ELFCLASS32");
    }
    let u16_at = |o: usize| data.get(o..o + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| data.get(o..o + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let u64_at = |o: usize| data.get(o..o + 8).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    if u16_at(16) == ET_EXEC {
        return Refusal::Loader("cannot dynamically load executable");
    }
    // A position-independent executable is a shared object flagged DF_1_PIE in its dynamic section.
    let (phoff, phentsize, phnum) = (u64_at(32) as usize, u16_at(54) as usize, u16_at(56) as usize);
    for ph in (0..phnum).map(|k| phoff.saturating_add(k.saturating_mul(phentsize))) {
        if u32_at(ph) != PT_DYNAMIC {
            continue;
        }
        let (off, size) = (u64_at(ph + 8) as usize, u64_at(ph + 32) as usize);
        let end = off.saturating_add(size).min(data.len());
        let mut d = off;
        while d + 16 <= end {
            if u64_at(d) == DT_FLAGS_1 && u64_at(d + 8) & DF_1_PIE != 0 {
                return Refusal::Loader("cannot dynamically load position-independent executable");
            }
            d += 16;
        }
    }
    if memchr::memmem::find(data, b"RedisModule_OnLoad").is_some() {
        Refusal::IsModule
    } else {
        Refusal::NoOnLoad
    }
}

#[cfg(test)]
mod tests {
    /// The built-in table's JSON version is the JSON type's own.
    #[test]
    fn the_json_entry_has_the_types_version() {
        let json = crate::command_spec::BUILT_IN.iter().find(|m| m.0 == "ReJSON").expect("ReJSON");
        assert_eq!(json.1, crate::keyspace::types::json::MODULE_VERSION);
    }

    use super::*;

    #[test]
    fn elf_headers() {
        assert_eq!(elf_refusal(b"hi\n"), Refusal::Loader("file too short"));
        assert_eq!(elf_refusal(&[b'x'; 100]), Refusal::Loader("invalid ELF header"));
        let mut h = vec![0u8; 64];
        h[..6].copy_from_slice(b"\x7fELF\x01\x01");
        assert_eq!(elf_refusal(&h), Refusal::Loader("wrong ELF class: ELFCLASS32"));
        h[4] = 2;
        h[16] = 2;
        assert_eq!(elf_refusal(&h), Refusal::Loader("cannot dynamically load executable"));
        h[16] = 3;
        assert_eq!(elf_refusal(&h), Refusal::NoOnLoad);
        h.extend_from_slice(b"RedisModule_OnLoad");
        assert_eq!(elf_refusal(&h), Refusal::IsModule);
    }
}
