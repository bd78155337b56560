//! The cluster bus's binary messages, Redis 7.0's `clusterMsg` (`cluster.h`): encode and decode, no I/O.
//!
//! Every integer is big-endian. A message is a 2256-byte header (offsets checked by the tests against
//! `cluster.h`'s static asserts) followed by a type-specific body: gossip entries (104 bytes each) and ping
//! extensions for PING/PONG/MEET, a node name for FAIL, channel and message for PUBLISH/PUBLISHSHARD, a node's
//! configuration for UPDATE, a module payload for MODULE; nothing for the failover messages. [`decode`] checks the
//! declared length against the type as Redis's `clusterProcessPacket` does and never panics.

use super::{NodeId, NODE_ID_LEN, SLOTS};

/// Message types, Redis's `CLUSTERMSG_TYPE_*` values (they index the statistics arrays).
pub mod types {
    pub const PING: u16 = 0;
    pub const PONG: u16 = 1;
    pub const MEET: u16 = 2;
    pub const FAIL: u16 = 3;
    pub const PUBLISH: u16 = 4;
    pub const FAILOVER_AUTH_REQUEST: u16 = 5;
    pub const FAILOVER_AUTH_ACK: u16 = 6;
    pub const UPDATE: u16 = 7;
    pub const MFSTART: u16 = 8;
    pub const MODULE: u16 = 9;
    pub const PUBLISHSHARD: u16 = 10;
}

/// Number of message types (`CLUSTERMSG_TYPE_COUNT`).
pub const TYPE_COUNT: usize = 11;

/// Names of the types as CLUSTER INFO's `cluster_stats_messages_<name>_sent` print them
/// (`clusterGetMessageTypeString`).
pub const TYPE_NAMES: [&str; TYPE_COUNT] =
    ["ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module", "publishshard"];

/// The name of a type for log lines ("unknown" past the known ones).
pub fn type_name(t: u16) -> &'static str {
    TYPE_NAMES.get(t as usize).copied().unwrap_or("unknown")
}

/// Bytes of the header (`CLUSTERMSG_MIN_LEN`).
pub const HEADER_LEN: usize = 2256;
/// Bytes of one gossip entry (`clusterMsgDataGossip`).
pub const GOSSIP_LEN: usize = 104;
/// `NET_IP_STR_LEN`: the IP fields' size, NUL-terminated.
pub const IP_LEN: usize = 46;
/// Bytes of a slot bitmap.
pub const SLOT_BYTES: usize = SLOTS / 8;
/// Protocol version (`CLUSTER_PROTO_VER`).
pub const VERSION: u16 = 1;
/// The ping extension carrying the announced hostname (`CLUSTERMSG_EXT_TYPE_HOSTNAME`).
pub const EXT_HOSTNAME: u16 = 0;
/// The ping extension carrying the sender's shard id (Redis 7.2's `CLUSTERMSG_EXT_TYPE_SHARDID`: 40 bytes).
pub const EXT_SHARDID: u16 = 3;

/// `mflags[1]` bits. Redis (7.0 to 7.4) leaves `mflags[1]` zero and never reads it.
pub mod mflags1 {
    /// ferredis's own: the sender reads the shard-id extension. A Redis 7.0 node logs a warning for every
    /// extension type it does not know, so the shard id goes only to nodes that sent one (Redis 7.2+) or this bit.
    pub const SHARDID_OK: u8 = 0x80;
}

/// `mflags[0]` bits.
pub mod mflags0 {
    /// The sending master is paused for a manual failover.
    pub const PAUSED: u8 = 1;
    /// Vote even though the master is up (CLUSTER FAILOVER FORCE).
    pub const FORCEACK: u8 = 2;
    /// Ping extensions follow the gossip entries.
    pub const EXT_DATA: u8 = 4;
}

// Header field offsets (cluster.h's static asserts).
const O_TOTLEN: usize = 4;
const O_VER: usize = 8;
const O_PORT: usize = 10;
const O_TYPE: usize = 12;
const O_COUNT: usize = 14;
const O_CURRENT_EPOCH: usize = 16;
const O_CONFIG_EPOCH: usize = 24;
const O_OFFSET: usize = 32;
const O_SENDER: usize = 40;
const O_MYSLOTS: usize = 80;
const O_SLAVEOF: usize = 2128;
const O_MYIP: usize = 2168;
const O_EXTENSIONS: usize = 2214;
const O_PPORT: usize = 2246;
const O_CPORT: usize = 2248;
const O_FLAGS: usize = 2250;
const O_STATE: usize = 2252;
const O_MFLAGS: usize = 2253;

/// The header every message starts with. `count`, `extensions` and `totlen` are derived from the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub ty: u16,
    pub port: u16,
    pub current_epoch: u64,
    pub config_epoch: u64,
    pub offset: u64,
    pub sender: NodeId,
    pub myslots: Box<[u8; SLOT_BYTES]>,
    /// The sender's master, `None` for a master (all-zero on the wire).
    pub slaveof: Option<NodeId>,
    /// The announced IP (`cluster-announce-ip`), empty when the receiver takes it from the socket.
    pub myip: Vec<u8>,
    pub pport: u16,
    pub cport: u16,
    pub flags: u16,
    /// 0 = ok, 1 = fail.
    pub state: u8,
    pub mflags: [u8; 3],
}

impl Header {
    pub fn new(ty: u16, sender: NodeId) -> Header {
        Header {
            ty,
            port: 0,
            current_epoch: 0,
            config_epoch: 0,
            offset: 0,
            sender,
            myslots: Box::new([0; SLOT_BYTES]),
            slaveof: None,
            myip: Vec::new(),
            pport: 0,
            cport: 0,
            flags: 0,
            state: 0,
            mflags: [0; 3],
        }
    }
}

/// One gossip entry: what the sender knows of another node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gossip {
    pub id: NodeId,
    /// Seconds (Redis sends `ms / 1000`, truncated to 32 bits).
    pub ping_sent: u32,
    pub pong_received: u32,
    pub ip: Vec<u8>,
    pub port: u16,
    pub cport: u16,
    pub flags: u16,
    pub pport: u16,
}

/// What follows the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// PING, PONG, MEET: gossip entries, the hostname extension (`None`: no hostname announced) and the shard-id
    /// extension (`None`: not sent).
    Ping { gossip: Vec<Gossip>, hostname: Option<Vec<u8>>, shard_id: Option<NodeId> },
    /// FAIL about a node.
    Fail(NodeId),
    /// PUBLISH / PUBLISHSHARD.
    Publish { channel: Vec<u8>, message: Vec<u8> },
    /// UPDATE: a node's config epoch and slots.
    Update { config_epoch: u64, node: NodeId, slots: Box<[u8; SLOT_BYTES]> },
    /// MODULE: module id (kept as sent), type and payload.
    Module { module_id: u64, ty: u8, payload: Vec<u8> },
    /// FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART; and any unknown type (its bytes are ignored).
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub hdr: Header,
    pub body: Body,
}

/// Why a packet was dropped. `log` is the warning Redis prints for it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub log: Option<String>,
}

fn invalid() -> Invalid {
    Invalid { log: None }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn be64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(a)
}
fn id_at(b: &[u8], at: usize) -> NodeId {
    let mut id = [0u8; 40];
    id.copy_from_slice(&b[at..at + 40]);
    id
}
/// A NUL-terminated string in a fixed field.
fn cstr(field: &[u8]) -> Vec<u8> {
    let end = memchr::memchr(0, field).unwrap_or(field.len());
    field[..end].to_vec()
}
fn slots_at(b: &[u8], at: usize) -> Box<[u8; SLOT_BYTES]> {
    let mut s = Box::new([0u8; SLOT_BYTES]);
    s.copy_from_slice(&b[at..at + SLOT_BYTES]);
    s
}

/// The message length announced by the first 8 bytes of a packet, or the reason to close the link: a wrong
/// signature or a length under the header's (Redis's check in `clusterReadHandler`).
pub fn frame_len(first8: &[u8; 8]) -> Option<usize> {
    let len = be32(first8, O_TOTLEN) as usize;
    (&first8[..4] == b"RCmb" && len >= HEADER_LEN).then_some(len)
}

/// The type field of a whole packet (for the statistics, counted before validation as Redis does).
pub fn peek_type(buf: &[u8]) -> Option<u16> {
    (buf.len() >= O_TYPE + 2).then(|| be16(buf, O_TYPE))
}

/// Decodes one whole packet (`buf` holds exactly the announced length). Err: the packet is to be ignored, as
/// Redis's `clusterProcessPacket` ignores it (wrong version, a length that does not match the type, a bad
/// extension).
pub fn decode(buf: &[u8]) -> Result<Msg, Invalid> {
    if buf.len() < HEADER_LEN || &buf[..4] != b"RCmb" {
        return Err(invalid());
    }
    let totlen = be32(buf, O_TOTLEN) as usize;
    if totlen != buf.len() || be16(buf, O_VER) != VERSION {
        return Err(invalid());
    }
    let ty = be16(buf, O_TYPE);
    let mflags = [buf[O_MFLAGS], buf[O_MFLAGS + 1], buf[O_MFLAGS + 2]];
    let sender = id_at(buf, O_SENDER);
    if !super::valid_node_id(&sender) {
        return Err(invalid());
    }
    let body = decode_body(buf, ty, totlen, mflags)?;
    let slaveof = id_at(buf, O_SLAVEOF);
    let hdr = Header {
        ty,
        port: be16(buf, O_PORT),
        current_epoch: be64(buf, O_CURRENT_EPOCH),
        config_epoch: be64(buf, O_CONFIG_EPOCH),
        offset: be64(buf, O_OFFSET),
        sender,
        myslots: slots_at(buf, O_MYSLOTS),
        slaveof: (slaveof != [0u8; 40]).then_some(slaveof),
        myip: cstr(&buf[O_MYIP..O_MYIP + IP_LEN]),
        pport: be16(buf, O_PPORT),
        cport: be16(buf, O_CPORT),
        flags: be16(buf, O_FLAGS),
        state: buf[O_STATE],
        mflags,
    };
    Ok(Msg { hdr, body })
}

/// The drop reason for a packet whose length does not match what its type expects.
fn bad_len(ty: u16, totlen: usize, explen: usize) -> Invalid {
    Invalid {
        log: Some(format!(
            "Received invalid {} packet of length {} but expected length {}",
            type_name(ty),
            totlen,
            explen
        )),
    }
}

/// Decodes the body of a packet of type `ty` after its header, checking its length as Redis's
/// `clusterIsValidPacket` does.
fn decode_body(buf: &[u8], ty: u16, totlen: usize, mflags: [u8; 3]) -> Result<Body, Invalid> {
    let bad_len = |explen: usize| bad_len(ty, totlen, explen);
    let body = match ty {
        types::PING | types::PONG | types::MEET => decode_ping(buf, ty, totlen, mflags)?,
        types::FAIL => {
            if totlen != HEADER_LEN + 40 {
                return Err(bad_len(HEADER_LEN + 40));
            }
            Body::Fail(id_at(buf, HEADER_LEN))
        }
        types::PUBLISH | types::PUBLISHSHARD => {
            if totlen < HEADER_LEN + 8 {
                return Err(bad_len(HEADER_LEN + 8));
            }
            let clen = be32(buf, HEADER_LEN) as usize;
            let mlen = be32(buf, HEADER_LEN + 4) as usize;
            let explen = HEADER_LEN + 8 + clen + mlen;
            if totlen != explen {
                return Err(bad_len(explen));
            }
            let data = &buf[HEADER_LEN + 8..];
            Body::Publish { channel: data[..clen].to_vec(), message: data[clen..].to_vec() }
        }
        types::FAILOVER_AUTH_REQUEST | types::FAILOVER_AUTH_ACK | types::MFSTART => {
            if totlen != HEADER_LEN {
                return Err(bad_len(HEADER_LEN));
            }
            Body::Empty
        }
        types::UPDATE => {
            let explen = HEADER_LEN + 8 + 40 + SLOT_BYTES;
            if totlen != explen {
                return Err(bad_len(explen));
            }
            Body::Update {
                config_epoch: be64(buf, HEADER_LEN),
                node: id_at(buf, HEADER_LEN + 8),
                slots: slots_at(buf, HEADER_LEN + 48),
            }
        }
        types::MODULE => {
            if totlen < HEADER_LEN + 13 {
                return Err(bad_len(HEADER_LEN + 13));
            }
            let len = be32(buf, HEADER_LEN + 8) as usize;
            let explen = HEADER_LEN + 13 + len;
            if totlen != explen {
                return Err(bad_len(explen));
            }
            let mut id = [0u8; 8];
            id.copy_from_slice(&buf[HEADER_LEN..HEADER_LEN + 8]);
            Body::Module {
                module_id: u64::from_ne_bytes(id),
                ty: buf[HEADER_LEN + 12],
                payload: buf[HEADER_LEN + 13..].to_vec(),
            }
        }
        _ => Body::Empty,
    };
    Ok(body)
}

/// Decodes the body of a PING, PONG or MEET: its extensions (hostname, shard id), then its gossip entries.
fn decode_ping(buf: &[u8], ty: u16, totlen: usize, mflags: [u8; 3]) -> Result<Body, Invalid> {
    let count = be16(buf, O_COUNT) as usize;
    let extensions = be16(buf, O_EXTENSIONS) as usize;
    let mut explen = HEADER_LEN + GOSSIP_LEN * count;
    let mut hostname = None;
    let mut shard_id = None;
    if explen <= totlen && mflags[0] & mflags0::EXT_DATA != 0 {
        let mut at = explen;
        for _ in 0..extensions {
            if totlen - explen < 8 {
                return Err(Invalid {
                    log: Some(format!(
                        "Received invalid {} packet with extension data that exceeds total packet length \
                         ({totlen})",
                        type_name(ty)
                    )),
                });
            }
            let extlen = be32(buf, at) as usize;
            if extlen % 8 != 0 || extlen < 8 {
                return Err(Invalid {
                    log: Some(format!("Received a {} packet without proper padding ({extlen} bytes)", type_name(ty))),
                });
            }
            if totlen - explen < extlen {
                return Err(Invalid {
                    log: Some(format!(
                        "Received invalid {} packet with extension data that exceeds total packet length \
                         ({totlen})",
                        type_name(ty)
                    )),
                });
            }
            match be16(buf, at + 4) {
                EXT_HOSTNAME => hostname = Some(cstr(&buf[at + 8..at + extlen])),
                EXT_SHARDID if extlen >= 8 + NODE_ID_LEN => shard_id = Some(id_at(buf, at + 8)),
                _ => {}
            }
            explen += extlen;
            at += extlen;
        }
    }
    if totlen != explen {
        return Err(bad_len(ty, totlen, explen));
    }
    let gossip = (0..count)
        .map(|i| {
            let g = HEADER_LEN + i * GOSSIP_LEN;
            Gossip {
                id: id_at(buf, g),
                ping_sent: be32(buf, g + 40),
                pong_received: be32(buf, g + 44),
                ip: cstr(&buf[g + 48..g + 48 + IP_LEN]),
                port: be16(buf, g + 94),
                cport: be16(buf, g + 96),
                flags: be16(buf, g + 98),
                pport: be16(buf, g + 100),
            }
        })
        .collect();
    Ok(Body::Ping { gossip, hostname, shard_id })
}

fn put16(out: &mut [u8], at: usize, v: u16) {
    out[at..at + 2].copy_from_slice(&v.to_be_bytes());
}
fn put32(out: &mut [u8], at: usize, v: u32) {
    out[at..at + 4].copy_from_slice(&v.to_be_bytes());
}
fn put64(out: &mut [u8], at: usize, v: u64) {
    out[at..at + 8].copy_from_slice(&v.to_be_bytes());
}
/// Copies a string into a fixed NUL-terminated field (truncated to leave the NUL).
fn put_cstr(out: &mut [u8], at: usize, size: usize, s: &[u8]) {
    let n = s.len().min(size - 1);
    out[at..at + n].copy_from_slice(&s[..n]);
}

impl Msg {
    /// The packet's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let h = &self.hdr;
        let mut out = vec![0u8; HEADER_LEN];
        out[..4].copy_from_slice(b"RCmb");
        put16(&mut out, O_VER, VERSION);
        put16(&mut out, O_PORT, h.port);
        put16(&mut out, O_TYPE, h.ty);
        put64(&mut out, O_CURRENT_EPOCH, h.current_epoch);
        put64(&mut out, O_CONFIG_EPOCH, h.config_epoch);
        put64(&mut out, O_OFFSET, h.offset);
        out[O_SENDER..O_SENDER + 40].copy_from_slice(&h.sender);
        out[O_MYSLOTS..O_MYSLOTS + SLOT_BYTES].copy_from_slice(&h.myslots[..]);
        if let Some(m) = &h.slaveof {
            out[O_SLAVEOF..O_SLAVEOF + 40].copy_from_slice(m);
        }
        put_cstr(&mut out, O_MYIP, IP_LEN, &h.myip);
        put16(&mut out, O_PPORT, h.pport);
        put16(&mut out, O_CPORT, h.cport);
        put16(&mut out, O_FLAGS, h.flags);
        out[O_STATE] = h.state;
        out[O_MFLAGS..O_MFLAGS + 3].copy_from_slice(&h.mflags);
        match &self.body {
            Body::Ping { gossip, hostname, shard_id } => {
                put16(&mut out, O_COUNT, gossip.len() as u16);
                for g in gossip {
                    let at = out.len();
                    out.resize(at + GOSSIP_LEN, 0);
                    out[at..at + 40].copy_from_slice(&g.id);
                    put32(&mut out, at + 40, g.ping_sent);
                    put32(&mut out, at + 44, g.pong_received);
                    put_cstr(&mut out, at + 48, IP_LEN, &g.ip);
                    put16(&mut out, at + 94, g.port);
                    put16(&mut out, at + 96, g.cport);
                    put16(&mut out, at + 98, g.flags);
                    put16(&mut out, at + 100, g.pport);
                }
                if let Some(name) = hostname.as_ref().filter(|n| !n.is_empty()) {
                    out[O_MFLAGS] |= mflags0::EXT_DATA;
                    put16(&mut out, O_EXTENSIONS, 1);
                    let at = out.len();
                    let len = 8 + (name.len() + 1).div_ceil(8) * 8;
                    out.resize(at + len, 0);
                    put32(&mut out, at, len as u32);
                    put16(&mut out, at + 4, EXT_HOSTNAME);
                    out[at + 8..at + 8 + name.len()].copy_from_slice(name);
                }
                if let Some(id) = shard_id {
                    out[O_MFLAGS] |= mflags0::EXT_DATA;
                    let n = be16(&out, O_EXTENSIONS) + 1;
                    put16(&mut out, O_EXTENSIONS, n);
                    let at = out.len();
                    let len = 8 + NODE_ID_LEN;
                    out.resize(at + len, 0);
                    put32(&mut out, at, len as u32);
                    put16(&mut out, at + 4, EXT_SHARDID);
                    out[at + 8..at + len].copy_from_slice(id);
                }
            }
            Body::Fail(id) => out.extend_from_slice(id),
            Body::Publish { channel, message } => {
                out.extend_from_slice(&(channel.len() as u32).to_be_bytes());
                out.extend_from_slice(&(message.len() as u32).to_be_bytes());
                out.extend_from_slice(channel);
                out.extend_from_slice(message);
            }
            Body::Update { config_epoch, node, slots } => {
                out.extend_from_slice(&config_epoch.to_be_bytes());
                out.extend_from_slice(node);
                out.extend_from_slice(&slots[..]);
            }
            Body::Module { module_id, ty, payload } => {
                out.extend_from_slice(&module_id.to_ne_bytes());
                out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                out.push(*ty);
                out.extend_from_slice(payload);
            }
            Body::Empty => {}
        }
        let len = out.len() as u32;
        put32(&mut out, O_TOTLEN, len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(ty: u16) -> Header {
        let mut h = Header::new(ty, [b'a'; 40]);
        h.port = 30001;
        h.cport = 40001;
        h.pport = 0;
        h.current_epoch = 7;
        h.config_epoch = 3;
        h.offset = 12345;
        h.myslots[0] = 0b101;
        h.myslots[2047] = 0x80;
        h.slaveof = Some([b'b'; 40]);
        h.myip = b"127.0.0.1".to_vec();
        h.flags = super::super::flags::REPLICA;
        h.state = 1;
        h.mflags = [mflags0::PAUSED, 0, 0];
        h
    }

    #[test]
    fn header_layout_matches_cluster_h() {
        let b = Msg { hdr: header(types::FAILOVER_AUTH_REQUEST), body: Body::Empty }.encode();
        assert_eq!(b.len(), 2256);
        assert_eq!(&b[0..4], b"RCmb");
        assert_eq!(&b[4..8], &2256u32.to_be_bytes());
        assert_eq!(&b[8..10], &[0, 1]);
        assert_eq!(&b[10..12], &30001u16.to_be_bytes());
        assert_eq!(&b[12..14], &5u16.to_be_bytes());
        assert_eq!(&b[16..24], &7u64.to_be_bytes());
        assert_eq!(&b[24..32], &3u64.to_be_bytes());
        assert_eq!(&b[32..40], &12345u64.to_be_bytes());
        assert_eq!(&b[40..80], &[b'a'; 40]);
        assert_eq!(b[80], 0b101);
        assert_eq!(b[80 + 2047], 0x80);
        assert_eq!(&b[2128..2168], &[b'b'; 40]);
        assert_eq!(&b[2168..2177], b"127.0.0.1");
        assert_eq!(b[2177], 0);
        assert_eq!(&b[2248..2250], &40001u16.to_be_bytes());
        assert_eq!(&b[2250..2252], &2u16.to_be_bytes());
        assert_eq!(b[2252], 1);
        assert_eq!(b[2253], 1);
        assert_eq!(frame_len(b[..8].try_into().unwrap()), Some(2256));
    }

    #[test]
    fn ping_with_gossip_and_hostname_round_trips() {
        let g = Gossip {
            id: [b'c'; 40],
            ping_sent: 10,
            pong_received: 11,
            ip: b"10.0.0.1".to_vec(),
            port: 7000,
            cport: 17000,
            flags: 1,
            pport: 0,
        };
        let m = Msg {
            hdr: header(types::PING),
            body: Body::Ping { gossip: vec![g.clone(), g], hostname: Some(b"host-1".to_vec()), shard_id: None },
        };
        let b = m.encode();
        // Header, two entries, an 8-byte extension header and "host-1\0" padded to 8.
        assert_eq!(b.len(), 2256 + 2 * 104 + 16);
        assert_eq!(&b[14..16], &[0, 2]);
        assert_eq!(&b[2214..2216], &[0, 1]);
        assert_eq!(b[2253] & mflags0::EXT_DATA, mflags0::EXT_DATA);
        // Entry layout: name, ping_sent, pong_received, ip[46], port, cport, flags, pport, unused.
        assert_eq!(&b[2256 + 40..2256 + 44], &10u32.to_be_bytes());
        assert_eq!(&b[2256 + 94..2256 + 96], &7000u16.to_be_bytes());
        assert_eq!(&b[2256 + 96..2256 + 98], &17000u16.to_be_bytes());
        let ext = 2256 + 208;
        assert_eq!(&b[ext..ext + 4], &16u32.to_be_bytes());
        assert_eq!(&b[ext + 8..ext + 14], b"host-1");
        let mut back = decode(&b).unwrap();
        back.hdr.mflags[0] &= !mflags0::EXT_DATA;
        assert_eq!(back, m);
    }

    #[test]
    fn other_bodies_round_trip() {
        let mut slots = Box::new([0u8; SLOT_BYTES]);
        slots[5] = 9;
        for body in [
            Body::Fail([b'd'; 40]),
            Body::Publish { channel: b"ch".to_vec(), message: b"hello".to_vec() },
            Body::Update { config_epoch: 99, node: [b'e'; 40], slots },
            Body::Module { module_id: 5, ty: 2, payload: b"xyz".to_vec() },
        ] {
            let ty = match body {
                Body::Fail(_) => types::FAIL,
                Body::Publish { .. } => types::PUBLISH,
                Body::Update { .. } => types::UPDATE,
                _ => types::MODULE,
            };
            let m = Msg { hdr: header(ty), body };
            assert_eq!(decode(&m.encode()).unwrap(), m);
        }
        let fail = Msg { hdr: header(types::FAIL), body: Body::Fail([b'd'; 40]) }.encode();
        assert_eq!(fail.len(), 2296);
        let upd = Msg {
            hdr: header(types::UPDATE),
            body: Body::Update { config_epoch: 1, node: [b'e'; 40], slots: Box::new([0; SLOT_BYTES]) },
        };
        assert_eq!(upd.encode().len(), 2256 + 2096);
    }

    #[test]
    fn shard_id_extension_round_trips() {
        let m = Msg {
            hdr: header(types::PING),
            body: Body::Ping { gossip: vec![], hostname: Some(b"h".to_vec()), shard_id: Some([b'5'; 40]) },
        };
        let b = m.encode();
        // The hostname extension (8 + 8), then the shard id's (8 + 40), as Redis 7.2 lays them out.
        assert_eq!(b.len(), 2256 + 16 + 48);
        assert_eq!(&b[2214..2216], &[0, 2]);
        assert_eq!(&b[2256 + 16..2256 + 20], &48u32.to_be_bytes());
        assert_eq!(&b[2256 + 20..2256 + 22], &EXT_SHARDID.to_be_bytes());
        let mut back = decode(&b).unwrap();
        back.hdr.mflags[0] &= !mflags0::EXT_DATA;
        assert_eq!(back, m);
    }

    #[test]
    fn hand_built_packets_decode() {
        // The fuzz seeds, laid out by hand from cluster.h's offsets (not by `encode`).
        let ping = decode(include_bytes!("../../fuzz/corpus/cluster_msg/ping_gossip_hostname")).unwrap();
        assert_eq!((ping.hdr.port, ping.hdr.cport, ping.hdr.offset), (30001, 40001, 1234));
        assert_eq!(ping.hdr.myip, b"127.0.0.1");
        let Body::Ping { gossip, hostname, .. } = ping.body else { panic!("not a ping") };
        assert_eq!(hostname.as_deref(), Some(&b"host-1"[..]));
        assert_eq!(
            (gossip[1].id, gossip[1].port, gossip[1].cport, gossip[1].pong_received),
            ([b'c'; 40], 30002, 40002, 101)
        );
        let upd = decode(include_bytes!("../../fuzz/corpus/cluster_msg/update")).unwrap();
        assert!(matches!(upd.body, Body::Update { config_epoch: 9, .. }));
        let m = decode(include_bytes!("../../fuzz/corpus/cluster_msg/module")).unwrap();
        assert!(matches!(m.body, Body::Module { ty: 1, ref payload, .. } if payload == b"xyz"));
        let p = decode(include_bytes!("../../fuzz/corpus/cluster_msg/publish")).unwrap();
        assert_eq!(p.body, Body::Publish { channel: b"ch".to_vec(), message: b"hello".to_vec() });
    }

    #[test]
    fn bad_packets_are_refused() {
        let good = Msg { hdr: header(types::FAIL), body: Body::Fail([b'd'; 40]) }.encode();
        // Wrong length for the type.
        let mut b = good.clone();
        b.push(0);
        let l = b.len() as u32;
        b[4..8].copy_from_slice(&l.to_be_bytes());
        assert!(decode(&b).unwrap_err().log.unwrap().contains("expected length 2296"));
        // Wrong version, wrong signature, short.
        let mut b = good.clone();
        b[9] = 2;
        assert!(decode(&b).is_err());
        let mut b = good.clone();
        b[0] = b'X';
        assert!(decode(&b).is_err());
        assert!(decode(&good[..100]).is_err());
        assert_eq!(frame_len(b"RCmb\0\0\0\x10"), None);
        // An extension that runs past the end, one without padding.
        let m = Msg {
            hdr: header(types::PONG),
            body: Body::Ping { gossip: vec![], hostname: Some(b"h".to_vec()), shard_id: None },
        };
        let mut b = m.encode();
        b[2256..2260].copy_from_slice(&64u32.to_be_bytes());
        assert!(decode(&b).unwrap_err().log.unwrap().contains("exceeds"));
        b[2256..2260].copy_from_slice(&12u32.to_be_bytes());
        assert!(decode(&b).unwrap_err().log.unwrap().contains("padding"));
        // Every truncation and corruption of a valid packet decodes or fails without a panic.
        for cut in 0..b.len() {
            let _ = decode(&b[..cut]);
            let mut c = b.clone();
            c[cut] ^= 0xff;
            let _ = decode(&c);
        }
    }
}
