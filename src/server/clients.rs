//! The connections: accepting, reading and parsing each client's input, handing complete commands to the call
//! path, writing replies, output limits and client eviction (Redis's `networking.c`). See the module header of
//! [`crate::server`] for one loop iteration and who owns a client while its command runs.

use super::{
    error_bytes, os_error_text, repr_into, Server, MAX_ACCEPTS_PER_CALL, PROTECTED_MODE_DENIED, REPLY_BUF_KEEP,
    REPLY_BUF_SHRINK_NOW, UNAUTH_MAX_BULK_LEN, UNAUTH_MAX_MULTIBULK_LEN,
};
use crate::command::{self, Args};
use crate::event_loop::EventLoop;
use crate::net::client::{client_memory_of, flags, Client, ClientState, Tracked};
use crate::net::io_threads;
use crate::net::output_limit::close_limit_bytes;
use crate::resp::parse::{Limits, Parsed, Parser, ProtoError, DEFAULT_MAX_INLINE_LEN, DEFAULT_MAX_MULTIBULK_LEN};
use crate::state::evict::clients as client_evict;
use crate::state::repl::link::ReplLink as _;
use crate::sys::poller::Interest;
use crate::sys::socket;
use crate::{log_notice, log_verbose, log_warning};
use std::os::fd::{AsRawFd, RawFd};

impl Server {
    pub(super) fn limits_for(&self, authenticated: bool) -> Limits {
        if !authenticated && !crate::acl::default_user_nopass(&self.state.acl) {
            Limits {
                max_bulk_len: self.state.config.proto_max_bulk_len.min(UNAUTH_MAX_BULK_LEN),
                max_inline_len: DEFAULT_MAX_INLINE_LEN,
                max_multibulk_len: UNAUTH_MAX_MULTIBULK_LEN,
            }
        } else {
            Limits {
                max_bulk_len: self.state.config.proto_max_bulk_len,
                max_inline_len: DEFAULT_MAX_INLINE_LEN,
                max_multibulk_len: DEFAULT_MAX_MULTIBULK_LEN,
            }
        }
    }

    // ---- connections -------------------------------------------------------------------------------------------

    /// Accepts the connections waiting on a listener; `tls`: it is on the TLS port.
    pub(super) fn accept(&mut self, el: &mut EventLoop, lfd: RawFd, unix: bool, tls: bool) {
        for _ in 0..MAX_ACCEPTS_PER_CALL {
            match socket::accept(lfd) {
                Ok(Some(a)) => self.accept_one(el, a, unix, tls),
                Ok(None) => return,
                Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
                Err(e) => {
                    log_warning!("Accepting client connection: {}", os_error_text(&e));
                    return;
                }
            }
        }
    }

    pub(super) fn accept_one(&mut self, el: &mut EventLoop, a: socket::Accepted, unix: bool, tls: bool) {
        let fd = a.fd.as_raw_fd();
        // A TLS connection starts its handshake with its first read (`net::tls::read_step`).
        #[cfg(feature = "tls")]
        let session = match tls.then(|| self.state.listeners.tls.as_ref().map(|t| t.server(&self.state.config))) {
            None => None,
            Some(Some(server)) => match crate::net::tls::Session::accept(server) {
                Ok(s) => Some(Box::new(s)),
                Err(e) => {
                    log_warning!("Error accepting a TLS connection: {e}");
                    return;
                }
            },
            Some(None) => return,
        };
        #[cfg(not(feature = "tls"))]
        let _ = tls;
        let (addr, laddr) = if unix {
            let path = self.state.config.unixsocket.clone().unwrap_or_default();
            log_verbose!("Accepted connection to {path}");
            (format!("{path}:0"), format!("{path}:0"))
        } else {
            let peer = a.peer.map(|(ip, port)| socket::format_addr(ip, port)).unwrap_or_default();
            log_verbose!("Accepted {peer}");
            let local = socket::local_addr(fd).map(|(ip, port)| socket::format_addr(ip, port)).unwrap_or_default();
            (peer, local)
        };
        if self.connected >= self.state.config.maxclients {
            // Best effort, like Redis: the socket is fresh, so this small write does not block. On the TLS port
            // nothing is written (no handshake was done: Redis's connWrite writes nothing there either).
            if !tls {
                let _ = socket::write(fd, b"-ERR max number of clients reached\r\n");
            }
            self.state.stats.rejected_connections += 1;
            return;
        }
        let denied = self.protected_refusal(&a, unix);
        if denied {
            // Counted as rejected but not as received: Redis counts a connection after this check. Over TLS the
            // text goes through the session once the handshake is done, as Redis's clientAcceptHandler sends
            // it: the client is kept until then, reading nothing else (`after_read` queues the write).
            self.state.stats.rejected_connections += 1;
            if !tls {
                let _ = socket::write(fd, PROTECTED_MODE_DENIED);
                return;
            }
        }
        if !unix {
            let _ = socket::set_nodelay(fd);
            if self.state.config.tcp_keepalive > 0 {
                let _ = socket::set_keepalive(fd, self.state.config.tcp_keepalive.min(i32::MAX as i64) as i32);
            }
        }
        // With the I/O threads' loops, where it is watched is decided before sleeping (`io_settle`).
        let threaded = self.io_loops.is_some();
        if !threaded {
            if let Err(e) = el.add_interest(fd, Interest::READABLE) {
                log_warning!("Error registering fd event for the new client: {} (conn: fd={})", os_error_text(&e), fd);
                return;
            }
        }
        let id = self.state.clients.next_id;
        self.state.clients.next_id += 1;
        let mut st = ClientState::new(id, fd, addr, laddr, crate::util::now_ms());
        st.authenticated = crate::acl::default_user_nopass(&self.state.acl);
        if unix {
            st.flags |= flags::UNIX_SOCKET;
        }
        if tls {
            st.flags |= flags::TLS;
        }
        if denied {
            st.flags |= flags::CLOSE_AFTER_REPLY;
            st.reply.raw_bytes(PROTECTED_MODE_DENIED);
        }
        let mut client = Box::new(Client::new(st, Some(a.fd)));
        #[cfg(feature = "tls")]
        {
            client.tls = session;
        }
        client.refresh_conn_stats(0, true, false);
        if threaded {
            client.homed = true;
            self.io_arrived.push(fd);
        }
        let slot = fd as usize;
        if slot >= self.state.clients.by_fd.len() {
            self.state.clients.by_fd.resize_with(slot + 1, || None);
        }
        self.state.clients.by_fd[slot] = Some(client);
        self.state.clients.id_to_fd.insert(id, fd);
        self.connected += 1;
        if !denied {
            self.state.stats.total_connections_received += 1;
        }
    }

    /// Whether protected mode turns this peer away: no password for the default user and a TCP peer other than
    /// 127.0.0.1 or ::1 (Redis 7.0's islocalClient compares the peer's text with those two: the rest of 127/8, and
    /// IPv4-mapped IPv6, counts as remote).
    fn protected_refusal(&self, a: &socket::Accepted, unix: bool) -> bool {
        if !self.state.config.protected_mode || !crate::acl::default_user_nopass(&self.state.acl) || unix {
            return false;
        }
        !match a.peer {
            Some((std::net::IpAddr::V4(v4), _)) => v4 == std::net::Ipv4Addr::LOCALHOST,
            Some((std::net::IpAddr::V6(v6), _)) => v6 == std::net::Ipv6Addr::LOCALHOST,
            None => true,
        }
    }

    #[inline]
    pub(super) fn take_client(&mut self, fd: RawFd) -> Option<Box<Client>> {
        self.state.clients.by_fd.get_mut(fd as usize).and_then(|s| s.take())
    }

    #[inline]
    pub(super) fn put_client(&mut self, c: Box<Client>) {
        let fd = c.state.fd as usize;
        if fd >= self.state.clients.by_fd.len() {
            self.state.clients.by_fd.resize_with(fd + 1, || None);
        }
        self.state.clients.by_fd[fd] = Some(c);
    }

    /// Closes a client that is out of its slot and forgets everything about it.
    pub(super) fn free_client(&mut self, el: &mut EventLoop, mut c: Box<Client>) {
        self.blocked_client_gone(&c.state);
        self.shutdown_client_gone(&c.state);
        let master_lost = self.repl_client_freed(&c.state);
        let fd = c.state.fd;
        crate::state::pubsub::unsubscribe_everything(&mut self.state, &mut c.state);
        self.state.tracking.client_gone(&mut c.state);
        let _ = el.remove_interest(fd, Interest::BOTH);
        self.state.clients.id_to_fd.remove(&c.state.id);
        self.forget_tx_and_pause(&c.state);
        if c.state.has(flags::MONITOR) {
            let id = c.state.id;
            self.state.clients.monitors.retain(|&m| m != id);
        }
        self.connected = self.connected.saturating_sub(1);
        self.state.clients.mem.forget(&mut c);
        // Dropping the box closes the socket and frees the buffers.
        drop(c);
        if master_lost {
            self.repl_master_lost(el);
        }
    }

    pub(super) fn free_client_by_fd(&mut self, el: &mut EventLoop, fd: RawFd) {
        if let Some(c) = self.take_client(fd) {
            self.free_client(el, c);
        }
    }

    // ---- reading and dispatch ----------------------------------------------------------------------------------

    pub(super) fn read_from_client(&mut self, el: &mut EventLoop, fd: RawFd) {
        let Some(mut c) = self.take_client(fd) else { return };
        let out = crate::net::io::read_step(&mut c);
        self.after_read(el, c, out);
    }

    /// Everything after a client's socket read, on the main thread: statistics, end of connection, the query
    /// buffer limit, then its commands (those an I/O thread parsed first).
    pub(super) fn after_read(&mut self, el: &mut EventLoop, mut c: Box<Client>, out: crate::net::io::ReadOut) {
        let fd = c.state.fd;
        // Every read counts, as in Redis's readQueryFromClient: the end of a connection and a read that found
        // nothing too.
        self.state.stats.total_reads_processed += 1;
        match out {
            crate::net::io::ReadOut::Closed => {
                log_verbose!(
                    "Client closed connection {}",
                    command::client_info::client_info_string(&c.state, self.state.now_ms)
                );
                self.free_client(el, c);
                return;
            }
            crate::net::io::ReadOut::Data(n) => {
                if c.state.has(flags::MASTER) {
                    self.state.stats.net_repl_input_bytes += n as u64;
                } else {
                    self.state.stats.net_input_bytes += n as u64;
                }
                // Any input counts as activity for `timeout` (the cached clock is precise enough for that).
                c.state.last_interaction_ms = self.state.now_ms;
            }
            crate::net::io::ReadOut::Again => {
                self.drop_preparsed(&mut c);
                // A TLS handshake just ended with output waiting (protected mode's refusal): it can go now.
                #[cfg(feature = "tls")]
                let ready = c.state.reply.pending_len() > 0 && c.tls.as_ref().is_some_and(|s| !s.is_handshaking());
                self.put_client(c);
                #[cfg(feature = "tls")]
                if ready {
                    self.state.queue_write(fd);
                }
                return;
            }
            crate::net::io::ReadOut::Failed(e) => {
                log_verbose!("Reading from client: {}", os_error_text(&e));
                self.free_client(el, c);
                return;
            }
        }
        if c.state.has(flags::CLOSE_AFTER_REPLY) {
            // Nothing more will be executed for this client: drop what it sends instead of buffering it.
            let n = c.query.len();
            c.query.consume(n);
            c.pre.clear();
            c.parser.reset();
            let pending = c.state.reply.pending_len() > 0;
            self.put_client(c);
            if pending {
                self.state.queue_write(fd);
            }
            return;
        }
        let limit = self.state.config.client_query_buffer_limit;
        if limit > 0 && c.query.len() as i64 > limit {
            let head = &c.query.readable()[..c.query.len().min(64)];
            let mut shown = Vec::new();
            repr_into(&mut shown, head);
            log_warning!(
                "Closing client that reached max query buffer length: id={} addr={} laddr={} fd={} qbuf={} \
                 (qbuf initial bytes: {})",
                c.state.id,
                c.state.addr,
                c.state.laddr,
                fd,
                c.query.len(),
                String::from_utf8_lossy(&shown)
            );
            self.state.stats.client_qbuf_limit_disconnections += 1;
            self.free_client(el, c);
            return;
        }
        self.prefetch_batch(&mut c);
        self.process_input(el, &mut c);
        self.drop_preparsed(&mut c);
        if c.state.has(flags::CLOSE_ASAP) {
            self.free_client(el, c);
            return;
        }
        // A big argument being received gets its room at once, as Redis reserves it when it reads the `$` line, so
        // the client's memory (client eviction, CLIENT LIST) shows the whole argument from then on.
        if let Some(missing) = c.parser.big_bulk_missing(c.query.len()).filter(|&m| m > 0) {
            c.query.writable(missing);
        }
        // A command still arriving (a big bulk) grows the query buffer without running anything; complete
        // commands were counted as they ran.
        if !c.query.is_empty() {
            self.track_client_mem(&mut c);
        }
        c.refresh_conn_stats(0, true, el.interest(fd).is_writable());
        let has_output = c.state.reply.pending_len() > 0
            || (c.state.has(flags::REPLICA) && crate::state::repl::roles::stream_pending(&self.state.repl, c.state.id));
        if has_output && !c.pending_write && !el.interest(fd).is_writable() {
            c.pending_write = true;
            self.state.clients.pending_write.push(fd);
        }
        self.put_client(c);
    }

    /// Forgets the commands an I/O thread parsed that were not run (the client blocked, paused, or is closing):
    /// they are parsed again from the query buffer when their turn comes.
    pub(super) fn drop_preparsed(&mut self, c: &mut Client) {
        if c.pre.clear() {
            c.parser.reset();
        }
    }

    /// After a pass of the I/O threads: every client goes back in its slot before any command runs (a command
    /// may look at or close another), then each one still there is finished on this thread.
    pub(super) fn finish_thread_pass(&mut self, el: &mut EventLoop, items: Vec<io_threads::Item>) {
        let mut done = Vec::with_capacity(items.len());
        for it in items {
            done.push((it.c.state.fd, it.c.state.id, it.out));
            self.put_client(it.c);
        }
        for (fd, id, out) in done {
            let Some(c) = self.take_client(fd) else { continue };
            match out {
                Some(w) if c.state.id == id => {
                    if let Some(c) = self.after_write(el, c, w) {
                        self.put_client(c);
                    }
                }
                _ => self.put_client(c),
            }
        }
    }

    /// The Lua debugger talks to its client directly: over TLS, through the client's session, which `debugging`
    /// lends it for the command (a swap, and the same swap back after it). Returns `debugging`.
    #[cfg(feature = "tls")]
    fn lend_tls(&mut self, debugging: bool, tls: &mut Option<Box<crate::net::tls::Session>>) -> bool {
        if debugging {
            std::mem::swap(&mut self.state.scripting.lent_tls, tls);
        }
        debugging
    }

    /// Runs every complete command buffered by the client (Redis's `processInputBuffer`).
    pub(super) fn process_input(&mut self, el: &mut EventLoop, c: &mut Client) {
        // One clock reading per command: the end of one command is the start of the next in the same batch.
        let mut clock_us = crate::util::now_us();
        // Redis trims its query buffer only after a whole batch, so CLIENT LIST shows the batch's bytes.
        let batch_qbuf = c.query.len();
        loop {
            let stop = flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP | flags::BLOCKED | flags::POSTPONED;
            if c.state.flags & stop != 0 || self.exit_code.is_some() {
                return;
            }
            // Our master's stream waits while a busy script lets other clients in (Redis's processInputBuffer).
            if c.state.has(flags::MASTER) && self.state.scripting.is_timedout() {
                return;
            }
            let limits = self.limits_for(c.state.authenticated);
            let Client { state, query, parser, spans, scratch, mem, obuf_soft_limit_reached_s, pre, .. } = c;
            let query_cap = query.capacity();
            let buf = query.readable();
            if buf.is_empty() {
                return;
            }
            // Commands an I/O thread parsed come first; the parser takes over after them.
            let parsed = match pre.take_next(&limits, spans) {
                Some(r) => r,
                None => {
                    if pre.clear() {
                        // Parsed with other limits (AUTH or CONFIG SET ran meanwhile): parse them again.
                        parser.reset();
                    }
                    parser.parse(buf, &limits, spans, scratch)
                }
            };
            match parsed {
                Ok(Parsed::Incomplete) => return,
                Ok(Parsed::Complete { consumed, inline }) => {
                    if !spans.is_empty() {
                        let args = if inline { Args::new(scratch, spans) } else { Args::new(buf, spans) };
                        let argv_mem: usize = spans.iter().map(|&(s, e)| (e - s) as usize).sum();
                        // Valkey's request size: an inline request counts its words, one space between each and
                        // the CRLF; a multibulk one the bytes it took.
                        state.cmd_in_bytes =
                            if inline { (argv_mem + spans.len() - 1 + 2) as u64 } else { consumed as u64 };
                        let qbuf = batch_qbuf.max(buf.len());
                        let (_, _, omem) = crate::net::client::output_figures(&state.reply);
                        let tot_mem =
                            client_memory_of(query_cap, state, scratch.capacity(), spans.capacity()) + argv_mem;
                        let conn = &mut state.conn;
                        conn.qbuf = qbuf;
                        conn.qbuf_free = query_cap.saturating_sub(qbuf);
                        conn.argv_mem = argv_mem;
                        conn.omem = omem;
                        conn.tot_mem = tot_mem;
                        // Redis's processCommand: over `maxmemory-clients`, the biggest clients go first, maybe
                        // this one (then its command does not run).
                        if self.state.clients.mem.over(client_evict::limit_bytes(&self.state.config))
                            && self.evict_clients(el, Some((&mut *state, &mut *mem)))
                        {
                            return;
                        }
                        // The output limit is watched while the command builds its reply (Redis checks it as
                        // reply blocks are added): past it the reply is cut and the client closed below.
                        let (soft_since, obuf) =
                            (*obuf_soft_limit_reached_s, &self.state.config.client_output_buffer_limit);
                        let close_bytes = close_limit_bytes(state, soft_since, obuf, clock_us / 1000);
                        state.reply.watch_limit(close_bytes);
                        #[cfg(feature = "tls")]
                        let lent = self.lend_tls(state.has(flags::LUA_DEBUG), &mut c.tls);
                        clock_us = self.dispatch(el, state, args, clock_us);
                        #[cfg(feature = "tls")]
                        self.lend_tls(lent, &mut c.tls);
                        state.reply.unwatch_limit();
                        if state.has(flags::POSTPONED) {
                            // CLIENT PAUSE: the command stays in the buffer and is parsed again on resume.
                            parser.reset();
                            return;
                        }
                    }
                    if state.has(flags::MASTER) {
                        self.repl_master_applied(state, &buf[..consumed]);
                    }
                    query.consume(consumed);
                    self.check_output_limits(c);
                    self.track_client_mem(c);
                }
                Err(e) => {
                    let msg = if limits.max_multibulk_len == UNAUTH_MAX_MULTIBULK_LEN {
                        self.unauth_error_message(buf, e)
                    } else {
                        e.message_bytes()
                    };
                    self.protocol_error(state, &msg, buf);
                    parser.reset();
                    query.consume(query.len());
                    return;
                }
            }
        }
    }

    /// Marks the client CLOSE_ASAP when its output is over the `client-output-buffer-limit` of its class (Redis's
    /// `closeClientOnOutputBufferLimitReached`; see [`crate::net::output_limit::check_output_limits`]).
    pub(super) fn check_output_limits(&mut self, c: &mut Client) {
        let st = &mut self.state;
        let limits = &st.config.client_output_buffer_limit;
        crate::net::output_limit::check_output_limits(
            c,
            limits,
            st.now_ms,
            &mut st.stats.client_outbuf_limit_disconnections,
            st.clients.info,
        );
    }

    /// Recounts a client's memory while `maxmemory-clients` is set (Redis's `updateClientMemUsageAndBucket`); the
    /// cron recounts everyone once a second either way.
    #[inline]
    pub(super) fn track_client_mem(&mut self, c: &mut Client) {
        let limit = client_evict::limit_bytes(&self.state.config);
        if limit > 0 {
            self.state.clients.mem.update(c, limit);
        }
    }

    /// After CONFIG SET: every client's memory is recounted into the eviction buckets at once (or taken out of them
    /// when `maxmemory-clients` is 0), as Redis's `applyClientMaxMemoryUsage` does, so the next command evicts
    /// from current figures rather than the cron's last pass.
    pub(super) fn recount_client_memory(&mut self) {
        let limit = client_evict::limit_bytes(&self.state.config);
        let st = &mut self.state;
        for c in st.clients.by_fd.iter_mut().flatten() {
            st.clients.mem.update(c, limit);
        }
    }

    /// Closes the biggest clients while all of them together hold `maxmemory-clients` or more (Redis's
    /// `evictClients`). `current` is the client whose command is about to run (out of the table): when it is the
    /// one evicted it is flagged CLOSE_ASAP, runs nothing more, and true is returned.
    pub(super) fn evict_clients(
        &mut self,
        el: &mut EventLoop,
        mut current: Option<(&mut ClientState, &mut Tracked)>,
    ) -> bool {
        let limit = client_evict::limit_bytes(&self.state.config);
        let mut evicted_current = false;
        for (id, fd) in self.state.clients.mem.candidates() {
            if !self.state.clients.mem.over(limit) {
                return evicted_current;
            }
            if let Some((st, tracked)) = current.as_mut().filter(|(st, _)| st.id == id) {
                log_notice!("Evicting client: {}", command::client_info::client_info_string(st, self.state.now_ms));
                self.state.clients.mem.forget_tracked(id, tracked);
                st.flags |= flags::CLOSE_ASAP;
                self.state.stats.evicted_clients += 1;
                evicted_current = true;
                continue;
            }
            let Some(mut c) = self.take_client(fd) else { continue };
            if c.state.id != id {
                self.put_client(c);
                continue;
            }
            c.refresh_conn_stats(0, true, el.interest(fd).is_writable());
            log_notice!("Evicting client: {}", command::client_info::client_info_string(&c.state, self.state.now_ms));
            self.state.stats.evicted_clients += 1;
            self.free_client(el, c);
        }
        if self.state.clients.mem.over(limit) {
            log_warning!("Over client maxmemory after evicting all evictable clients");
        }
        evicted_current
    }

    /// Under the reduced limits of unauthenticated clients, tells "over the unauthenticated limit" apart from a
    /// genuinely malformed request by parsing the same bytes again with the normal limits.
    pub(super) fn unauth_error_message(&self, buf: &[u8], e: ProtoError) -> Vec<u8> {
        let normal = self.limits_for(true);
        let mut p = Parser::new();
        let mut spans = Vec::new();
        let mut scratch = Vec::new();
        match (p.parse(buf, &normal, &mut spans, &mut scratch), e) {
            (Err(e2), _) if e2 == e => e.message_bytes(),
            (_, ProtoError::InvalidMultibulkLength) => b"ERR Protocol error: unauthenticated multibulk length".to_vec(),
            (_, ProtoError::InvalidBulkLength) => b"ERR Protocol error: unauthenticated bulk length".to_vec(),
            _ => e.message_bytes(),
        }
    }

    pub(super) fn protocol_error(&mut self, c: &mut ClientState, msg: &[u8], buf: &[u8]) {
        c.reply.enabled = !c.has(flags::REPLY_OFF | flags::REPLY_SKIP);
        error_bytes(&mut c.reply, msg);
        self.count_errors(c);
        c.reply.enabled = true;
        if crate::log::enabled(crate::config::LogLevel::Verbose) {
            let mut shown = Vec::new();
            repr_into(&mut shown, &buf[..buf.len().min(128)]);
            log_verbose!(
                "Protocol error ({}) from client: id={} addr={} laddr={} fd={}. Query buffer during protocol error: \
                 '{}'",
                String::from_utf8_lossy(msg).trim_start_matches("ERR Protocol error: "),
                c.id,
                c.addr,
                c.laddr,
                c.fd,
                String::from_utf8_lossy(&shown)
            );
        }
        c.flags |= flags::CLOSE_AFTER_REPLY;
    }

    // ---- writing -----------------------------------------------------------------------------------------------

    /// Counts written bytes: to a replica (not a MONITOR) as replication traffic, like Redis 7.0's writeToClient.
    pub(super) fn count_output(&mut self, c: &mut ClientState, n: usize) {
        let skip = n.min(c.uncounted_out);
        c.uncounted_out -= skip;
        let n = n - skip;
        if c.has(flags::REPLICA) && !c.has(flags::MONITOR) {
            self.state.stats.net_repl_output_bytes += n as u64;
        } else {
            self.state.stats.net_output_bytes += n as u64;
        }
    }

    /// Writes as much pending output as the socket takes (bounded per event). Returns false when the client was
    /// closed (write error, or fully written with CLOSE_AFTER_REPLY); the box is consumed in that case.
    pub(super) fn write_to_client(&mut self, el: &mut EventLoop, mut c: Box<Client>) -> Option<Box<Client>> {
        let out = crate::net::io::write_step(&mut c);
        self.after_write(el, c, out)
    }

    /// Everything after a client's socket write, on the main thread: statistics, a replica's stream, the write
    /// handler, closing after the reply.
    pub(super) fn after_write(
        &mut self,
        el: &mut EventLoop,
        mut c: Box<Client>,
        out: crate::net::io::WriteOut,
    ) -> Option<Box<Client>> {
        let fd = c.state.fd;
        let mut total = out.total;
        self.state.stats.total_writes_processed += out.writes;
        if let Some(e) = out.err {
            log_verbose!("Error writing to client: {}", os_error_text(&e));
            self.count_output(&mut c.state, total);
            self.free_client(el, c);
            return None;
        }
        if c.state.has(flags::REPLICA) && c.state.reply.pending_len() == 0 {
            if let Err(e) = self.repl_write_stream(&mut c, &mut total) {
                log_verbose!("Error writing to client: {}", os_error_text(&e));
                self.count_output(&mut c.state, total);
                self.free_client(el, c);
                return None;
            }
        }
        self.count_output(&mut c.state, total);
        if total > 0 {
            c.state.last_interaction_ms = self.state.now_ms;
        }
        self.track_client_mem(&mut c);
        let registered = el.interest(fd).is_writable();
        let replica_stream =
            c.state.has(flags::REPLICA) && crate::state::repl::roles::stream_pending(&self.state.repl, c.state.id);
        if c.state.reply.pending_len() == 0 && !replica_stream && !crate::net::conn::client_wants_write(&c) {
            if registered {
                let _ = el.remove_interest(fd, Interest::WRITABLE);
            }
            // Only a really large buffer is dropped here: a client pipelining big replies (LRANGE) would otherwise
            // regrow it (realloc copies, brk/mmap churn) on every batch. clients_cron trims the rest when idle.
            if c.state.reply.buf.capacity() > REPLY_BUF_SHRINK_NOW {
                c.state.reply.buf = Vec::with_capacity(REPLY_BUF_KEEP);
            }
            if c.state.has(flags::CLOSE_AFTER_REPLY) {
                self.free_client(el, c);
                return None;
            }
        } else if !registered {
            if let Err(e) = el.add_interest(fd, Interest::WRITABLE) {
                log_warning!("Error registering write handler: {}", os_error_text(&e));
                self.free_client(el, c);
                return None;
            }
        }
        Some(c)
    }

    /// Writes the replies of every client in the pending-writes list (Redis's `handleClientsWithPendingWrites`).
    pub(super) fn handle_pending_writes(&mut self, el: &mut EventLoop) {
        if self.state.clients.pending_write.is_empty() {
            return;
        }
        let mut list = std::mem::take(&mut self.writes_scratch);
        std::mem::swap(&mut list, &mut self.state.clients.pending_write);
        if let Some(io) = self.io.as_mut() {
            io.update_active(list.len());
            self.state.clients.io_threads_active = io.active;
            if io.active {
                self.threaded_writes(el, &mut list);
            }
        }
        // Newest first, as Redis links clients at the head of its pending-writes list.
        for &fd in list.iter().rev() {
            let Some(mut c) = self.take_client(fd) else {
                // Out of its slot: the client running a busy script (this pass serves others meanwhile). It stays
                // listed for the pass after its command.
                if self.state.scripting.run.is_some() {
                    self.state.clients.pending_write.push(fd);
                }
                continue;
            };
            if !c.pending_write {
                self.put_client(c);
                continue;
            }
            c.pending_write = false;
            if let Some(l) = self.io_loops.as_mut() {
                l.count(&mut c.io_period);
                // Its I/O thread writes the reply, or it stays here and is written now.
                let Some(placed) = self.io_place(el, c) else { continue };
                c = placed;
            }
            self.flush_client(el, c);
        }
        list.clear();
        self.writes_scratch = list;
    }

    /// The I/O threads' part of the pending-writes pass: the clients of `list` that only need their reply written
    /// go to the threads, and leave the list; the rest (replicas, clients to close, clients whose write handler
    /// is installed) stay for the inline pass.
    pub(super) fn threaded_writes(&mut self, el: &mut EventLoop, list: &mut Vec<RawFd>) {
        let mut items = Vec::with_capacity(list.len());
        list.retain(|&fd| {
            let Some(c) = self.state.clients.by_fd.get_mut(fd as usize).and_then(|s| s.take()) else { return true };
            let threaded =
                c.pending_write && !c.state.has(flags::CLOSE_ASAP | flags::REPLICA) && !el.interest(fd).is_writable();
            if threaded {
                let mut c = c;
                c.pending_write = false;
                items.push(io_threads::Item::new(c));
            } else {
                self.state.clients.by_fd[fd as usize] = Some(c);
            }
            !threaded
        });
        if let Some(io) = self.io.as_mut() {
            self.state.stats.io_threaded_writes_processed += items.len() as u64;
            items = io.write(items);
        }
        self.finish_thread_pass(el, items);
    }

    /// Writes the coalesced pub/sub output (see [`crate::state::PUSH_COALESCE`]).
    pub(super) fn flush_pending_pushes(&mut self, el: &mut EventLoop) {
        let mut list = std::mem::take(&mut self.state.clients.pending_push);
        for &fd in &list {
            let Some(c) = self.take_client(fd) else { continue };
            if !c.pending_push {
                self.put_client(c);
                continue;
            }
            self.flush_client(el, c);
        }
        list.clear();
        // Keep the allocation unless a flush above queued new pushes (it cannot today, but stay correct).
        if self.state.clients.pending_push.is_empty() {
            self.state.clients.pending_push = list;
        }
    }

    /// One client of a pending-output list (its list flag already checked): a client to close is freed, one whose
    /// socket was full keeps its write handler, the rest are written now.
    pub(super) fn flush_client(&mut self, el: &mut EventLoop, mut c: Box<Client>) {
        // Whatever output it has, coalesced pub/sub messages included, is dealt with here.
        c.pending_push = false;
        if c.state.has(flags::CLOSE_ASAP) {
            self.free_client(el, c);
            return;
        }
        if el.interest(c.state.fd).is_writable() {
            // The write handler is installed already and will drain it.
            self.put_client(c);
            return;
        }
        if let Some(c) = self.write_to_client(el, c) {
            self.put_client(c);
        }
    }
}
