//! The cluster bus's binary messages, Redis 7.0's `clusterMsg` (`cluster.h`): encode and decode, no I/O.
//! Owned by the bus work (`i32-bus`).

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
