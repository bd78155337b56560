//! Helpers every command family uses: Redis's HELP reply layout and its unknown-subcommand error. One copy each,
//! here (they used to live in `keys.rs` and `command_cmd.rs`, with two different HELP endings).

use crate::resp::reply::Reply;

/// The reply for `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
pub(crate) fn err_unknown_subcommand(r: &mut Reply, cmd: &str, sub: &[u8]) {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
    r.error(&format!("ERR unknown subcommand '{sub}'. Try {} HELP.", cmd.to_ascii_uppercase()));
}

/// Replies a HELP text the way Redis's `addReplyHelp` does: a header line naming the command (upper case), the
/// given lines, and the HELP entry, all as status strings.
pub(crate) fn reply_help(r: &mut Reply, cmd: &str, lines: &[&str]) {
    r.array(lines.len() + 3);
    r.simple(&format!("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd.to_ascii_uppercase()));
    for l in lines {
        r.simple(l);
    }
    r.simple("HELP");
    r.simple("    Prints this help.");
}
