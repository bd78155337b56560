//! The geo index's arithmetic (Redis `geohash.c` and `geohash_helper.c`): a point is a sorted-set score, the
//! 52-bit interleaving of its latitude and longitude cells, and an area search visits the sorted-set ranges of
//! the 9 cells around the centre.
//!
//! ```text
//!   score bits (step 26):  ... lon1 lat1 lon0 lat0      longitude bits on the odd positions, latitude on the even
//!   cell of (lon, lat) at step s:  floor((lon + 180) / 360 * 2^s), floor((lat + 85.05112878) / 170.10225756 * 2^s)
//!   search: step estimated from the radius (+ one less when a neighbour cell doesn't reach the bounding box),
//!           cells wholly outside the bounding box dropped, each remaining cell = score range [cell << k, cell+1 << k)
//! ```
//!
//! Every expression is evaluated in the order Redis's C evaluates it, so decoded coordinates, distances and the
//! cells searched are bit-for-bit Redis's (given the same libm `sin`/`cos`/`asin`). Scores that no GEOADD made
//! (ZADD of negative, huge or infinite scores) decode as x86-64 Redis decodes them: its `(uint64_t)` cast of the
//! double is modelled by [`c_double_to_u64`].
//!
//! Pure arithmetic, no keyspace: the commands (`command/geo.rs`) walk the sorted set. Tested by the unit tests
//! below (values pinned from Redis 7.0.15) and `tests/types/geo.rs` against a live redis-server.

/// Bits per coordinate in a stored score (26 * 2 = 52 bits: exact in a double).
pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;

const D_R: f64 = std::f64::consts::PI / 180.0;
/// Redis's Earth radius for WGS-84 distances.
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

/// A cell: `step` bits per coordinate, interleaved. Bits 0 and step 0 is the "no cell" mark (`GZERO`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The sorted-set score range `[min, max)` holding every point of the cell (`scoresOfGeoHashBox`).
    pub fn score_range(&self) -> (f64, f64) {
        let shift = 52 - 2 * u32::from(self.step.min(26));
        let min = self.bits.wrapping_shl(shift);
        let max = self.bits.wrapping_add(1).wrapping_shl(shift);
        (min as f64, max as f64)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

const WGS84_LONG: Range = Range { min: LONG_MIN, max: LONG_MAX };
const WGS84_LAT: Range = Range { min: LAT_MIN, max: LAT_MAX };
/// The standard geohash latitude range (GEOHASH re-encodes with it).
pub const STANDARD_LAT: Range = Range { min: -90.0, max: 90.0 };

/// x on the even bits, y on the odd bits.
fn interleave64(xlo: u32, ylo: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = v as u64;
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(xlo) | (spread(ylo) << 1)
}

/// The inverse: the even bits in the low half, the odd bits in the high half.
fn deinterleave64(v: u64) -> u64 {
    fn squash(mut v: u64) -> u64 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    squash(v) | (squash(v >> 1) << 32)
}

/// The cell of (longitude, latitude) at `step` within the given ranges; None outside them (or outside the
/// WGS-84 limits) or for a step outside 1..=32.
// C's comparisons, spelt as in C (a NaN coordinate is not "outside", as there).
#[allow(clippy::manual_range_contains)]
pub fn encode(long_range: Range, lat_range: Range, longitude: f64, latitude: f64, step: u8) -> Option<HashBits> {
    let zero = |r: Range| r.min == 0.0 && r.max == 0.0;
    if step > 32 || step == 0 || zero(lat_range) || zero(long_range) {
        return None;
    }
    // NaN passes these tests as in C (comparisons with NaN are false); callers never pass one.
    if longitude > LONG_MAX || longitude < LONG_MIN || latitude > LAT_MAX || latitude < LAT_MIN {
        return None;
    }
    if latitude < lat_range.min || latitude > lat_range.max || longitude < long_range.min || longitude > long_range.max
    {
        return None;
    }
    let mut lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min);
    let mut long_offset = (longitude - long_range.min) / (long_range.max - long_range.min);
    lat_offset *= (1u64 << step) as f64;
    long_offset *= (1u64 << step) as f64;
    // C converts to uint32_t by truncation; offsets are within 0..=2^step here.
    Some(HashBits { bits: interleave64(lat_offset as u32, long_offset as u32), step })
}

/// [`encode`] in the WGS-84 ranges Redis stores points in.
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<HashBits> {
    encode(WGS84_LONG, WGS84_LAT, longitude, latitude, step)
}

/// The score GEOADD stores for a valid point.
pub fn score_of(longitude: f64, latitude: f64) -> u64 {
    encode_wgs84(longitude, latitude, STEP_MAX).map_or(0, align52)
}

/// The cell's bits left-aligned to 52 bits.
pub fn align52(h: HashBits) -> u64 {
    h.bits.wrapping_shl(52u32.wrapping_sub(2 * u32::from(h.step)))
}

/// The area a cell covers; None for the zero cell.
pub fn decode(long_range: Range, lat_range: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let step = hash.step;
    let sep = deinterleave64(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    // Dividing by 2^step is exact scaling, so multiplying by 2^-step gives the same bits (and is cheaper).
    let inv = f64::from_bits((1023 - u64::from(step.min(63))) << 52);
    let ilato_next = ilato.wrapping_add(1);
    let ilono_next = ilono.wrapping_add(1);
    Some(Area {
        latitude: Range {
            min: lat_range.min + (ilato as f64 * inv) * lat_scale,
            max: lat_range.min + (ilato_next as f64 * inv) * lat_scale,
        },
        longitude: Range {
            min: long_range.min + (ilono as f64 * inv) * long_scale,
            max: long_range.min + (ilono_next as f64 * inv) * long_scale,
        },
    })
}

fn decode_wgs84(hash: HashBits) -> Option<Area> {
    decode(WGS84_LONG, WGS84_LAT, hash)
}

/// The centre of an area, clamped to the WGS-84 limits: [longitude, latitude].
fn area_center(a: &Area) -> [f64; 2] {
    let lon = ((a.longitude.min + a.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.latitude.min + a.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// C's `(uint64_t)` conversion of a double as gcc compiles it for x86-64: values below 2^63 (negative ones and
/// NaN included) go through the signed conversion (out of range: 2^63), the others are offset by 2^63 first.
pub fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9223372036854775808.0;
    if d >= TWO63 {
        (cvttsd2si(d - TWO63) as u64) ^ (1 << 63)
    } else {
        cvttsd2si(d) as u64
    }
}

/// x86-64's truncating double to int64 conversion: the "integer indefinite" value for NaN and out-of-range input.
pub fn cvttsd2si(d: f64) -> i64 {
    if d.is_nan() || !(-9223372036854775808.0..9223372036854775808.0).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// The coordinates a score stands for, [longitude, latitude] (`decodeGeohash`).
pub fn decode_score(score: f64) -> [f64; 2] {
    let hash = HashBits { bits: c_double_to_u64(score), step: STEP_MAX };
    // A step of 26 is never the zero cell, so decoding always succeeds.
    decode_wgs84(hash).map_or([0.0, 0.0], |a| area_center(&a))
}

/// The 11-character standard geohash of a score (GEOHASH).
pub fn standard_geohash(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [lon, lat] = decode_score(score);
    let bits = encode(WGS84_LONG, STANDARD_LAT, lon, lat, 26).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

/// The odd (longitude) bits of an interleaved hash.
const X_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;
/// The even (latitude) bits.
const Y_BITS: u64 = 0x5555_5555_5555_5555;

/// Moves `h` one cell along the axis whose bits are `axis` (`X_BITS` or `Y_BITS`), up when `d > 0`, down when
/// `d < 0`: Redis's `geohash_move_x` and `geohash_move_y`, one function over either set of interleaved bits.
fn move_along(h: &mut HashBits, d: i8, axis: u64) {
    if d == 0 {
        return;
    }
    let mut v = h.bits & axis;
    let other = h.bits & !axis;
    let shift = 64 - 2 * u32::from(h.step);
    // The other axis's bits all set: a carry or borrow crosses them.
    let zz = !axis >> shift;
    if d > 0 {
        v = v.wrapping_add(zz + 1);
    } else {
        v |= zz;
        v = v.wrapping_sub(zz + 1);
    }
    v &= axis >> shift;
    h.bits = v | other;
}

/// The cell one step away in longitude (`dx`) and latitude (`dy`).
fn neighbour(h: HashBits, dx: i8, dy: i8) -> HashBits {
    let mut n = h;
    move_along(&mut n, dx, X_BITS);
    move_along(&mut n, dy, Y_BITS);
    n
}

#[inline]
fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

#[inline]
fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// The step (bits per coordinate) whose cells are about the search radius (`geohashEstimateStepsByRadius`).
#[allow(clippy::manual_range_contains)]
pub fn estimate_steps_by_radius(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if lat > 66.0 || lat < -66.0 {
        step -= 1;
        if lat > 80.0 || lat < -80.0 {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// Distance along a meridian.
pub fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// Haversine great-circle distance in meters.
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// What is searched: a circle or an axis-aligned box (sizes in `unit`s, `to_meters` per unit) around a centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// [longitude, latitude]
    pub center: [f64; 2],
    pub kind: ShapeKind,
    pub to_meters: f64,
    /// The centre in radians and the cosine of its latitude: what [`distance`] computes for the centre on every
    /// call (the same libm call on the same input, so the same bits).
    lon_r: f64,
    lat_r: f64,
    cos_lat: f64,
}

impl Shape {
    pub fn new(center: [f64; 2], kind: ShapeKind, to_meters: f64) -> Shape {
        let lat_r = deg_rad(center[1]);
        Shape { center, kind, to_meters, lon_r: deg_rad(center[0]), lat_r, cos_lat: lat_r.cos() }
    }

    /// [`distance`] from the centre to (lon, lat).
    fn distance_from_center(&self, lon: f64, lat: f64) -> f64 {
        let v = ((deg_rad(lon) - self.lon_r) / 2.0).sin();
        if v == 0.0 {
            return lat_distance(self.center[1], lat);
        }
        let lat2r = deg_rad(lat);
        let u = ((lat2r - self.lat_r) / 2.0).sin();
        let a = u * u + self.cos_lat * lat2r.cos() * v * v;
        2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
    }

    /// The distance from the centre to (lon, lat) when the point is inside the shape (`geoWithinShape`).
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        let [x1, y1] = self.center;
        match self.kind {
            ShapeKind::Radius(r) => {
                let r = r * self.to_meters;
                // The great-circle distance is at least the distance along the meridian. Computed, the haversine
                // can fall short of it by a fraction of a meter near the antipode (asin close to 1), so a point
                // is only rejected this way (no trigonometry) when it is more than a meter beyond that bound.
                if lat_distance(y1, lat) > r + 1.0 + r * 1e-9 {
                    return None;
                }
                let d = self.distance_from_center(lon, lat);
                (d <= r).then_some(d)
            }
            ShapeKind::Box { width, height } => {
                let (width_m, height_m) = (width * self.to_meters, height * self.to_meters);
                if lat_distance(lat, y1) > height_m / 2.0 {
                    return None;
                }
                if distance(lon, lat, x1, lat) > width_m / 2.0 {
                    return None;
                }
                Some(self.distance_from_center(lon, lat))
            }
        }
    }

    /// [min lon, min lat, max lon, max lat] of the area to cover (`geohashBoundingBox`).
    fn bounding_box(&self) -> [f64; 4] {
        let [longitude, latitude] = self.center;
        let (h, w) = match self.kind {
            ShapeKind::Radius(r) => (r, r),
            ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.to_meters * h;
        let width = self.to_meters * w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
        let long_delta = if latitude < 0.0 { long_delta_bottom } else { long_delta_top };
        [longitude - long_delta, latitude - lat_delta, longitude + long_delta, latitude + lat_delta]
    }

    /// The cells to search, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), zero cells for the skipped
    /// ones (`geohashCalculateAreasByShapeWGS84`).
    pub fn cells(&self) -> [HashBits; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let [longitude, latitude] = self.center;
        let radius_meters = match self.kind {
            ShapeKind::Radius(r) => r,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.to_meters;
        let mut steps = estimate_steps_by_radius(radius_meters, latitude);
        let around = |steps: u8| {
            let hash = encode_wgs84(longitude, latitude, steps).unwrap_or(HashBits { bits: 0, step: steps });
            let n = [
                hash,
                neighbour(hash, 0, 1),
                neighbour(hash, 0, -1),
                neighbour(hash, 1, 0),
                neighbour(hash, -1, 0),
                neighbour(hash, 1, 1),
                neighbour(hash, -1, 1),
                neighbour(hash, 1, -1),
                neighbour(hash, -1, -1),
            ];
            (n, decode_wgs84(hash).unwrap_or_default())
        };
        let (mut n, mut area) = around(steps);
        let dec = |h: HashBits| decode_wgs84(h).unwrap_or_default();
        let decrease = dec(n[1]).latitude.max < max_lat
            || dec(n[2]).latitude.min > min_lat
            || dec(n[3]).longitude.max < max_lon
            || dec(n[4]).longitude.min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            (n, area) = around(steps);
        }
        if steps >= 2 {
            let zero = HashBits::default();
            if area.latitude.min < min_lat {
                (n[2], n[8], n[7]) = (zero, zero, zero);
            }
            if area.latitude.max > max_lat {
                (n[1], n[5], n[6]) = (zero, zero, zero);
            }
            if area.longitude.min < min_lon {
                (n[4], n[8], n[6]) = (zero, zero, zero);
            }
            if area.longitude.max > max_lon {
                (n[3], n[7], n[5]) = (zero, zero, zero);
            }
        }
        n
    }
}

/// Redis's `pqsort` (a partial quicksort from NetBSD's qsort): afterwards the positions `lrange..=rrange` hold
/// what a full sort would put there, and elements that compare equal end up in exactly Redis's order, which
/// matters for ties in the first COUNT results. `cmp` returns <0, 0, >0.
pub fn pqsort<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> i32, lrange: usize, rrange: usize) {
    pqsort_at(v, 0, v.len(), cmp, lrange, rrange);
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &dyn Fn(&T, &T) -> i32) -> usize {
    if cmp(&v[a], &v[b]) < 0 {
        if cmp(&v[b], &v[c]) < 0 {
            b
        } else if cmp(&v[a], &v[c]) < 0 {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) > 0 {
        b
    } else if cmp(&v[a], &v[c]) < 0 {
        a
    } else {
        c
    }
}

fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Whether the sub-array `start..start+len` overlaps the wanted positions (Redis's pointer test, by index).
fn wanted(start: usize, len: usize, l: usize, r: usize) -> bool {
    !((l < start && r < start) || (l >= start + len && r >= start + len))
}

fn pqsort_at<T>(v: &mut [T], mut base: usize, mut n: usize, cmp: &dyn Fn(&T, &T) -> i32, l: usize, r: usize) {
    loop {
        if n < 7 {
            for pm in base + 1..base + n {
                let mut pl = pm;
                while pl > base && cmp(&v[pl - 1], &v[pl]) > 0 {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = base + n / 2;
        if n > 7 {
            let mut pl = base;
            let mut pn = base + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(base, pm);
        let (mut pa, mut pb) = (base + 1, base + 1);
        let (mut pc, mut pd) = (base + n - 1, base + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[base]);
                if c > 0 {
                    break;
                }
                if c == 0 {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[base]);
                if c < 0 {
                    break;
                }
                if c == 0 {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = base + n;
        let s = (pa - base).min(pb - pa);
        vecswap(v, base, pb - s, s);
        let s = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - s, s);
        let s = pb - pa;
        if s > 1 && wanted(base, s, l, r) {
            pqsort_at(v, base, s, cmp, l, r);
        }
        let s = pd - pc;
        if s > 1 {
            base = pn - s;
            n = s;
            if wanted(base, n, l, r) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (x, y) in [(0u32, 0u32), (1, 0), (0, 1), (0x3ff_ffff, 0x155_5555), (u32::MAX, 12345)] {
            let i = interleave64(x, y);
            assert_eq!(deinterleave64(i), x as u64 | ((y as u64) << 32));
        }
    }

    /// Scores and positions as Redis 7.0.15 reports them (GEOADD then ZSCORE / GEOPOS / GEOHASH).
    #[test]
    fn pinned_against_redis() {
        assert_eq!(score_of(13.361389, 38.115556), 3479099956230698);
        assert_eq!(score_of(15.087269, 37.502669), 3479447370796909);
        let [lon, lat] = decode_score(3479099956230698.0);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(&standard_geohash(score_of(-5.6, 42.6) as f64), b"ezs42e44yx0");
        let d = distance(13.361389338970184, 38.1155563954963, 15.087267458438873, 37.50266842333162);
        assert_eq!(format!("{:.4}", d), "166274.1516");
    }

    #[test]
    fn c_conversions() {
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(c_double_to_u64(1e19), 10_000_000_000_000_000_000);
        assert_eq!(cvttsd2si(1e300), i64::MIN);
    }

    #[test]
    fn steps() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert_eq!(estimate_steps_by_radius(1.0, 0.0), 24);
        assert_eq!(estimate_steps_by_radius(1.0, 70.0), 23);
        assert_eq!(estimate_steps_by_radius(1.0, -85.0), 22);
        assert_eq!(estimate_steps_by_radius(1e9, 0.0), 1);
        assert_eq!(estimate_steps_by_radius(f64::INFINITY, 0.0), 1);
    }

    #[test]
    fn pqsort_orders_the_wanted_prefix() {
        let mut rng = crate::util::Rng::new(7);
        for n in [0usize, 1, 5, 7, 8, 41, 100, 1000] {
            for k in [1usize, 3, 10] {
                let mut v: Vec<(u64, usize)> = (0..n).map(|i| (rng.below(20), i)).collect();
                let mut sorted = v.clone();
                sorted.sort_by_key(|p| p.0);
                let cmp = |a: &(u64, usize), b: &(u64, usize)| a.0.cmp(&b.0) as i32;
                let k = k.min(n);
                if k == 0 {
                    continue;
                }
                pqsort(&mut v, &cmp, 0, k - 1);
                let got: Vec<u64> = v[..k].iter().map(|p| p.0).collect();
                let want: Vec<u64> = sorted[..k].iter().map(|p| p.0).collect();
                assert_eq!(got, want, "n={n} k={k}");
            }
        }
    }
}
