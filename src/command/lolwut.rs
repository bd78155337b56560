//! LOLWUT (Redis `lolwut.c`, `lolwut5.c`, `lolwut6.c`): computer art and the version, chosen by the version.
//!
//! `LOLWUT [VERSION v] [args...]` picks the piece as Redis does from the version string (`v` printed as an
//! unsigned C int, then `"<v>.0.0"`): 5.x (and 4.9) draws Georg Nees's "Schotter" in Braille dots, 6.x (and 5.9)
//! a city skyline in terminal colours, anything else (7.0 itself) answers `Redis ver. 7.0.15`. The drawings use
//! the same canvas, the same Bresenham lines, the same float arithmetic and the same limits as Redis, so for the
//! same random draws the bytes are the same; the random draws themselves come from the server's generator (Redis
//! uses `rand()`, seeded at start-up), so only the rows Schotter leaves unrotated (the first two) and the frame
//! are reproducible between the two servers.

use super::shared::int_arg;
use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::config::REDIS_VERSION;
use crate::util::Rng;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "lolwut",
    arity: -1,
    flags: flag::READONLY | flag::FAST,
    acl: "read fast",
    since: "5.0.0",
    summary: "Display some computer art and the Redis version",
    complexity: "",
    syntax: "[VERSION version{:integer}]",
    handler: lolwut,
    group: Group::Server,
    ..BASE
}];

fn lolwut(ctx: &mut Ctx, args: Args) {
    let mut version = REDIS_VERSION.to_string();
    let mut first = 1;
    if args.len() >= 3 && args.is(1, "version") {
        let Some(v) = int_arg(ctx.reply(), args.get(2)) else { return };
        version = format!("{}.0.0", v as u32);
        first = 3;
    }
    let v = version.as_bytes();
    let is =
        |major: u8, minor_nine: bool| v.len() >= 3 && v[0] == major && v[1] == b'.' && ((v[2] == b'9') == minor_nine);
    // Version-specific arguments are C longs, parsed in order; the first bad one is the error.
    let mut nums = [0i64; 3];
    let extra = args.len() - first;
    let wanted = if is(b'5', false) || is(b'4', true) {
        3
    } else if is(b'6', false) || is(b'5', true) {
        2
    } else {
        0
    };
    for (i, n) in nums.iter_mut().enumerate().take(wanted.min(extra)) {
        let Some(x) = int_arg(ctx.reply(), args.get(first + i)) else { return };
        *n = x;
    }
    let given = |i: usize, default: i64| if i < extra { nums[i].clamp(1, 1000) } else { default };
    let text = match wanted {
        3 => {
            let cols = given(0, 66);
            let per_row = if extra > 1 { nums[1].clamp(1, 200) } else { 8 };
            let per_col = if extra > 2 { nums[2].clamp(1, 200) } else { 12 };
            let mut t = schotter(cols as i32, per_row as i32, per_col as i32, ctx.rng());
            t.extend_from_slice(b"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ");
            t
        }
        2 => {
            let mut t = skyline(given(0, 80) as i32, given(1, 20) as i32, ctx.rng());
            t.extend_from_slice(
                b"\nDedicated to the 8 bit game developers of past and present.\n\
                  Original 8 bit image from Plaguemon by hikikomori. Redis ver. ",
            );
            t
        }
        _ => b"Redis ver. ".to_vec(),
    };
    let mut text = text;
    text.extend_from_slice(REDIS_VERSION.as_bytes());
    text.push(b'\n');
    ctx.reply().verbatim("txt", &text);
}

/// C's `rand()`: a non-negative 31-bit number.
fn rand(rng: &mut Rng) -> i32 {
    (rng.next_u64() >> 33) as i32
}

/// `rand() / RAND_MAX` as a float.
fn rand_unit(rng: &mut Rng) -> f32 {
    rand(rng) as f32 / i32::MAX as f32
}

/// A grid of pixels, one byte (a colour) each; reads and writes outside it are ignored, as Redis's canvas does.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i32, height: i32, colour: u8) -> Canvas {
        let (w, h) = (width.max(0) as usize, height.max(0) as usize);
        Canvas { width, height, pixels: vec![colour; w * h] }
    }

    fn set(&mut self, x: i32, y: i32, colour: u8) {
        if x >= 0 && x < self.width && y >= 0 && y < self.height {
            self.pixels[(x + y * self.width) as usize] = colour;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        if x >= 0 && x < self.width && y >= 0 && y < self.height {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham's line from (x1, y1) to (x2, y2).
    fn line(&mut self, mut x1: i32, mut y1: i32, x2: i32, y2: i32, colour: u8) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        loop {
            self.set(x1, y1, colour);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square of side `size` centred on (x, y), rotated by `angle` radians. The arithmetic mixes float and
    /// double exactly as Redis's `lwDrawSquare` does, so the corners land on the same pixels (Redis divides by the
    /// truncated literal 1.4142135623, not by the exact square root of two).
    #[allow(clippy::approx_constant)]
    fn square(&mut self, x: i32, y: i32, size: f32, angle: f32, colour: u8) {
        let size = ((size as f64 / 1.4142135623) as f32 as f64).round() as f32;
        let mut k = (std::f64::consts::PI / 4.0 + angle as f64) as f32;
        let mut px = [0i32; 4];
        let mut py = [0i32; 4];
        for j in 0..4 {
            px[j] = ((k as f64).sin() * size as f64 + x as f64).round() as i32;
            py[j] = ((k as f64).cos() * size as f64 + y as f64).round() as i32;
            k = (k as f64 + std::f64::consts::PI / 2.0) as f32;
        }
        for j in 0..4 {
            self.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], colour);
        }
    }
}

/// LOLWUT 5: Schotter, rows rotating and drifting more the lower they are, rendered as Braille characters (each
/// character a 2x4 block of pixels).
fn schotter(cols: i32, per_row: i32, per_col: i32, rng: &mut Rng) -> Vec<u8> {
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i32;
    let mut c = Canvas::new(width, height, 0);
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0.0f32;
            if y > 1 {
                let mut r1 = rand_unit(rng) / per_col as f32 * y as f32;
                let mut r2 = rand_unit(rng) / per_col as f32 * y as f32;
                let mut r3 = rand_unit(rng) / per_col as f32 * y as f32;
                for r in [&mut r1, &mut r2, &mut r3] {
                    if rand(rng) % 2 == 1 {
                        *r = -*r;
                    }
                }
                angle = r1;
                sx = (sx as f32 + r2 * side / 3.0) as i32;
                sy = (sy as f32 + r3 * side / 3.0) as i32;
            }
            c.square(sx, sy, side, angle, 1);
        }
    }
    let mut out = Vec::new();
    let mut y = 0;
    while y < c.height {
        let mut x = 0;
        while x < c.width {
            let dots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)];
            let mut byte = 0u32;
            for (bit, (dx, dy)) in dots.iter().enumerate() {
                if c.get(x + dx, y + dy) != 0 {
                    byte |= 1 << bit;
                }
            }
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(char::from_u32(0x2800 + byte).unwrap_or(' ').encode_utf8(&mut utf8).as_bytes());
            x += 2;
        }
        if y != c.height - 1 {
            out.push(b'\n');
        }
        y += 4;
    }
    out
}

/// LOLWUT 6: two rows of grey background towers, then black towers with grey windows, one terminal cell per pixel.
fn skyline(cols: i32, rows: i32, rng: &mut Rng) -> Vec<u8> {
    let mut c = Canvas::new(cols, rows, 3);
    let h = c.height;
    for colour in [2u8, 1] {
        let mut offset = -10;
        while offset < c.width {
            offset += rand(rng) % 8;
            let width = 10 + rand(rng) % 9;
            let height = if colour == 2 { h / 2 + rand(rng) % h / 2 } else { h / 2 + rand(rng) % h / 3 };
            tower(&mut c, offset, width, height, false, colour, rng);
            offset += if colour == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < c.width {
        offset += rand(rng) % 8;
        let mut width = 5 + rand(rng) % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = h / 3 + rand(rng) % h / 2;
        tower(&mut c, offset, width, height, true, 0, rng);
        offset += width + 5;
    }
    let mut out = Vec::new();
    for y in 0..c.height {
        for x in 0..c.width {
            let escape: &[u8] = match c.get(x, y) {
                1 => b"0;90;100m",
                2 => b"0;37;47m",
                3 => b"0;97;107m",
                _ => b"0;30;40m",
            };
            out.extend_from_slice(b"\x1b[");
            out.extend_from_slice(escape);
            out.extend_from_slice(b" \x1b[0m");
        }
        if y != c.height - 1 {
            out.push(b'\n');
        }
    }
    out
}

/// One tower standing on the bottom row, its roof two pixels narrower on each side; windows (two pixels wide,
/// one tall, in a random grey) on every other column pair and row, away from the walls.
fn tower(c: &mut Canvas, xoff: i32, width: i32, height: i32, windows: bool, colour: u8, rng: &mut Rng) {
    let start = c.height - 1;
    let end = start - height + 1;
    let mut y = start;
    while y >= end {
        for x in xoff..xoff + width {
            if y == end && (x <= xoff + 1 || x >= xoff + width - 2) {
                continue;
            }
            let mut pixel = colour;
            if windows && x > xoff + 1 && x < xoff + width - 2 && y > end + 1 && y < start - 1 {
                let (relx, rely) = (x - (xoff + 1), y - (end + 1));
                if (relx / 2) % 2 != 0 && rely % 2 != 0 {
                    loop {
                        pixel = 1 + (rand(rng) % 2) as u8;
                        if pixel != colour {
                            break;
                        }
                    }
                    if relx % 2 != 0 {
                        pixel = c.get(x - 1, y);
                    }
                }
            }
            c.set(x, y, pixel);
        }
        y -= 1;
    }
}
