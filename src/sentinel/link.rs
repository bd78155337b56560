//! One outgoing connection of a sentinel (Redis's hiredis async context): the socket, what is waiting to be
//! written, the bytes read and not yet parsed, and which callback each reply goes to.
//!
//! Replies come back in the order commands were sent, so each command queues a [`Tag`] and the [`InstRef`] of
//! the instance it was sent for, and each complete reply pops them (pub/sub messages on the pub/sub connection
//! carry no tag). A connection belongs to a link ([`super::Link`]), which several sentinel instances may share:
//! the instance, not the connection, says which master a reply is about. The server does the reads and writes; this
//! file only buffers. Bounds: the output buffer is small by construction (periodic commands stop at
//! [`super::MAX_PENDING_COMMANDS`] unanswered ones), the input is bounded by the reply parser's limits.

use super::proto::{self, Malformed, Value};
use super::{InstRef, LinkId};
use crate::net::conn::Conn as Socket;
use std::collections::VecDeque;
use std::os::fd::AsRawFd;

/// What a reply answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tag {
    /// A reply nobody reads (AUTH, CLIENT SETNAME, SUBSCRIBE's confirmation, the failover's MULTI block...).
    Discard,
    Ping,
    Info,
    /// A hello PUBLISH.
    Publish,
    /// SENTINEL IS-MASTER-DOWN-BY-ADDR asked of a sentinel about its master.
    IsMasterDown,
    /// SUBSCRIBE on the pub/sub connection: an error closes it (hiredis drops a subscribed connection on an error
    /// reply, which is how a sentinel whose credentials stopped working shows as disconnected).
    Subscribe,
}

/// What a reply answers, and for which instance (the one the command was sent for).
pub type Expected = (Tag, InstRef);

/// One connection (see the module docs).
pub struct Conn {
    /// The socket, over TLS with `tls-replication yes` (as Redis's sentinel links).
    pub sock: Socket,
    /// The link this connection is the command (or pub/sub) connection of.
    pub link: LinkId,
    /// The pub/sub connection (else the command one).
    pub pubsub: bool,
    /// The non-blocking connect finished.
    pub connected: bool,
    /// The server added it to the event loop.
    pub registered: bool,
    pub outbuf: Vec<u8>,
    pub inbuf: Vec<u8>,
    /// What each reply still expected answers, and for which instance.
    pub pending: VecDeque<Expected>,
}

impl Conn {
    pub fn new(sock: Socket, link: LinkId, pubsub: bool) -> Conn {
        Conn {
            sock,
            link,
            pubsub,
            connected: false,
            registered: false,
            outbuf: Vec::new(),
            inbuf: Vec::new(),
            pending: VecDeque::new(),
        }
    }

    pub fn raw_fd(&self) -> i32 {
        self.sock.as_raw_fd()
    }

    /// Queues a command sent for the instance `r` and the tag its reply will carry.
    pub fn send<S: AsRef<[u8]>>(&mut self, argv: &[S], tag: Tag, r: &InstRef) {
        proto::encode_command(argv, &mut self.outbuf);
        self.pending.push_back((tag, r.clone()));
    }

    /// The next complete reply read, with its tag and instance (`None` for pub/sub pushes, which have none).
    pub fn next_reply(&mut self) -> Result<Option<(Option<Expected>, Value)>, Malformed> {
        let Some((v, used)) = proto::parse_reply(&self.inbuf)? else { return Ok(None) };
        self.inbuf.drain(..used);
        let is_push = self.pubsub
            && matches!(&v, Value::Array(Some(items)) if items.first().and_then(Value::text) == Some(b"message"));
        let tag = if is_push { None } else { self.pending.pop_front() };
        Ok(Some((tag, v)))
    }
}
