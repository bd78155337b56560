//! Lua 5.1's pattern matcher (`lstrlib.c`'s `match`), on byte slices and indices.
//!
//! Semantics follow the C code exactly, including its C-string quirks: a pattern ends at its first NUL byte
//! (`%z` is how 5.1 matches a zero byte), and reading one past the end of the subject sees a NUL (that is what
//! `%f[%z]` and `%b` compare against at the end).
//!
//! The one deliberate difference: the C matcher recurses once per pattern item (captures, `?`, `*`, `+`, `-`),
//! so its depth is bounded only by the pattern's length. Here the depth is capped at [`MAX_MATCH_DEPTH`] and a
//! deeper pattern fails with "pattern too complex" (Lua 5.2's message for the same guard), so that a hostile
//! pattern cannot overflow the Rust stack.
//!
//! Tested by the unit tests below and against `lua5.1` in `tests/scripting/lua_stdlib.rs`.

/// Lua 5.1's `LUA_MAXCAPTURES`.
pub const MAX_CAPTURES: usize = 32;
/// Nesting bound of the matcher's recursion (see the module comment).
pub const MAX_MATCH_DEPTH: usize = 1000;

const CAP_UNFINISHED: isize = -1;
const CAP_POSITION: isize = -2;
const L_ESC: u8 = b'%';
/// Characters that make `string.find` use the matcher instead of a plain search.
pub const SPECIALS: &[u8] = b"^$*+?.([%-";

/// A pattern error; the message is Lua's, without the position prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatError(pub &'static str);

/// One capture as the caller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// A substring `src[start..end]`.
    Str(usize, usize),
    /// A position capture `()`: the 1-based position.
    Pos(usize),
}

/// Matcher steps (calls of the recursive `match`) between two checks of the interrupt callback.
pub const CHECK_EVERY: u32 = 1 << 20;
/// A budgeted matcher without a callback ran out of steps: run again with one (see [`MatchState::budgeted`]).
pub const NEEDS_CALLBACK: PatError = PatError("pattern matching needs an interrupt callback");
/// The interrupt callback asked to stop.
pub const INTERRUPTED: PatError = PatError("pattern matching interrupted");

pub struct MatchState<'a> {
    pub src: &'a [u8],
    pat: &'a [u8],
    pub level: usize,
    capture: [(usize, isize); MAX_CAPTURES],
    depth: usize,
    /// Count steps (see [`MatchState::budgeted`]).
    budgeted: bool,
    steps: u32,
    interrupt: Option<&'a mut dyn FnMut() -> bool>,
}

/// The pattern as C sees it: up to its first NUL.
pub fn c_pattern(p: &[u8]) -> &[u8] {
    match memchr::memchr(0, p) {
        Some(i) => &p[..i],
        None => p,
    }
}

#[inline]
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `match_class`: `c` against the class letter `cl` (C locale `ctype`).
#[inline]
fn match_class(c: u8, cl: u8) -> bool {
    let res = match cl.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c.is_ascii_control(),
        b'd' => c.is_ascii_digit(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        b's' => is_space(c),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0,
        _ => return cl == c,
    };
    if cl.is_ascii_lowercase() {
        res
    } else {
        !res
    }
}

impl<'a> MatchState<'a> {
    /// A matcher for `src` against `pat` (already past any leading `^` anchor; cut at NUL by the caller or here).
    pub fn new(src: &'a [u8], pat: &'a [u8]) -> MatchState<'a> {
        MatchState {
            src,
            pat: c_pattern(pat),
            level: 0,
            capture: [(0, 0); MAX_CAPTURES],
            depth: 0,
            budgeted: false,
            steps: 0,
            interrupt: None,
        }
    }

    /// Count matcher steps over the whole life of this state (every `match_at`). Every [`CHECK_EVERY`] steps the
    /// interrupt callback runs (false stops the match with [`INTERRUPTED`]); without a callback the match stops
    /// with [`NEEDS_CALLBACK`] instead, so that the common case runs on borrowed data and only a long match pays
    /// for copying its inputs and rerunning with a callback that may call back into the embedder.
    pub fn budgeted(mut self, interrupt: Option<&'a mut dyn FnMut() -> bool>) -> MatchState<'a> {
        self.budgeted = true;
        self.interrupt = interrupt;
        self
    }

    #[inline]
    fn p(&self, i: usize) -> u8 {
        self.pat.get(i).copied().unwrap_or(0)
    }

    #[inline]
    fn s(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    /// Try to match the whole pattern at `s`; the end of the match on success. Resets the captures.
    pub fn match_at(&mut self, s: usize) -> Result<Option<usize>, PatError> {
        self.level = 0;
        self.depth = 0;
        self.do_match(s, 0)
    }

    fn check_capture(&self, l: u8) -> Result<usize, PatError> {
        let l = l as isize - b'1' as isize;
        if l < 0 || l as usize >= self.level || self.capture[l as usize].1 == CAP_UNFINISHED {
            return Err(PatError("invalid capture index"));
        }
        Ok(l as usize)
    }

    fn capture_to_close(&self) -> Result<usize, PatError> {
        (0..self.level).rev().find(|&i| self.capture[i].1 == CAP_UNFINISHED).ok_or(PatError("invalid pattern capture"))
    }

    fn class_end(&self, mut p: usize) -> Result<usize, PatError> {
        let c = self.p(p);
        p += 1;
        match c {
            L_ESC => {
                if p >= self.pat.len() {
                    return Err(PatError("malformed pattern (ends with '%')"));
                }
                Ok(p + 1)
            }
            b'[' => {
                if self.p(p) == b'^' {
                    p += 1;
                }
                loop {
                    if p >= self.pat.len() {
                        return Err(PatError("malformed pattern (missing ']')"));
                    }
                    let c = self.p(p);
                    p += 1;
                    if c == L_ESC && p < self.pat.len() {
                        p += 1;
                    }
                    if self.p(p) == b']' {
                        break;
                    }
                }
                Ok(p + 1)
            }
            _ => Ok(p),
        }
    }

    /// `matchbracketclass`: `p` is the `[`, `ec` the closing `]`.
    fn match_bracket_class(&self, c: u8, mut p: usize, ec: usize) -> bool {
        let mut sig = true;
        if self.p(p + 1) == b'^' {
            sig = false;
            p += 1;
        }
        loop {
            p += 1;
            if p >= ec {
                break;
            }
            let pc = self.p(p);
            if pc == L_ESC {
                p += 1;
                if match_class(c, self.p(p)) {
                    return sig;
                }
            } else if self.p(p + 1) == b'-' && p + 2 < ec {
                p += 2;
                if pc <= c && c <= self.p(p) {
                    return sig;
                }
            } else if pc == c {
                return sig;
            }
        }
        !sig
    }

    #[inline]
    fn single_match(&self, c: u8, p: usize, ep: usize) -> bool {
        match self.p(p) {
            b'.' => true,
            L_ESC => match_class(c, self.p(p + 1)),
            b'[' => self.match_bracket_class(c, p, ep - 1),
            pc => pc == c,
        }
    }

    fn match_balance(&self, s: usize, p: usize) -> Result<Option<usize>, PatError> {
        if p + 1 >= self.pat.len() {
            return Err(PatError("unbalanced pattern"));
        }
        if self.s(s) != self.p(p) {
            return Ok(None);
        }
        let (b, e) = (self.p(p), self.p(p + 1));
        let mut cont = 1;
        let mut s = s + 1;
        while s < self.src.len() {
            let c = self.src[s];
            if c == e {
                cont -= 1;
                if cont == 0 {
                    return Ok(Some(s + 1));
                }
            } else if c == b {
                cont += 1;
            }
            s += 1;
        }
        Ok(None)
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> Result<Option<usize>, PatError> {
        let mut i = 0usize;
        while s + i < self.src.len() && self.single_match(self.src[s + i], p, ep) {
            i += 1;
        }
        loop {
            if let Some(r) = self.do_match(s + i, ep + 1)? {
                return Ok(Some(r));
            }
            if i == 0 {
                return Ok(None);
            }
            i -= 1;
        }
    }

    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> Result<Option<usize>, PatError> {
        loop {
            if let Some(r) = self.do_match(s, ep + 1)? {
                return Ok(Some(r));
            }
            if s < self.src.len() && self.single_match(self.src[s], p, ep) {
                s += 1;
            } else {
                return Ok(None);
            }
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, what: isize) -> Result<Option<usize>, PatError> {
        let level = self.level;
        if level >= MAX_CAPTURES {
            return Err(PatError("too many captures"));
        }
        self.capture[level] = (s, what);
        self.level = level + 1;
        let res = self.do_match(s, p)?;
        if res.is_none() {
            self.level -= 1;
        }
        Ok(res)
    }

    fn end_capture(&mut self, s: usize, p: usize) -> Result<Option<usize>, PatError> {
        let l = self.capture_to_close()?;
        self.capture[l].1 = (s - self.capture[l].0) as isize;
        let res = self.do_match(s, p)?;
        if res.is_none() {
            self.capture[l].1 = CAP_UNFINISHED;
        }
        Ok(res)
    }

    fn match_capture(&self, s: usize, l: u8) -> Result<Option<usize>, PatError> {
        let l = self.check_capture(l)?;
        let (init, len) = self.capture[l];
        let len = len as usize;
        if self.src.len() - s >= len && self.src[init..init + len] == self.src[s..s + len] {
            Ok(Some(s + len))
        } else {
            Ok(None)
        }
    }

    fn do_match(&mut self, s: usize, p: usize) -> Result<Option<usize>, PatError> {
        self.depth += 1;
        if self.depth > MAX_MATCH_DEPTH {
            return Err(PatError("pattern too complex"));
        }
        if self.budgeted {
            self.steps += 1;
            if self.steps >= CHECK_EVERY {
                self.steps = 0;
                match self.interrupt.as_mut() {
                    None => return Err(NEEDS_CALLBACK),
                    Some(f) => {
                        if !f() {
                            return Err(INTERRUPTED);
                        }
                    }
                }
            }
        }
        let r = self.match_inner(s, p);
        self.depth -= 1;
        r
    }

    fn match_inner(&mut self, mut s: usize, mut p: usize) -> Result<Option<usize>, PatError> {
        loop {
            if p >= self.pat.len() {
                return Ok(Some(s));
            }
            match self.pat[p] {
                b'(' => {
                    return if self.p(p + 1) == b')' {
                        self.start_capture(s, p + 2, CAP_POSITION)
                    } else {
                        self.start_capture(s, p + 1, CAP_UNFINISHED)
                    };
                }
                b')' => return self.end_capture(s, p + 1),
                L_ESC if self.p(p + 1) == b'b' => match self.match_balance(s, p + 2)? {
                    None => return Ok(None),
                    Some(ns) => {
                        s = ns;
                        p += 4;
                        continue;
                    }
                },
                L_ESC if self.p(p + 1) == b'f' => {
                    p += 2;
                    if self.p(p) != b'[' {
                        return Err(PatError("missing '[' after '%f' in pattern"));
                    }
                    let ep = self.class_end(p)?;
                    let previous = if s == 0 { 0 } else { self.s(s - 1) };
                    if self.match_bracket_class(previous, p, ep - 1) || !self.match_bracket_class(self.s(s), p, ep - 1)
                    {
                        return Ok(None);
                    }
                    p = ep;
                    continue;
                }
                L_ESC if self.p(p + 1).is_ascii_digit() => match self.match_capture(s, self.p(p + 1))? {
                    None => return Ok(None),
                    Some(ns) => {
                        s = ns;
                        p += 2;
                        continue;
                    }
                },
                b'$' if p + 1 == self.pat.len() => {
                    return Ok(if s == self.src.len() { Some(s) } else { None });
                }
                _ => {}
            }
            // A single-character class, possibly followed by a repetition.
            let ep = self.class_end(p)?;
            let m = s < self.src.len() && self.single_match(self.src[s], p, ep);
            match self.p(ep) {
                b'?' => {
                    if m {
                        if let Some(r) = self.do_match(s + 1, ep + 1)? {
                            return Ok(Some(r));
                        }
                    }
                    p = ep + 1;
                }
                b'*' => return self.max_expand(s, p, ep),
                b'+' => return if m { self.max_expand(s + 1, p, ep) } else { Ok(None) },
                b'-' => return self.min_expand(s, p, ep),
                _ => {
                    if !m {
                        return Ok(None);
                    }
                    s += 1;
                    p = ep;
                }
            }
        }
    }

    /// Capture `i` of a successful match of `src[s..e]` (`push_onecapture`): with no captures, capture 0 is the
    /// whole match.
    pub fn capture(&self, i: usize, s: usize, e: usize) -> Result<Capture, PatError> {
        if i >= self.level {
            if i == 0 {
                return Ok(Capture::Str(s, e));
            }
            return Err(PatError("invalid capture index"));
        }
        let (init, len) = self.capture[i];
        match len {
            CAP_UNFINISHED => Err(PatError("unfinished capture")),
            CAP_POSITION => Ok(Capture::Pos(init + 1)),
            _ => Ok(Capture::Str(init, init + len as usize)),
        }
    }

    /// How many values `push_captures` pushes: the captures, or the whole match when there are none (`whole`).
    pub fn num_captures(&self, whole: bool) -> usize {
        if self.level == 0 && whole {
            1
        } else {
            self.level
        }
    }
}

/// `lmemfind`: the first occurrence of `needle` in `hay`.
pub fn find_plain(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    memchr::memmem::find(hay, needle)
}

/// Whether `string.find` must use the matcher (the C-string view of the pattern has a special character).
pub fn has_specials(p: &[u8]) -> bool {
    c_pattern(p).iter().any(|c| SPECIALS.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `string.match`-like helper: captures as strings (positions as numbers in decimal).
    fn smatch(s: &str, p: &str) -> Result<Option<Vec<String>>, PatError> {
        let (anchor, pat) = match p.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        let mut ms = MatchState::new(s.as_bytes(), pat.as_bytes());
        let mut init = 0;
        loop {
            if let Some(e) = ms.match_at(init)? {
                let mut out = Vec::new();
                for i in 0..ms.num_captures(true) {
                    out.push(match ms.capture(i, init, e)? {
                        Capture::Str(a, b) => s[a..b].to_string(),
                        Capture::Pos(n) => n.to_string(),
                    });
                }
                return Ok(Some(out));
            }
            init += 1;
            if anchor || init > s.len() {
                return Ok(None);
            }
        }
    }

    fn m1(s: &str, p: &str) -> Option<String> {
        smatch(s, p).unwrap().map(|v| v.join("|"))
    }

    #[test]
    fn basic_matches() {
        assert_eq!(m1("hello world", "o w"), Some("o w".into()));
        assert_eq!(m1("hello world", "^(h)(e)"), Some("h|e".into()));
        assert_eq!(m1("hello", "l+"), Some("ll".into()));
        assert_eq!(m1("hello", "x*"), Some("".into()));
        assert_eq!(m1("  key = value ", "(%w+)%s*=%s*(%w+)"), Some("key|value".into()));
        assert_eq!(m1("f(a(b)c)d", "%b()"), Some("(a(b)c)".into()));
        assert_eq!(m1("THE (quick) fox", "%f[%a]%a+"), Some("THE".into()));
        assert_eq!(m1("abc", "()b()"), Some("2|3".into()));
        assert_eq!(m1("aaab", "a-b"), Some("aaab".into()));
        assert_eq!(m1("abcabc", "(abc)%1"), Some("abc".into()));
        assert_eq!(m1("x=1, y=2", "[%a_][%w_]*"), Some("x".into()));
        assert_eq!(m1("abc", "[^a]+"), Some("bc".into()));
        assert_eq!(m1("a-b", "[a%-]+"), Some("a-".into()));
        assert_eq!(m1("end", "d$"), Some("d".into()));
        assert_eq!(m1("end$", "d$"), None);
        assert_eq!(m1("a$b", "$b"), Some("$b".into()));
        assert_eq!(m1("a\0b", "%z"), Some("\0".into()));
        assert_eq!(m1("abc", "b?c"), Some("bc".into()));
        assert_eq!(m1("2024-01-02", "(%d+)-(%d+)-(%d+)"), Some("2024|01|02".into()));
    }

    #[test]
    fn pattern_errors() {
        assert_eq!(smatch("a", "%"), Err(PatError("malformed pattern (ends with '%')")));
        assert_eq!(smatch("a", "[a"), Err(PatError("malformed pattern (missing ']')")));
        assert_eq!(smatch("a", "(a"), Err(PatError("unfinished capture")));
        assert_eq!(smatch("a", "a)"), Err(PatError("invalid pattern capture")));
        assert_eq!(smatch("a", "%1"), Err(PatError("invalid capture index")));
        assert_eq!(smatch("a", "%b"), Err(PatError("unbalanced pattern")));
        assert_eq!(smatch("a", "%fa"), Err(PatError("missing '[' after '%f' in pattern")));
        assert_eq!(smatch("a", &"()".repeat(33)), Err(PatError("too many captures")));
    }

    #[test]
    fn deep_patterns_are_bounded() {
        let p = "a?".repeat(5000);
        assert_eq!(smatch(&"a".repeat(5000), &p), Err(PatError("pattern too complex")));
        assert_eq!(m1("aaaa", &p), Some("aaaa".into()));
        // Long but shallow work is fine.
        let s = "a".repeat(100_000);
        assert_eq!(m1(&s, "a*$").map(|m| m.len()), Some(100_000));
    }

    #[test]
    fn long_matches_call_the_interrupt_callback() {
        // Exponential backtracking: far more than CHECK_EVERY steps.
        let s = "a".repeat(40);
        let p = format!("{}b", "a*".repeat(20));
        let mut ms = MatchState::new(s.as_bytes(), p.as_bytes()).budgeted(None);
        assert_eq!(ms.match_at(0), Err(NEEDS_CALLBACK));
        let mut calls = 0;
        let mut stop_at_third = || {
            calls += 1;
            calls < 3
        };
        let mut ms = MatchState::new(s.as_bytes(), p.as_bytes()).budgeted(Some(&mut stop_at_third));
        assert_eq!(ms.match_at(0), Err(INTERRUPTED));
        assert_eq!(calls, 3);
        // Short matches never see the budget.
        let mut ms = MatchState::new(b"hello", b"l+").budgeted(None);
        assert_eq!(ms.match_at(2), Ok(Some(4)));
    }

    #[test]
    fn nul_ends_the_pattern() {
        assert_eq!(m1("abc", "b\0zzz"), Some("b".into()));
        assert!(!has_specials(b"a\0*"));
        assert!(has_specials(b"a.b"));
        assert_eq!(find_plain(b"hello", b"ll"), Some(2));
        assert_eq!(find_plain(b"hello", b""), Some(0));
        assert_eq!(find_plain(b"he", b"hello"), None);
    }
}
