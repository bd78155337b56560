//! The wire protocol: a resumable zero-copy request parser and reply encoders.

#![forbid(unsafe_code)]

pub mod int_args;
pub mod parse;
pub mod reply;

/// Appends a command as a RESP request: `*<n>\r\n` then `$<len>\r\n<arg>\r\n` per argument (what the AOF, the
/// replication stream and a replica's REPLCONF ACK carry; Redis's `catAppendOnlyGenericCommand`).
pub fn encode_command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    out.reserve(16 + argv.iter().map(|a| a.len() + 16).sum::<usize>());
    push_header(out, b'*', argv.len());
    for a in argv {
        push_header(out, b'$', a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// `<prefix><n>\r\n` without a heap-allocated string (this runs for every propagated argument).
#[inline]
fn push_header(out: &mut Vec<u8>, prefix: u8, n: usize) {
    let mut digits = [0u8; 24];
    out.push(prefix);
    out.extend_from_slice(crate::util::utoa_buf(n as u64, &mut digits));
    out.extend_from_slice(b"\r\n");
}
