//! The regular expressions of JSONPath's `=~` filter: a small backtracking matcher over the common syntax of
//! Rust's `regex` crate, which RedisJSON uses (literals, `.`, classes with ranges and negation, `\d \w \s` and
//! their negations, `^ $`, groups `( )` and `(?: )`, `|`, `* + ? {m} {m,} {m,n}` and their lazy forms, and the
//! inline flag `(?i)`). A pattern outside that subset does not compile, and a filter with a pattern that does not
//! compile matches nothing, as in RedisJSON.
//!
//! Bounds: a pattern is parsed with nesting at most `MAX_NESTING`; a match gives up (no match) after
//! `MAX_STEPS` steps or `MAX_DEPTH` nested continuations, so no input can make it run long or overflow the
//! stack. Where the `regex` crate would find a match in linear time, a pattern past those bounds answers "no".

use std::cell::Cell;

const MAX_NESTING: u32 = 32;
const MAX_STEPS: u32 = 1_000_000;
const MAX_DEPTH: u32 = 2_000;
const MAX_REPEAT: u32 = 1_000;

#[derive(Debug)]
enum Node {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Start,
    End,
    Group(Vec<Vec<Node>>),
    Repeat(Box<Node>, u32, u32, bool),
}

/// A compiled pattern.
#[derive(Debug)]
pub struct Regex {
    alts: Vec<Vec<Node>>,
    icase: bool,
}

struct Parser<'a> {
    c: &'a [char],
    i: usize,
    depth: u32,
}

impl Regex {
    pub fn new(pattern: &str) -> Option<Regex> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = Parser { c: &chars, i: 0, depth: 0 };
        let mut icase = false;
        if chars.starts_with(&['(', '?', 'i', ')']) {
            icase = true;
            p.i = 4;
        }
        let alts = p.alternation()?;
        if p.i != chars.len() {
            return None;
        }
        Some(Regex { alts, icase })
    }

    /// Whether the pattern matches anywhere in `s`.
    pub fn is_match(&self, s: &str) -> bool {
        let text: Vec<char> =
            if self.icase { s.chars().flat_map(char::to_lowercase).collect() } else { s.chars().collect() };
        let m = Matcher { t: &text, steps: Cell::new(0), depth: Cell::new(0), icase: self.icase };
        for start in 0..=text.len() {
            if m.steps.get() > MAX_STEPS {
                return false;
            }
            if m.alt(&self.alts, start, &mut |_| true) {
                return true;
            }
        }
        false
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn alternation(&mut self) -> Option<Vec<Vec<Node>>> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return None;
        }
        let mut alts = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.i += 1;
            alts.push(self.sequence()?);
        }
        self.depth -= 1;
        Some(alts)
    }

    fn sequence(&mut self) -> Option<Vec<Node>> {
        let mut seq = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            let atom = self.quantified(atom)?;
            seq.push(atom);
        }
        Some(seq)
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if start == self.i {
            return None;
        }
        self.c[start..self.i].iter().collect::<String>().parse().ok()
    }

    fn quantified(&mut self, atom: Node) -> Option<Node> {
        let (min, max) = match self.peek() {
            Some('*') => (0, u32::MAX),
            Some('+') => (1, u32::MAX),
            Some('?') => (0, 1),
            Some('{') => {
                self.i += 1;
                let min = self.number()?;
                let max = if self.peek() == Some(',') {
                    self.i += 1;
                    if self.peek() == Some('}') {
                        u32::MAX
                    } else {
                        self.number()?
                    }
                } else {
                    min
                };
                if self.peek() != Some('}') || min > max || min > MAX_REPEAT || (max != u32::MAX && max > MAX_REPEAT) {
                    return None;
                }
                (min, max)
            }
            _ => return Some(atom),
        };
        if matches!(atom, Node::Start | Node::End) {
            return None;
        }
        self.i += 1;
        let greedy = if self.peek() == Some('?') {
            self.i += 1;
            false
        } else {
            true
        };
        Some(Node::Repeat(Box::new(atom), min, max, greedy))
    }

    fn atom(&mut self) -> Option<Node> {
        let c = self.peek()?;
        self.i += 1;
        Some(match c {
            '.' => Node::Any,
            '^' => Node::Start,
            '$' => Node::End,
            '(' => {
                if self.c[self.i..].starts_with(&['?', ':']) {
                    self.i += 2;
                }
                let alts = self.alternation()?;
                if self.peek() != Some(')') {
                    return None;
                }
                self.i += 1;
                Node::Group(alts)
            }
            '[' => self.class()?,
            '\\' => self.escape()?,
            '*' | '+' | '?' | '{' | ')' => return None,
            c => Node::Char(c),
        })
    }

    fn escape_class(c: char) -> Option<(Vec<(char, char)>, bool)> {
        let digit = vec![('0', '9')];
        let word = vec![('0', '9'), ('a', 'z'), ('A', 'Z'), ('_', '_')];
        let space = vec![(' ', ' '), ('\t', '\r')];
        Some(match c {
            'd' => (digit, false),
            'D' => (digit, true),
            'w' => (word, false),
            'W' => (word, true),
            's' => (space, false),
            'S' => (space, true),
            _ => return None,
        })
    }

    fn escaped_char(c: char) -> Option<char> {
        Some(match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            c if c.is_ascii_punctuation() || c == ' ' => c,
            _ => return None,
        })
    }

    fn escape(&mut self) -> Option<Node> {
        let c = self.peek()?;
        self.i += 1;
        if let Some((set, neg)) = Self::escape_class(c) {
            return Some(Node::Class(set, neg));
        }
        Self::escaped_char(c).map(Node::Char)
    }

    fn class(&mut self) -> Option<Node> {
        let mut neg = false;
        if self.peek() == Some('^') {
            neg = true;
            self.i += 1;
        }
        let mut set = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek()?;
            self.i += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = if c == '\\' {
                let e = self.peek()?;
                self.i += 1;
                if let Some((s, n)) = Self::escape_class(e) {
                    if n {
                        return None;
                    }
                    set.extend(s);
                    continue;
                }
                Self::escaped_char(e)?
            } else {
                c
            };
            if self.peek() == Some('-') && self.c.get(self.i + 1).is_some_and(|&n| n != ']') {
                self.i += 1;
                let mut hi = self.peek()?;
                self.i += 1;
                if hi == '\\' {
                    hi = Self::escaped_char(self.peek()?)?;
                    self.i += 1;
                }
                if hi < lo {
                    return None;
                }
                set.push((lo, hi));
            } else {
                set.push((lo, lo));
            }
        }
        Some(Node::Class(set, neg))
    }
}

struct Matcher<'a> {
    t: &'a [char],
    steps: Cell<u32>,
    depth: Cell<u32>,
    icase: bool,
}

impl Matcher<'_> {
    fn budget(&self) -> bool {
        self.steps.set(self.steps.get() + 1);
        self.steps.get() <= MAX_STEPS && self.depth.get() <= MAX_DEPTH
    }

    fn alt(&self, alts: &[Vec<Node>], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        alts.iter().any(|seq| self.seq(seq, pos, k))
    }

    fn seq(&self, seq: &[Node], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        if !self.budget() {
            return false;
        }
        match seq.split_first() {
            None => k(pos),
            Some((n, rest)) => {
                self.depth.set(self.depth.get() + 1);
                let r = self.node(n, pos, &mut |p| self.seq(rest, p, k));
                self.depth.set(self.depth.get() - 1);
                r
            }
        }
    }

    fn one(&self, n: &Node, c: char) -> bool {
        match n {
            Node::Char(x) => {
                if self.icase {
                    x.to_lowercase().eq(std::iter::once(c))
                } else {
                    *x == c
                }
            }
            Node::Any => c != '\n',
            Node::Class(set, neg) => {
                let hit = set.iter().any(|&(lo, hi)| {
                    (lo..=hi).contains(&c) || (self.icase && c.to_uppercase().any(|u| (lo..=hi).contains(&u)))
                });
                hit != *neg
            }
            _ => false,
        }
    }

    fn node(&self, n: &Node, pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        if !self.budget() {
            return false;
        }
        match n {
            Node::Start => pos == 0 && k(pos),
            Node::End => pos == self.t.len() && k(pos),
            Node::Group(alts) => self.alt(alts, pos, k),
            Node::Repeat(inner, min, max, greedy) => self.repeat(inner, *min, *max, *greedy, 0, pos, k),
            single => pos < self.t.len() && self.one(single, self.t[pos]) && k(pos + 1),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn repeat(
        &self,
        inner: &Node,
        min: u32,
        max: u32,
        greedy: bool,
        count: u32,
        pos: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        if !self.budget() {
            return false;
        }
        let can_stop = count >= min;
        if !greedy && can_stop && k(pos) {
            return true;
        }
        if count < max {
            self.depth.set(self.depth.get() + 1);
            let r = self.node(inner, pos, &mut |p| {
                (p != pos || count < min) && self.repeat(inner, min, max, greedy, count + 1, p, k)
            });
            self.depth.set(self.depth.get() - 1);
            if r {
                return true;
            }
        }
        greedy && can_stop && k(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::Regex;

    #[test]
    fn common_patterns() {
        let m = |p: &str, s: &str| Regex::new(p).is_some_and(|r| r.is_match(s));
        assert!(m("abc", "xxabcxx"));
        assert!(!m("^abc", "xxabc"));
        assert!(m("^a.c$", "abc"));
        assert!(m("a[0-9]+b", "a123b"));
        assert!(!m("a[^0-9]b", "a1b"));
        assert!(m("(foo|bar)baz", "barbaz"));
        assert!(m("\\d{2,3}", "x12"));
        assert!(!m("^\\d{3}$", "12"));
        assert!(m("(?i)HELLO", "hello"));
        assert!(m("a.*?c", "abbbc"));
        assert!(m("", "anything"));
        assert!(Regex::new("(").is_none());
        assert!(Regex::new("a**").is_none());
        // Catastrophic patterns give up instead of running long.
        let long = "a".repeat(40);
        let _ = m("(a*)*b", &long);
        let _ = m(".*.*.*x", &"y".repeat(100_000));
    }
}
