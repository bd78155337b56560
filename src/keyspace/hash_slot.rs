//! The hash slot of a key (Redis's `keyHashSlot`): CRC16 of the key, or of its `{hash tag}`, modulo 16384.
//!
//! A leaf under the keyspace: the slot index ([`keyspace::slots`](crate::keyspace::slots)), the cluster's redirection
//! and the bus all compute slots here, so the keyspace needs nothing of the cluster to count its keys per slot.

/// Hash slots of the key space.
pub const SLOTS: usize = 16384;

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), Redis's `crc16`, over a table built at compile time.
const CRC16_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut k = 0;
        while k < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            k += 1;
        }
        t[i] = crc;
        i += 1;
    }
    t
};

pub fn crc16(buf: &[u8]) -> u16 {
    buf.iter().fold(0u16, |crc, &b| (crc << 8) ^ CRC16_TABLE[((crc >> 8) as u8 ^ b) as usize])
}

/// The hash slot of a key (Redis's `keyHashSlot`): CRC16 of the whole key, or of the part between the first `{`
/// and the next `}` when that part is not empty.
#[inline]
pub fn key_hash_slot(key: &[u8]) -> usize {
    let hashed = match memchr::memchr(b'{', key) {
        Some(open) => match memchr::memchr(b'}', &key[open + 1..]) {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    (crc16(hashed) & 0x3FFF) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_and_slots_match_redis() {
        // Redis's own test vector for crc16 (XMODEM): "123456789" → 0x31C3.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        // Values `CLUSTER KEYSLOT` answers on Redis 7.0.
        assert_eq!(key_hash_slot(b"foo"), 12182);
        assert_eq!(key_hash_slot(b"bar"), 5061);
        assert_eq!(key_hash_slot(b"{user1000}.following"), key_hash_slot(b"user1000"));
        assert_eq!(key_hash_slot(b"foo{}{bar}"), key_hash_slot(b"foo{}{bar}"));
        assert_ne!(key_hash_slot(b"foo{}{bar}"), key_hash_slot(b"bar"));
        assert_eq!(key_hash_slot(b"foo{{bar}}zap"), key_hash_slot(b"{bar"));
        assert_eq!(key_hash_slot(b"foo{bar}{zap}"), key_hash_slot(b"bar"));
    }
}
