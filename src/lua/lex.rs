//! The Lua 5.1 lexer (a port of `llex.c`): source bytes to tokens, with the reference's error messages.
//!
//! The lexer reads the source slice in place. Names and strings without escapes are interned straight from the
//! source; only strings with escapes and long strings go through one scratch buffer that is reused for every
//! token, so lexing allocates nothing per token beyond the interned strings themselves.
//!
//! Invariants and quirks kept from `llex.c` (they show in error messages, which must match word for word):
//! - The "near '...'" text of a name, string or number token is what `llex.c`'s buffer holds: the raw lexeme
//!   for names and numbers, the delimiters plus the *decoded* contents for strings, cut at the first NUL byte
//!   (C prints it with `%s`). The buffer belongs to the token lexed last, lookahead included.
//! - Character classes are the C locale's (`isalpha`, `isdigit`, `isspace` on ASCII only).
//! - `check_next` uses `strchr`, which also matches a NUL byte: "1\0" lexes as the number 1, ".\0" as `..`.
//! - A NUL byte is token 0, and an error "near" token 0 has no "near" part at all.
//!
//! Tested by the unit tests below and, through the parser, by `tests/scripting/lua_compile.rs` (error messages compared
//! with `luac5.1 -p`) and the `lua_compile` fuzz target.

use super::heap::Heap;
use super::number::str_to_number;
use super::value::StrRef;

/// A token kind. `Char` holds single-character tokens (`+`, `(`, ...), including bytes that start no token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    Concat,
    Dots,
    Eq,
    Ge,
    Le,
    Ne,
    Number,
    Name,
    String,
    Eos,
    Char(u8),
}

impl Tok {
    /// `luaX_token2str` for the fixed tokens (everything but `Char`).
    fn fixed_text(self) -> &'static str {
        match self {
            Tok::And => "and",
            Tok::Break => "break",
            Tok::Do => "do",
            Tok::Else => "else",
            Tok::Elseif => "elseif",
            Tok::End => "end",
            Tok::False => "false",
            Tok::For => "for",
            Tok::Function => "function",
            Tok::If => "if",
            Tok::In => "in",
            Tok::Local => "local",
            Tok::Nil => "nil",
            Tok::Not => "not",
            Tok::Or => "or",
            Tok::Repeat => "repeat",
            Tok::Return => "return",
            Tok::Then => "then",
            Tok::True => "true",
            Tok::Until => "until",
            Tok::While => "while",
            Tok::Concat => "..",
            Tok::Dots => "...",
            Tok::Eq => "==",
            Tok::Ge => ">=",
            Tok::Le => "<=",
            Tok::Ne => "~=",
            Tok::Number => "<number>",
            Tok::Name => "<name>",
            Tok::String => "<string>",
            Tok::Eos => "<eof>",
            Tok::Char(_) => "",
        }
    }
}

/// `luaX_token2str`: how a token kind is named in messages ("'=' expected").
pub fn token2str(t: Tok) -> String {
    match t {
        // C's iscntrl in the C locale: 0..=31 and 127.
        Tok::Char(c) if c < 32 || c == 127 => format!("char({c})"),
        Tok::Char(c) => String::from_utf8_lossy(&[c]).into_owned(),
        other => other.fixed_text().to_string(),
    }
}

/// A token with its semantic value (`num` for numbers, `s` for names and strings).
#[derive(Clone, Copy, Debug)]
pub struct Token {
    pub tok: Tok,
    pub num: f64,
    pub s: StrRef,
}

impl Token {
    fn new(tok: Tok) -> Token {
        Token { tok, num: 0.0, s: StrRef(0) }
    }
}

/// What `llex.c`'s buffer would hold after the last token was lexed (for "near '...'" texts).
#[derive(Clone, Copy, Debug)]
enum Text {
    /// Nothing saved (operators, keywords are not reported through the buffer).
    Empty,
    /// A raw slice of the source.
    Span(usize, usize),
    /// A short string being read: the delimiter, then the scratch buffer.
    StrOpen(u8),
    /// A finished short string read through the scratch buffer: delimiter, buffer, delimiter.
    StrDone(u8),
    /// A finished long string of level `sep`: `[==[`, then the scratch buffer (contents and closing bracket).
    Long(usize),
}

/// The lexer state (`LexState` minus the parser's part).
pub struct Lexer<'a> {
    src: &'a [u8],
    /// Index of the current character (`ls->current`); `src.len()` means end of stream.
    pos: usize,
    pub heap: &'a mut Heap,
    /// Line of the current character (`linenumber`).
    pub line: u32,
    /// Line of the last token consumed (`lastline`).
    pub lastline: u32,
    /// The current token.
    pub t: Token,
    /// The lookahead token, if one was read.
    pub ahead: Option<Token>,
    buf: Vec<u8>,
    text: Text,
    /// `luaO_chunkid` of the chunk name, the prefix of every message.
    chunkid: String,
}

const EOZ: i32 = -1;

/// The largest line number before "chunk has too many lines" (`MAX_INT`).
const MAX_LINE: u32 = i32::MAX as u32;

#[inline]
fn is_space(c: i32) -> bool {
    matches!(c, 0x20 | 0x09..=0x0d)
}
#[inline]
fn is_digit(c: i32) -> bool {
    (b'0' as i32..=b'9' as i32).contains(&c)
}
#[inline]
fn is_alpha_(c: i32) -> bool {
    (0..128).contains(&c) && ((c as u8).is_ascii_alphabetic() || c == b'_' as i32)
}
#[inline]
fn is_alnum_(c: i32) -> bool {
    is_alpha_(c) || is_digit(c)
}
#[inline]
fn is_newline(c: i32) -> bool {
    c == b'\n' as i32 || c == b'\r' as i32
}

/// The reserved word `word` is, if any: dispatch on the first byte so that an identifier costs at most a
/// couple of comparisons.
fn reserved(word: &[u8]) -> Option<Tok> {
    let &first = word.first()?;
    if word.len() < 2 || word.len() > 8 {
        return None;
    }
    let candidates: &[(&[u8], Tok)] = match first {
        b'a' => &[(b"and", Tok::And)],
        b'b' => &[(b"break", Tok::Break)],
        b'd' => &[(b"do", Tok::Do)],
        b'e' => &[(b"else", Tok::Else), (b"elseif", Tok::Elseif), (b"end", Tok::End)],
        b'f' => &[(b"false", Tok::False), (b"for", Tok::For), (b"function", Tok::Function)],
        b'i' => &[(b"if", Tok::If), (b"in", Tok::In)],
        b'l' => &[(b"local", Tok::Local)],
        b'n' => &[(b"nil", Tok::Nil), (b"not", Tok::Not)],
        b'o' => &[(b"or", Tok::Or)],
        b'r' => &[(b"repeat", Tok::Repeat), (b"return", Tok::Return)],
        b't' => &[(b"then", Tok::Then), (b"true", Tok::True)],
        b'u' => &[(b"until", Tok::Until)],
        b'w' => &[(b"while", Tok::While)],
        _ => return None,
    };
    candidates.iter().find(|(w, _)| *w == word).map(|&(_, t)| t)
}

/// The bytes before the first NUL (C's `%s`).
fn until_nul(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

impl<'a> Lexer<'a> {
    /// `luaX_setinput`. The first token is read by the first [`Lexer::next_token`].
    pub fn new(heap: &'a mut Heap, src: &'a [u8], chunkname: &str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            heap,
            line: 1,
            lastline: 1,
            t: Token::new(Tok::Eos),
            ahead: None,
            buf: Vec::new(),
            text: Text::Empty,
            chunkid: super::proto::chunk_id_sized(chunkname, 80),
        }
    }

    #[inline(always)]
    fn cur(&self) -> i32 {
        match self.src.get(self.pos) {
            Some(&c) => c as i32,
            None => EOZ,
        }
    }

    #[inline(always)]
    fn advance(&mut self) {
        if self.pos < self.src.len() {
            self.pos += 1;
        }
    }

    /// `luaX_next`.
    pub fn next_token(&mut self) -> Result<(), String> {
        self.lastline = self.line;
        if let Some(t) = self.ahead.take() {
            self.t = t;
        } else {
            self.t = self.llex()?;
        }
        Ok(())
    }

    /// `luaX_lookahead`: read the token after the current one.
    pub fn lookahead(&mut self) -> Result<Tok, String> {
        let t = self.llex()?;
        self.ahead = Some(t);
        Ok(t.tok)
    }

    /// The text `txtToken` gives for `tok`.
    fn txt_token(&self, tok: Tok) -> String {
        match tok {
            Tok::Name | Tok::String | Tok::Number => {
                let mut out: Vec<u8> = Vec::new();
                match self.text {
                    Text::Empty => {}
                    Text::Span(a, b) => out.extend_from_slice(self.src.get(a..b).unwrap_or(&[])),
                    Text::StrOpen(d) => {
                        out.push(d);
                        out.extend_from_slice(&self.buf);
                    }
                    Text::StrDone(d) => {
                        out.push(d);
                        out.extend_from_slice(&self.buf);
                        out.push(d);
                    }
                    Text::Long(sep) => {
                        out.push(b'[');
                        out.extend(std::iter::repeat_n(b'=', sep));
                        out.push(b'[');
                        out.extend_from_slice(&self.buf);
                    }
                }
                String::from_utf8_lossy(until_nul(&out)).into_owned()
            }
            other => token2str(other),
        }
    }

    /// `luaX_lexerror`: "chunk:line: msg near 'token'" (no "near" part for `None` or token 0).
    pub fn lex_error(&self, msg: &str, tok: Option<Tok>) -> String {
        let mut m = format!("{}:{}: {}", self.chunkid, self.line, msg);
        match tok {
            None | Some(Tok::Char(0)) => {}
            Some(t) => {
                m.push_str(" near '");
                m.push_str(&self.txt_token(t));
                m.push('\'');
            }
        }
        m
    }

    /// `luaX_syntaxerror`: an error near the current token.
    pub fn syntax_error(&self, msg: &str) -> String {
        self.lex_error(msg, Some(self.t.tok))
    }

    /// `inclinenumber`: skip `\n`, `\r`, `\n\r` or `\r\n`.
    fn inc_line(&mut self) -> Result<(), String> {
        let old = self.cur();
        self.advance();
        let c = self.cur();
        if is_newline(c) && c != old {
            self.advance();
        }
        self.line += 1;
        if self.line >= MAX_LINE {
            return Err(self.syntax_error("chunk has too many lines"));
        }
        Ok(())
    }

    /// `check_next` with `strchr`'s quirk: a NUL byte matches any set.
    #[inline]
    fn check_next(&mut self, set: &[u8]) -> bool {
        match self.src.get(self.pos) {
            Some(&c) if c == 0 || set.contains(&c) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// `skip_sep`: at `[` or `]`, count the `=` that follow; the level when the same bracket closes the
    /// sequence, else `-count - 1`.
    fn skip_sep(&mut self) -> i64 {
        let s = self.cur();
        self.advance();
        let mut count: i64 = 0;
        while self.cur() == b'=' as i32 {
            self.advance();
            count += 1;
        }
        if self.cur() == s {
            count
        } else {
            -count - 1
        }
    }

    /// `read_long_string`: at the second `[` of an opening bracket of level `sep`. With `string`, the contents
    /// (and the closing bracket) are left in `buf`.
    fn read_long_string(&mut self, sep: usize, string: bool) -> Result<(), String> {
        self.buf.clear();
        self.advance(); // the second '['
        if is_newline(self.cur()) {
            self.inc_line()?;
        }
        loop {
            let c = self.cur();
            if c == EOZ {
                let msg = if string { "unfinished long string" } else { "unfinished long comment" };
                return Err(self.lex_error(msg, Some(Tok::Eos)));
            }
            if c == b'[' as i32 || c == b']' as i32 {
                let start = self.pos;
                let level = self.skip_sep();
                if string {
                    self.buf.extend_from_slice(&self.src[start..self.pos]);
                }
                if level == sep as i64 {
                    if string {
                        self.buf.push(c as u8);
                    }
                    self.advance();
                    if c == b']' as i32 {
                        return Ok(());
                    }
                    // LUA_COMPAT_LSTR == 1: a nested `[[` inside a level-0 long string is an error.
                    if sep == 0 {
                        return Err(self.lex_error("nesting of [[...]] is deprecated", Some(Tok::Char(b'['))));
                    }
                }
                continue;
            }
            if is_newline(c) {
                if string {
                    self.buf.push(b'\n');
                }
                self.inc_line()?;
                continue;
            }
            // Plain bytes: take the whole run up to the next bracket, newline or end.
            let start = self.pos;
            let rest = &self.src[start..];
            let n = rest.iter().position(|&b| matches!(b, b'[' | b']' | b'\n' | b'\r')).unwrap_or(rest.len());
            if string {
                self.buf.extend_from_slice(&rest[..n]);
            }
            self.pos += n.max(1);
        }
    }

    /// `read_string`: at the opening delimiter `del`; returns the interned contents.
    fn read_string(&mut self, del: u8) -> Result<StrRef, String> {
        let start = self.pos;
        let body = start + 1;
        // Fast path: no escapes and no newline before the closing delimiter.
        let mut i = body;
        while let Some(&c) = self.src.get(i) {
            if c == del {
                let s = self.heap.intern(&self.src[body..i]);
                self.pos = i + 1;
                self.text = Text::Span(start, i + 1);
                return Ok(s);
            }
            if c == b'\\' || c == b'\n' || c == b'\r' {
                break;
            }
            i += 1;
        }
        // Slow path: decode into the scratch buffer from the first special byte on.
        self.buf.clear();
        self.buf.extend_from_slice(&self.src[body..i]);
        self.pos = i;
        self.text = Text::StrOpen(del);
        loop {
            let c = self.cur();
            if c == del as i32 {
                break;
            }
            match c {
                EOZ => return Err(self.lex_error("unfinished string", Some(Tok::Eos))),
                0x0a | 0x0d => return Err(self.lex_error("unfinished string", Some(Tok::String))),
                0x5c => {
                    self.advance(); // the backslash is not saved
                    let e = self.cur();
                    let decoded = match e {
                        0x61 => 0x07, // \a
                        0x62 => 0x08, // \b
                        0x66 => 0x0c, // \f
                        0x6e => b'\n' as i32,
                        0x72 => b'\r' as i32,
                        0x74 => b'\t' as i32,
                        0x76 => 0x0b, // \v
                        0x0a | 0x0d => {
                            self.buf.push(b'\n');
                            self.inc_line()?;
                            continue;
                        }
                        EOZ => continue, // "unfinished string" on the next round
                        _ if !is_digit(e) => {
                            // \\, \", \' and any other character stand for themselves.
                            self.buf.push(e as u8);
                            self.advance();
                            continue;
                        }
                        _ => {
                            let mut v: i32 = 0;
                            let mut n = 0;
                            loop {
                                v = 10 * v + (self.cur() - b'0' as i32);
                                self.advance();
                                n += 1;
                                if n >= 3 || !is_digit(self.cur()) {
                                    break;
                                }
                            }
                            if v > 255 {
                                return Err(self.lex_error("escape sequence too large", Some(Tok::String)));
                            }
                            self.buf.push(v as u8);
                            continue;
                        }
                    };
                    self.buf.push(decoded as u8);
                    self.advance();
                }
                _ => {
                    // A run of ordinary bytes.
                    let rest = &self.src[self.pos..];
                    let n = rest
                        .iter()
                        .position(|&b| b == del || b == b'\\' || b == b'\n' || b == b'\r')
                        .unwrap_or(rest.len());
                    self.buf.extend_from_slice(&rest[..n]);
                    self.pos += n.max(1);
                }
            }
        }
        self.advance(); // closing delimiter
        self.text = Text::StrDone(del);
        Ok(self.heap.intern(&self.buf))
    }

    /// `read_numeral`: from `start` (a digit, or the `.` before one) with `pos` at the first unread byte.
    fn read_numeral(&mut self, start: usize) -> Result<f64, String> {
        while is_digit(self.cur()) || self.cur() == b'.' as i32 {
            self.advance();
        }
        if self.check_next(b"Ee") {
            self.check_next(b"+-");
        }
        while is_alnum_(self.cur()) {
            self.advance();
        }
        self.text = Text::Span(start, self.pos);
        match str_to_number(until_nul(&self.src[start..self.pos])) {
            Some(n) => Ok(n),
            None => Err(self.lex_error("malformed number", Some(Tok::Number))),
        }
    }

    /// `llex`: the next token.
    fn llex(&mut self) -> Result<Token, String> {
        self.text = Text::Empty;
        loop {
            let c = self.cur();
            match c {
                0x0a | 0x0d => {
                    self.inc_line()?;
                }
                0x2d => {
                    // '-'
                    self.advance();
                    if self.cur() != b'-' as i32 {
                        return Ok(Token::new(Tok::Char(b'-')));
                    }
                    self.advance();
                    if self.cur() == b'[' as i32 {
                        let sep = self.skip_sep();
                        if sep >= 0 {
                            self.read_long_string(sep as usize, false)?;
                            self.buf.clear();
                            continue;
                        }
                    }
                    let rest = &self.src[self.pos..];
                    let n = rest.iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(rest.len());
                    self.pos += n;
                }
                0x5b => {
                    // '['
                    let start = self.pos;
                    let sep = self.skip_sep();
                    if sep >= 0 {
                        self.read_long_string(sep as usize, true)?;
                        self.text = Text::Long(sep as usize);
                        let content = self.buf.len().saturating_sub(sep as usize + 2);
                        let s = self.heap.intern(&self.buf[..content]);
                        return Ok(Token { tok: Tok::String, num: 0.0, s });
                    } else if sep == -1 {
                        return Ok(Token::new(Tok::Char(b'[')));
                    } else {
                        self.text = Text::Span(start, self.pos);
                        return Err(self.lex_error("invalid long string delimiter", Some(Tok::String)));
                    }
                }
                0x3d | 0x3c | 0x3e | 0x7e => {
                    // '=', '<', '>', '~'
                    self.advance();
                    if self.cur() != b'=' as i32 {
                        return Ok(Token::new(Tok::Char(c as u8)));
                    }
                    self.advance();
                    let t = match c {
                        0x3d => Tok::Eq,
                        0x3c => Tok::Le,
                        0x3e => Tok::Ge,
                        _ => Tok::Ne,
                    };
                    return Ok(Token::new(t));
                }
                0x22 | 0x27 => {
                    let s = self.read_string(c as u8)?;
                    return Ok(Token { tok: Tok::String, num: 0.0, s });
                }
                0x2e => {
                    // '.'
                    let start = self.pos;
                    self.advance();
                    if self.check_next(b".") {
                        if self.check_next(b".") {
                            return Ok(Token::new(Tok::Dots));
                        }
                        return Ok(Token::new(Tok::Concat));
                    }
                    if !is_digit(self.cur()) {
                        return Ok(Token::new(Tok::Char(b'.')));
                    }
                    let num = self.read_numeral(start)?;
                    return Ok(Token { tok: Tok::Number, num, s: StrRef(0) });
                }
                EOZ => return Ok(Token::new(Tok::Eos)),
                _ if is_space(c) => {
                    self.advance();
                }
                _ if is_digit(c) => {
                    let start = self.pos;
                    let num = self.read_numeral(start)?;
                    return Ok(Token { tok: Tok::Number, num, s: StrRef(0) });
                }
                _ if is_alpha_(c) => {
                    let start = self.pos;
                    let rest = &self.src[start..];
                    let n = rest.iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'_')).unwrap_or(rest.len());
                    self.pos = start + n;
                    let word = &self.src[start..start + n];
                    self.text = Text::Span(start, start + n);
                    if let Some(t) = reserved(word) {
                        return Ok(Token::new(t));
                    }
                    let s = self.heap.intern(word);
                    return Ok(Token { tok: Tok::Name, num: 0.0, s });
                }
                _ => {
                    self.advance();
                    return Ok(Token::new(Tok::Char(c as u8)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex_all(src: &[u8]) -> Result<Vec<(Tok, String)>, String> {
        let mut heap = Heap::new();
        let mut out = Vec::new();
        let mut toks = Vec::new();
        {
            let mut lx = Lexer::new(&mut heap, src, "=t");
            loop {
                lx.next_token()?;
                toks.push(lx.t);
                if lx.t.tok == Tok::Eos {
                    break;
                }
            }
        }
        for t in toks {
            let text = match t.tok {
                Tok::Name | Tok::String => String::from_utf8_lossy(heap.str(t.s)).into_owned(),
                Tok::Number => format!("{}", t.num),
                other => token2str(other),
            };
            out.push((t.tok, text));
        }
        Ok(out)
    }

    #[test]
    fn tokens_and_values() {
        let toks = lex_all(b"local x = 0x10 + .5e1 .. 'a\\tb' -- c\n[==[\nx]]y]==] ... ~= <= >= == ;").unwrap();
        let kinds: Vec<Tok> = toks.iter().map(|t| t.0).collect();
        assert_eq!(
            kinds,
            vec![
                Tok::Local,
                Tok::Name,
                Tok::Char(b'='),
                Tok::Number,
                Tok::Char(b'+'),
                Tok::Number,
                Tok::Concat,
                Tok::String,
                Tok::String,
                Tok::Dots,
                Tok::Ne,
                Tok::Le,
                Tok::Ge,
                Tok::Eq,
                Tok::Char(b';'),
                Tok::Eos
            ]
        );
        assert_eq!(toks[3].1, "16");
        assert_eq!(toks[5].1, "5");
        assert_eq!(toks[7].1, "a\tb");
        assert_eq!(toks[8].1, "x]]y");
    }

    #[test]
    fn escapes() {
        let toks = lex_all(b"'\\65\\066\\0067\\n\\\\\\\"\\q' \"a\\\nb\"").unwrap();
        assert_eq!(toks[0].1.as_bytes(), b"AB\x067\n\\\"q");
        assert_eq!(toks[1].1, "a\nb");
    }

    #[test]
    fn errors_match_llex() {
        let err = |s: &[u8]| lex_all(s).unwrap_err();
        assert_eq!(err(b"x = \"abc"), "t:1: unfinished string near '<eof>'");
        assert_eq!(err(b"x = \"abc\n"), "t:1: unfinished string near '\"abc'");
        assert_eq!(err(b"x = 3..2"), "t:1: malformed number near '3..2'");
        assert_eq!(err(b"x = '\\300'"), "t:1: escape sequence too large near '''");
        assert_eq!(err(b"x = [==x"), "t:1: invalid long string delimiter near '[=='");
        assert_eq!(err(b"x = [[a [[b]]"), "t:1: nesting of [[...]] is deprecated near '['");
        assert_eq!(err(b"--[[ x"), "t:1: unfinished long comment near '<eof>'");
        assert_eq!(err(b"\n\nx = [=[ x"), "t:3: unfinished long string near '<eof>'");
    }

    #[test]
    fn nul_quirks() {
        // strchr matches the terminator: the NUL after a numeral is part of it.
        let toks = lex_all(b"1\x00").unwrap();
        assert_eq!(toks[0], (Tok::Number, "1".to_string()));
        assert_eq!(toks[1].0, Tok::Eos);
        let toks = lex_all(b".\x00").unwrap();
        assert_eq!(toks[0].0, Tok::Concat);
    }
}
