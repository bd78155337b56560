//! The commented reference configuration, `ferredis.conf`, generated from the directive table.
//!
//! [`SECTIONS`] places each directive of [`config::DIRECTIVES`] under a heading with a short description; the
//! values never come from here: [`render`] asks the config module for each directive's default (the same line
//! renderer CONFIG REWRITE uses), so the file cannot disagree with the code. A directive the table does not
//! place still appears, in a final "OTHER DIRECTIVES" section, so a new directive shows up in the file (and in
//! the diff of `make conf`) the moment it is added. What ferredis does not do yet is said by the table itself:
//! a directive with an `only` value gets a note naming the one value accepted.
//!
//! Layout rule: the directives most deployments look at are written as real lines holding their defaults (the
//! file loads to exactly the built-in defaults); every other directive is written commented out, also with its
//! default, ready to uncomment. `dir` is shown as `./` (its default is the directory the server starts in).
//!
//! Invariants: every table entry names a directive, no directive is placed twice, and the rendered file loads to
//! a configuration whose every `CONFIG GET` value equals the built-in default. Tested by the unit tests below and
//! by `tests/operations/conf_reference.rs`, which compares the committed `ferredis.conf` with [`render`] (`make conf`,
//! i.e. `FERREDIS_BLESS=1`, rewrites it) and loads it in a real server.

#![forbid(unsafe_code)]

use crate::config::{self, Config, Directive};

/// One directive's place in the file.
pub struct Entry {
    pub name: &'static str,
    /// Written as a real line (else commented out).
    pub live: bool,
    /// What it does, one paragraph (wrapped when rendered); empty = described by the entry above.
    pub doc: &'static str,
}

pub struct Section {
    pub title: &'static str,
    /// A paragraph before the section's directives; may be empty.
    pub intro: &'static str,
    pub entries: &'static [Entry],
}

const fn live(name: &'static str, doc: &'static str) -> Entry {
    Entry { name, live: true, doc }
}

const fn opt(name: &'static str, doc: &'static str) -> Entry {
    Entry { name, live: false, doc }
}

/// Width of the comment paragraphs.
const WRAP: usize = 100;

const HEADER: &str = "\
ferredis configuration file.

Generated from the server's directive table (src/conf_reference.rs) by `make conf`; tests/operations/conf_reference.rs \
fails when this file and the code disagree, so edit the generator, not this file.

Every directive ferredis knows is listed with its default value. Uncommented lines are the directives most \
deployments review; they hold the defaults, so this file as shipped behaves exactly like a server started \
without one. Commented-out lines show the default of the rest: uncomment one to change it.

Some directives are accepted only so that existing Redis configuration files load: they tune features \
ferredis does not have yet. Where ferredis accepts a single value of a directive, its description says so.

Start the server with a config file as its first argument; options given after it override the file:
    ferredis-server /etc/ferredis/ferredis.conf --port 6380 --loglevel verbose

Sizes may carry a unit: 1k = 1000 bytes, 1kb = 1024 bytes, and likewise m/mb and g/gb (any case).

`include /path/to/other.conf` reads another file at that point. Later lines win over earlier ones, so put \
includes first to use them as a base, or last to have them override this file. CONFIG REWRITE keeps comments \
and rewrites the lines of directives changed at run time.";

/// The file's sections, in order.
pub static SECTIONS: &[Section] = &[
    Section {
        title: "NETWORKING",
        intro: "",
        entries: &[
            live(
                "bind",
                "Addresses to listen on, one or more. A leading '-' makes an address optional: the server starts \
                 even if it is not available (an IPv6 address on a host without IPv6). `*` means every IPv4 \
                 address and `::*` every IPv6 one. The default, as in Redis 7.0, is every address; protected-mode then refuses non-loopback clients until a password is set.",
            ),
            opt("bind-source-addr", "Source address for outgoing connections (to a master)."),
            live(
                "protected-mode",
                "With protected mode on and no password set, connections from anywhere but loopback and the unix \
                 socket are refused with an explanation. Leave it on unless you bind a public address behind a \
                 firewall you trust, or set a password.",
            ),
            live("port", "TCP port to accept connections on; 0 listens on no TCP port at all."),
            live(
                "tcp-backlog",
                "Length of the queue of connections not yet accepted (listen(2) backlog). The kernel caps it at \
                 net.core.somaxconn; the server logs a warning when that is lower.",
            ),
            opt("unixsocket", "Path of a unix socket to accept connections on as well (none by default)."),
            opt("unixsocketperm", "Permissions of that socket, in octal (0 keeps the umask's)."),
            live("timeout", "Close a connection after it has been idle this many seconds (0 = never)."),
            live(
                "tcp-keepalive",
                "Seconds between TCP keepalive probes on client connections, to detect dead peers and keep \
                 middleboxes from dropping idle connections (0 = off).",
            ),
            opt(
                "socket-mark-id",
                "Mark for listening sockets (SO_MARK), for routing and filtering rules. Accepted for \
                 compatibility: ferredis does not set it yet.",
            ),
            opt(
                "maxclients",
                "Most clients connected at once; one more is refused with an error. The server raises its open \
                 files limit to fit this many (plus a reserve) when it may, and lowers the setting when it cannot.",
            ),
        ],
    },
    Section {
        title: "GENERAL",
        intro: "",
        entries: &[
            live(
                "daemonize",
                "Run in the background, detached from the terminal, writing the pid file. Under systemd or \
                 another supervisor keep this off.",
            ),
            live(
                "supervised",
                "Talk to a supervisor: `systemd` sends readiness and status over NOTIFY_SOCKET (Type=notify \
                 units), `upstart` stops itself with SIGSTOP once ready, `auto` picks one from the environment, \
                 `no` does neither. A supervised server never daemonizes.",
            ),
            opt(
                "pidfile",
                "File to write the process id to at start and remove at shutdown. Empty: none, except that a \
                 daemonized server writes /var/run/ferredis.pid.",
            ),
            live("loglevel", "How much to log: debug, verbose, notice (for production) or warning."),
            live("logfile", "Log file path; empty logs to standard output (a journal, a container's log)."),
            opt("syslog-enabled", "Also send the log to syslog."),
            opt("syslog-ident", "Program name in syslog messages."),
            opt("syslog-facility", "Syslog facility: user or local0 to local7."),
            opt(
                "crash-log-enabled",
                "Write a crash report (stack trace, registers, state) to the log on a fatal signal.",
            ),
            opt("crash-memcheck-enabled", "Run a quick memory test as part of a crash report."),
            live("databases", "Number of numbered databases (SELECT 0 to databases-1)."),
            opt("always-show-logo", "Print the ASCII-art logo at start even when the log is not a terminal."),
            opt("set-proc-title", "Rewrite the process title shown by ps and top."),
            opt(
                "proc-title-template",
                "The title's template: {title}, {listen-addr}, {server-mode}, {port}, {tls-port}, {unixsocket} \
                 and {config-file} are replaced.",
            ),
            opt("hz", "Runs per second of the background cron (expiry, timeouts, statistics), 1 to 500."),
            opt("dynamic-hz", "Raise the cron frequency while many clients are connected."),
            live("dir", "Working directory: snapshots and the append-only directory are written here."),
            opt(
                "oom-score-adj",
                "Whether to set the process's Linux OOM-killer score (oom_score_adj) from oom-score-adj-values.",
            ),
            opt("oom-score-adj-values", "Scores for a master, a replica and a background child, in that order."),
            opt(
                "disable-thp",
                "Turn transparent huge pages off for the process and its children at start-up when the kernel has \
                 them always on (they make page faults and fork copies costly); with no, the start-up log warns.",
            ),
            opt(
                "ignore-warnings",
                "Start-up warnings about the system to keep quiet (Redis's one, ARM64-COW-BUG, is for a kernel bug \
                 ferredis does not test for).",
            ),
            opt(
                "server_cpulist",
                "CPU affinity lists (taskset's form: 0,2,3 or 0-7:2) for the event loop and I/O threads, the \
                 background threads, the AOF rewrite child and the BGSAVE child (Linux; a malformed list pins \
                 nothing).",
            ),
            opt("bio_cpulist", ""),
            opt("aof_rewrite_cpulist", ""),
            opt("bgsave_cpulist", ""),
            opt(
                "io-threads",
                "Threads for socket I/O, the main thread included (1 to 128; fixed at start-up). With more than \
                 one, the others write replies while at least 2 clients per thread have output; every command \
                 still runs on the main thread.",
            ),
            opt("io-threads-do-reads", "Whether the I/O threads also read and parse requests."),
            opt("jemalloc-bg-thread", "Accepted for compatibility: ferredis does not use jemalloc."),
            opt(
                "shutdown-on-sigint",
                "What SIGINT and SIGTERM do: `default` (save if save points are configured), or any of `save`, \
                 `nosave`, `now` (do not wait for replicas), `force` (exit even if the save fails).",
            ),
            opt("shutdown-on-sigterm", ""),
            opt("shutdown-timeout", "Seconds a shutdown waits for replicas to catch up before it goes on."),
            opt(
                "enable-protected-configs",
                "Who may change protected settings (dir, dbfilename, ...) with CONFIG SET, run DEBUG, or load \
                 modules: `no`, `yes`, or `local` (connections over loopback or the unix socket only).",
            ),
            opt("enable-debug-command", ""),
            opt("enable-module-command", ""),
        ],
    },
    Section {
        title: "SNAPSHOTTING",
        intro: "RDB snapshots: a forked child writes the whole dataset to `dbfilename` in `dir` while the server \
                goes on serving.",
        entries: &[
            live(
                "save",
                "Save points: snapshot after <seconds> if at least <changes> writes happened. One line per point; \
                 `save \"\"` disables snapshots.",
            ),
            live(
                "stop-writes-on-bgsave-error",
                "Refuse writes after a background save failed, until one succeeds, so a broken disk is noticed.",
            ),
            live("rdbcompression", "Compress strings in the snapshot with LZF."),
            live("rdbchecksum", "End the snapshot with a CRC64 checksum and check it when loading."),
            opt(
                "sanitize-dump-payload",
                "Deep-check RESTORE payloads and loaded data: no, yes, or `clients` (only for client commands).",
            ),
            live("dbfilename", "Snapshot file name, in `dir`."),
            opt("rdb-del-sync-files", "Delete snapshots made only to sync replicas when persistence is off."),
            opt("rdb-save-incremental-fsync", "fsync the snapshot every 4 MB while writing it, to smooth disk I/O."),
        ],
    },
    Section {
        title: "APPEND ONLY MODE",
        intro: "The append-only file logs every write; after a crash it loses at most what appendfsync allows. \
                It lives in `appenddirname` as a base file and incremental files tied together by a manifest.",
        entries: &[
            live("appendonly", "Log writes to the append-only file (and load it at start instead of the snapshot)."),
            live("appendfilename", "Base name of the append-only files."),
            live("appenddirname", "Directory in `dir` holding the append-only files and their manifest."),
            live(
                "appendfsync",
                "When to fsync the log: `always` (every write, slowest), `everysec` (at most a second lost) or \
                 `no` (leave it to the kernel).",
            ),
            opt("no-appendfsync-on-rewrite", "Skip fsync while a rewrite or snapshot child is writing to disk."),
            opt(
                "auto-aof-rewrite-percentage",
                "Rewrite the log when it grew this many percent since the last rewrite (0 = never) and is at \
                 least auto-aof-rewrite-min-size.",
            ),
            opt("auto-aof-rewrite-min-size", ""),
            opt(
                "aof-load-truncated",
                "Load a log cut short by a crash (dropping the partial command) instead of failing.",
            ),
            opt("aof-use-rdb-preamble", "Write the rewritten base file in the snapshot format (faster to load)."),
            opt("aof-timestamp-enabled", "Add timestamp annotations to the log."),
            opt("aof-rewrite-incremental-fsync", "fsync the rewritten file every 4 MB while writing it."),
            opt("aof-disable-auto-gc", "Keep old log files after a rewrite instead of deleting them."),
        ],
    },
    Section {
        title: "REPLICATION",
        intro: "",
        entries: &[
            opt("replicaof", "Make this server a replica of the given master."),
            opt(
                "masterauth",
                "Password (and ACL user) for authenticating to the master. The FERREDIS_MASTERAUTH or \
                 FERREDIS_MASTERAUTH_FILE environment variable sets it without a command-line option.",
            ),
            opt("masteruser", ""),
            opt("replica-serve-stale-data", "Serve reads while the link to the master is down or a sync runs."),
            opt("replica-read-only", "Refuse writes from clients on a replica."),
            opt("repl-diskless-sync", "Stream the snapshot to replicas over the socket instead of through a file."),
            opt("repl-diskless-sync-delay", "Seconds to wait for more replicas before a diskless sync starts."),
            opt(
                "repl-diskless-sync-max-replicas",
                "Start the diskless sync early once this many replicas wait (0 = no).",
            ),
            opt("repl-diskless-load", "How a replica loads the sync: disabled (via a file), on-empty-db, swapdb."),
            opt("repl-ping-replica-period", "Seconds between pings from the master to its replicas."),
            opt("repl-timeout", "Seconds without traffic after which a replication link counts as lost."),
            opt("repl-disable-tcp-nodelay", "Send replication traffic in fewer, larger packets (more delay)."),
            opt("repl-backlog-size", "Size of the backlog kept for replicas that reconnect (partial resync)."),
            opt("repl-backlog-ttl", "Seconds the backlog is kept after the last replica left (0 = forever)."),
            opt("replica-priority", "Rank for promotion by Sentinel; lower wins, 0 never promotes."),
            opt("replica-announced", "Show this replica in the master's INFO and to Sentinel."),
            opt("replica-announce-ip", "Address the replica reports to its master instead of its own (behind NAT)."),
            opt("replica-announce-port", "Port the replica reports to its master (0 = the one it listens on)."),
            opt(
                "min-replicas-to-write",
                "Refuse writes unless this many replicas are connected with a lag of at most \
                 min-replicas-max-lag seconds (0 = off).",
            ),
            opt("min-replicas-max-lag", "The lag, in seconds, min-replicas-to-write allows."),
            opt("replica-ignore-maxmemory", "A replica leaves eviction to its master."),
            opt("replica-lazy-flush", "Free the old dataset in the background when a full sync starts."),
            opt("replica-ignore-disk-write-errors", "Keep replicating even when the replica cannot persist."),
            opt(
                "propagation-error-behavior",
                "What a replica does when a replicated command fails: ignore, panic, or panic-on-replicas.",
            ),
        ],
    },
    Section {
        title: "SECURITY",
        intro: "`rename-command NAME NEW-NAME` renames a command (an empty new name removes it). In a container \
                image the FERREDIS_PASSWORD or FERREDIS_PASSWORD_FILE environment variable sets requirepass and \
                turns protected mode off (see the README).",
        entries: &[
            opt(
                "requirepass",
                "Password of the default user: clients must AUTH before anything else. Use a long random one: \
                 the server answers many guesses a second.",
            ),
            opt("aclfile", "File holding the ACL users."),
            opt("acllog-max-len", "Entries kept in ACL LOG."),
            opt("acl-pubsub-default", "Channels a new ACL user may use: resetchannels (none) or allchannels."),
        ],
    },
    Section {
        title: "CLIENTS",
        intro: "",
        entries: &[
            opt(
                "client-output-buffer-limit",
                "Disconnect a client whose unsent replies grow past the hard limit, or stay past the soft limit \
                 for the given seconds (0 = no limit). One line per class: normal, replica, pubsub.",
            ),
            opt("client-query-buffer-limit", "Most bytes of unparsed input kept for one client."),
            opt("proto-max-bulk-len", "Largest string a request may carry."),
            opt("maxmemory-clients", "Evict clients when their buffers together exceed this much (0 = off)."),
            opt(
                "tracking-table-max-keys",
                "Keys remembered for client-side caching invalidation (0 = no limit). ferredis has no client \
                 tracking yet.",
            ),
        ],
    },
    Section {
        title: "MEMORY MANAGEMENT",
        intro: "",
        entries: &[
            live(
                "maxmemory",
                "Memory limit for the dataset (0 = none). Past it, writes evict keys by maxmemory-policy or fail \
                 with an OOM error. Leave headroom below the machine's or container's limit for client buffers \
                 and for the pages a snapshot child copies.",
            ),
            live(
                "maxmemory-policy",
                "What to evict: volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, volatile-random, \
                 allkeys-random, volatile-ttl (volatile-* only keys with a TTL), or noeviction (refuse writes).",
            ),
            opt("maxmemory-samples", "Keys sampled per eviction; more is more exact and slower."),
            opt("maxmemory-eviction-tenacity", "How long one command may keep evicting, 0 to 100."),
            opt("lfu-log-factor", "LFU counter growth: higher makes the counter climb more slowly."),
            opt("lfu-decay-time", "Minutes after which an idle key's LFU counter is halved (0 = never)."),
            opt("active-expire-effort", "Effort of the background expiry of keys with a TTL, 1 to 10."),
            opt("activerehashing", "Rehash the keyspace tables a little on every cron run, not only on access."),
            opt("busy-poll-us", "ferredis only: the most microseconds the event loop spins before sleeping (0 = off)."),
        ],
    },
    Section {
        title: "LAZY FREEING",
        intro: "In Redis these free large values in a background thread instead of while the command runs. \
                ferredis accepts them, but has no such thread yet: it always frees synchronously.",
        entries: &[
            opt(
                "lazyfree-lazy-eviction",
                "On eviction, on expiry, on implicit deletes (RENAME over a key), on DEL \
                 (as if UNLINK), and on FLUSHALL/FLUSHDB without ASYNC/SYNC.",
            ),
            opt("lazyfree-lazy-expire", ""),
            opt("lazyfree-lazy-server-del", ""),
            opt("lazyfree-lazy-user-del", ""),
            opt("lazyfree-lazy-user-flush", ""),
        ],
    },
    Section {
        title: "ACTIVE DEFRAGMENTATION",
        intro: "Active defragmentation: the cron moves live values out of sparse memory pages and returns the pages (see the README).",
        entries: &[
            opt("activedefrag", "Turn active defragmentation on."),
            opt("active-defrag-ignore-bytes", "Thresholds and CPU budget of the defragmenter."),
            opt("active-defrag-threshold-lower", ""),
            opt("active-defrag-threshold-upper", ""),
            opt("active-defrag-cycle-min", ""),
            opt("active-defrag-cycle-max", ""),
            opt("active-defrag-max-scan-fields", ""),
        ],
    },
    Section {
        title: "SLOW LOG AND LATENCY",
        intro: "",
        entries: &[
            live(
                "slowlog-log-slower-than",
                "Record commands that run longer than this many microseconds in SLOWLOG (0 = all, -1 = none).",
            ),
            live("slowlog-max-len", "Entries kept in the slow log."),
            opt(
                "commandlog-request-larger-than",
                "COMMANDLOG large-request: record commands whose request is at least this many bytes (-1 = none).",
            ),
            opt("commandlog-large-request-max-len", "Entries kept in the large-request command log."),
            opt(
                "commandlog-reply-larger-than",
                "COMMANDLOG large-reply: record commands whose reply is at least this many bytes (-1 = none).",
            ),
            opt("commandlog-large-reply-max-len", "Entries kept in the large-reply command log."),
            live(
                "latency-monitor-threshold",
                "Record events that take at least this many milliseconds for LATENCY (0 = off).",
            ),
            opt("latency-tracking", "Keep per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats)."),
            opt("latency-tracking-info-percentiles", "Percentiles INFO latencystats shows."),
            opt("busy-reply-threshold", "Milliseconds a script may run before other clients get BUSY replies."),
        ],
    },
    Section {
        title: "EVENT NOTIFICATION",
        intro: "",
        entries: &[
            live(
                "notify-keyspace-events",
                "Keyspace notifications published over pub/sub: K (keyspace channel) and/or E (keyevent channel), \
                 with the classes g (generic), $ (string), l, s, h, z, x (expired), e (evicted), t (stream), \
                 m (key miss), d (module), n (new key), or A for all but m and n. Empty disables them.",
            ),
            opt(
                "keyspace-events-stream",
                "A ferredis extension, the change feed: the key (in database 0) of a stream that every keyspace \
                 event of the classes above is appended to (fields event, key, db, and field for a hash field's \
                 expiry), so a consumer resumes with XREAD/XREADGROUP after being away. It persists and \
                 replicates as a stream does. Empty (the default) disables it; refused in cluster mode.",
            ),
            opt("keyspace-events-stream-maxlen", "The feed's length cap (each append trims it exactly)."),
        ],
    },
    Section {
        title: "ADVANCED CONFIG",
        intro: "When small collections switch from their compact encoding to the general one.",
        entries: &[
            opt(
                "hash-max-listpack-entries",
                "Hashes stay compact while they have at most hash-max-listpack-entries fields and no field or \
                 value is longer than hash-max-listpack-value bytes.",
            ),
            opt("hash-max-listpack-value", ""),
            opt(
                "list-max-listpack-size",
                "Size of each list node: positive = entries, -1 to -5 = 4, 8, 16, 32 or 64 KB.",
            ),
            opt("list-compress-depth", "List nodes left uncompressed at each end (0 = no compression)."),
            opt("set-max-intset-entries", "Sets of integers stay compact up to this many members."),
            opt(
                "zset-max-listpack-entries",
                "Sorted sets stay compact while they have at most zset-max-listpack-entries members and no \
                 member is longer than zset-max-listpack-value bytes.",
            ),
            opt("zset-max-listpack-value", ""),
            opt("hll-sparse-max-bytes", "HyperLogLogs use the sparse form up to this size."),
            opt("stream-node-max-bytes", "Size and entry limits of one stream node."),
            opt("stream-node-max-entries", ""),
            opt(
                "stream-idmp-duration",
                "Idempotent producers (XADD IDMP): seconds a new stream remembers an idempotent id, and how many it \
                 keeps per producer (XCFGSET changes them per stream).",
            ),
            opt("stream-idmp-maxsize", ""),
        ],
    },
    Section {
        title: "CLUSTER",
        intro: "Redis Cluster: the node keeps its view of the cluster in cluster-config-file and talks on the bus port.",
        entries: &[
            opt("cluster-enabled", "Run as a cluster node."),
            opt("cluster-config-file", "Node state file, written by the server."),
            opt("cluster-node-timeout", "Milliseconds before an unreachable node is suspected of failure."),
            opt("cluster-port", "Cluster bus port (0 = port + 10000)."),
            opt(
                "cluster-databases",
                "Databases a cluster node serves (Valkey 9.0); 1 = database 0 alone, as Redis 7.0.",
            ),
            opt("cluster-replica-validity-factor", "Failover, migration and coverage rules."),
            opt("cluster-migration-barrier", ""),
            opt("cluster-allow-replica-migration", ""),
            opt("cluster-require-full-coverage", ""),
            opt("cluster-replica-no-failover", ""),
            opt(
                "cluster-slot-stats-enabled",
                "CLUSTER SLOT-STATS also reports each slot's cpu-usec, network-bytes-in and network-bytes-out.",
            ),
            opt("cluster-allow-reads-when-down", ""),
            opt("cluster-allow-pubsubshard-when-down", ""),
            opt("cluster-link-sendbuf-limit", "Send buffer limit of one cluster bus link (0 = none)."),
            opt("cluster-announce-ip", "What the node announces to the others (behind NAT)."),
            opt("cluster-announce-hostname", ""),
            opt("cluster-announce-port", ""),
            opt("cluster-announce-bus-port", ""),
            opt("cluster-announce-tls-port", ""),
            opt("cluster-preferred-endpoint-type", ""),
        ],
    },
    Section {
        title: "PROBABILISTIC TYPES",
        intro: "The filters BF.ADD, BF.MADD, BF.INSERT, CF.ADD and CF.INSERT create for a missing key, and the \
                values BF.RESERVE and CF.RESERVE take for an option left out (Redis 8's `bf` module configs).",
        entries: &[
            opt("bf-error-rate", "Bloom false-positive rate, in (0, 1); above 0.25 counts as 0.25."),
            opt("bf-initial-size", "Bloom capacity, 1 to 1073741824."),
            opt("bf-expansion-factor", "How much each added Bloom sub-filter grows, 0 to 32768 (0 = non-scaling)."),
            opt("cf-bucket-size", "Items per cuckoo bucket, 1 to 255 and at most half of cf-initial-size."),
            opt("cf-initial-size", "Cuckoo capacity, at least twice cf-bucket-size, at most 1073741824."),
            opt("cf-max-iterations", "Cuckoo relocations tried before a filter expands, 1 to 65535."),
            opt("cf-expansion-factor", "How much each added cuckoo sub-filter grows, 0 to 32768."),
            opt("cf-max-expansions", "Cuckoo adds are refused once a filter has this many sub-filters, 1 to 65536."),
        ],
    },
    Section {
        title: "TLS",
        intro: "TLS needs a build with the `tls` feature (cargo build --features tls, make static TLS=1); other \
                builds accept these so existing files load, and tls-port must stay 0 there.",
        entries: &[
            opt("tls-port", "Port for TLS connections."),
            opt("tls-cert-file", "Certificates, keys and trust anchors."),
            opt("tls-key-file", ""),
            opt("tls-key-file-pass", ""),
            opt("tls-client-cert-file", ""),
            opt("tls-client-key-file", ""),
            opt("tls-client-key-file-pass", ""),
            opt("tls-dh-params-file", ""),
            opt("tls-ca-cert-file", ""),
            opt("tls-ca-cert-dir", ""),
            opt("tls-auth-clients", "Require client certificates: yes, no or optional."),
            opt("tls-replication", "Use TLS for replication and the cluster bus."),
            opt("tls-cluster", ""),
            opt("tls-protocols", "Protocol versions, ciphers and session cache."),
            opt("tls-ciphers", ""),
            opt("tls-ciphersuites", ""),
            opt("tls-prefer-server-ciphers", ""),
            opt("tls-session-caching", ""),
            opt("tls-session-cache-size", ""),
            opt("tls-session-cache-timeout", ""),
        ],
    },
    Section {
        title: "TESTING",
        intro: "For test suites, not production: CONFIG GET shows these only when asked by exact name.",
        entries: &[
            opt("rdb-key-save-delay", "Microseconds to sleep per key while saving (negative: nanoseconds)."),
            opt("key-load-delay", "Microseconds to sleep per key while loading (negative: nanoseconds)."),
            opt("cluster-ping-interval", "Milliseconds after a peer's last pong before it is pinged (0: half the node timeout)."),
            opt("loading-process-events-interval-bytes", "Serve clients every this many bytes while loading."),
            opt("use-exit-on-panic", "Exit instead of aborting on an assertion failure."),
            opt("watchdog-period", "Milliseconds after which a stuck cron logs a stack trace (0 = off)."),
        ],
    },
];

/// Title of the section collecting directives the table does not place.
pub const OTHER_TITLE: &str = "OTHER DIRECTIVES";

/// Directives of [`config::DIRECTIVES`] that no section places, in table order.
pub fn unplaced() -> Vec<&'static Directive> {
    config::DIRECTIVES.iter().filter(|d| !SECTIONS.iter().any(|s| s.entries.iter().any(|e| e.name == d.name))).collect()
}

/// The lines setting `d` to its default, as written in the file (before commenting out).
pub fn default_lines(defaults: &Config, d: &Directive) -> Vec<String> {
    match d.name {
        // The default is the start-up directory; an absolute path here would be this machine's.
        "dir" => vec!["dir ./".to_string()],
        // No master by default, and no line can say so: show the syntax.
        "replicaof" => vec!["replicaof <masterip> <masterport>".to_string()],
        _ => config::rewrite_lines(defaults, d),
    }
}

/// The whole `ferredis.conf`.
pub fn render() -> String {
    let defaults = Config::default();
    let mut out = String::new();
    comment(&mut out, HEADER);
    for s in SECTIONS {
        heading(&mut out, s.title);
        if !s.intro.is_empty() {
            comment(&mut out, s.intro);
            out.push('\n');
        }
        // A group: an entry with a description and the undescribed entries after it, which share it.
        let mut group: Vec<(&Directive, bool)> = Vec::new();
        let mut doc = "";
        for e in s.entries {
            let Some(d) = config::DIRECTIVES.iter().find(|d| d.name == e.name) else { continue };
            if !e.doc.is_empty() && !group.is_empty() {
                paragraph(&mut out, &defaults, doc, &group);
                group.clear();
            }
            if !e.doc.is_empty() || group.is_empty() {
                doc = e.doc;
            }
            group.push((d, e.live));
        }
        if !group.is_empty() {
            paragraph(&mut out, &defaults, doc, &group);
        }
    }
    let rest = unplaced();
    if !rest.is_empty() {
        heading(&mut out, OTHER_TITLE);
        comment(&mut out, "Directives the generator has no description for yet (add them to src/conf_reference.rs).");
        out.push('\n');
        for d in rest {
            paragraph(&mut out, &defaults, "", &[(d, false)]);
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn heading(out: &mut String, title: &str) {
    let pad = (WRAP.saturating_sub(title.len() + 2)) / 2;
    let bar = "#".repeat(pad);
    out.push_str(&format!("\n\n{bar} {title} {bar}\n\n"));
}

/// One paragraph: the shared description, what the table says about each directive (aliases, the one value
/// accepted; named when the group has several), then their lines, live or commented out.
fn paragraph(out: &mut String, defaults: &Config, doc: &str, group: &[(&Directive, bool)]) {
    let mut notes = doc.to_string();
    for (d, _) in group {
        if let Some(a) = d.alias {
            if group.len() == 1 {
                push_sentence(&mut notes, &format!("Also accepted as `{a}`."));
            } else {
                push_sentence(&mut notes, &format!("`{}` is also accepted as `{a}`.", d.name));
            }
        }
        if let Some(only) = d.only {
            let shown = if only.is_empty() { "\"\"" } else { only };
            push_sentence(&mut notes, &format!("ferredis accepts only `{} {shown}` for now.", d.name));
        }
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    if !notes.is_empty() {
        comment(out, &notes);
    }
    for (d, live) in group {
        for line in default_lines(defaults, d) {
            if !live {
                out.push_str("# ");
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
}

fn push_sentence(s: &mut String, sentence: &str) {
    if !s.is_empty() {
        s.push(' ');
    }
    s.push_str(sentence);
}

/// Writes `text` as `# ` comment lines wrapped at [`WRAP`]; its own line breaks are kept, and lines starting
/// with spaces (examples) are not wrapped.
fn comment(out: &mut String, text: &str) {
    for para in text.split('\n') {
        if para.is_empty() {
            out.push_str("#\n");
            continue;
        }
        if para.starts_with(' ') {
            out.push_str(&format!("#{para}\n"));
            continue;
        }
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && 2 + line.len() + 1 + word.len() > WRAP {
                out.push_str(&format!("# {line}\n"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            out.push_str(&format!("# {line}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_names_a_directive_once() {
        let mut seen = std::collections::HashSet::new();
        for s in SECTIONS {
            for e in s.entries {
                assert!(config::DIRECTIVES.iter().any(|d| d.name == e.name), "{}: no such directive", e.name);
                assert!(seen.insert(e.name), "{} is placed twice", e.name);
            }
        }
    }

    #[test]
    fn a_group_names_the_notes_of_its_members() {
        let text = render().replace("\n# ", " ");
        // cluster-replica-no-failover shares cluster-replica-validity-factor's text; its alias is named.
        assert!(text.contains("`cluster-replica-no-failover` is also accepted as `cluster-slave-no-failover`."));
        assert!(!text.contains("Also accepted as `cluster-slave-no-failover`."));
    }

    #[test]
    fn an_unplaced_directive_still_appears() {
        // Whatever the table misses is rendered under OTHER DIRECTIVES, so the file covers the whole table.
        let text = render();
        for d in unplaced() {
            assert!(text.contains(&format!("\n# {} ", d.name)), "{}", d.name);
        }
        assert_eq!(unplaced().is_empty(), !text.contains(OTHER_TITLE));
    }

    #[test]
    fn comments_wrap_and_lines_stay_short() {
        let text = render();
        for line in text.lines().filter(|l| l.starts_with("# ") && !l.starts_with("#  ")) {
            // Only a single word longer than the width may exceed it.
            assert!(line.len() <= WRAP || !line[2..].contains(' '), "too long: {line}");
        }
        let mut out = String::new();
        comment(&mut out, "a b\n\n    keep   this");
        assert_eq!(out, "# a b\n#\n#    keep   this\n");
    }

    #[test]
    fn notes_come_from_the_table() {
        let text = render();
        assert_eq!(text.contains("ferredis accepts only `tls-port 0` for now."), !cfg!(feature = "tls"));
        assert!(text.contains("Also accepted as `slaveof`."));
        assert!(text.contains("\nport 6379\n"));
        assert!(text.contains("\n# replicaof <masterip> <masterport>\n"));
        assert!(text.contains("\nsave 3600 1\nsave 300 100\nsave 60 10000\n"));
    }
}
