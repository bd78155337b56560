//! A small line editor for interactive mode (linenoise's behaviour, hand-rolled over termios raw mode):
//! cursor movement (arrows, Home/End, Ctrl-A/E/B/F), deletion (Backspace, Delete, Ctrl-D/K/U/W), history
//! (Up/Down, Ctrl-P/N, Ctrl-R reverse search), Tab completion cycling through candidates, and a grey hint
//! shown after the text. Long lines wrap over several terminal rows (linenoise's multi-line mode, which
//! redis-cli turns on). When stdin is not a terminal, lines are read plainly with no prompt, as linenoise
//! does.
//!
//! Invariant: `pos <= buf.len()` and `pos` is on a char boundary (the buffer is edited as chars).
//! Tested in a real terminal by `tests/cli/cli_interactive.rs` (tmux) and by the unit tests of the pure edits.

use super::sys;
use std::io::{self, BufRead, IsTerminal, Read, Write};

pub const HISTORY_MAX: usize = 100;

pub struct Editor {
    pub history: Vec<String>,
    /// Rows the line being edited has used so far, and the cursor position of the last redraw.
    maxrows: std::cell::Cell<usize>,
    oldpos: std::cell::Cell<usize>,
}

/// What the caller supplies for completion and hints.
pub trait Helper {
    fn complete(&mut self, line: &str) -> Vec<String>;
    fn hint(&mut self, line: &str) -> Option<String>;
}

pub enum ReadResult {
    Line(Vec<u8>),
    /// Ctrl-C on an empty or non-empty line (linenoise returns NULL with EAGAIN: the caller exits).
    Interrupted,
    Eof,
}

struct State {
    buf: Vec<char>,
    pos: usize,
}

impl State {
    fn insert(&mut self, c: char) {
        self.buf.insert(self.pos, c);
        self.pos += 1;
    }
    fn backspace(&mut self) {
        if self.pos > 0 {
            self.pos -= 1;
            self.buf.remove(self.pos);
        }
    }
    fn delete(&mut self) {
        if self.pos < self.buf.len() {
            self.buf.remove(self.pos);
        }
    }
    fn kill_to_end(&mut self) {
        self.buf.truncate(self.pos);
    }
    fn kill_line(&mut self) {
        self.buf.clear();
        self.pos = 0;
    }
    /// Ctrl-W: the previous word and the spaces before the cursor.
    fn delete_prev_word(&mut self) {
        let old = self.pos;
        while self.pos > 0 && self.buf[self.pos - 1] == ' ' {
            self.pos -= 1;
        }
        while self.pos > 0 && self.buf[self.pos - 1] != ' ' {
            self.pos -= 1;
        }
        self.buf.drain(self.pos..old);
    }
    fn set(&mut self, s: &str) {
        self.buf = s.chars().collect();
        self.pos = self.buf.len();
    }
    fn text(&self) -> String {
        self.buf.iter().collect()
    }
}

fn write_out(s: &str) {
    let mut o = io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

fn read_byte(stdin: &mut io::StdinLock) -> Option<u8> {
    let mut b = [0u8; 1];
    loop {
        match stdin.read(&mut b) {
            Ok(1) => return Some(b[0]),
            Ok(_) => return None,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
}

/// Reads one UTF-8 char whose first byte is `first`.
fn read_char(stdin: &mut io::StdinLock, first: u8) -> Option<char> {
    let len = match first {
        0..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    let mut bytes = vec![first];
    for _ in 1..len {
        bytes.push(read_byte(stdin)?);
    }
    std::str::from_utf8(&bytes).ok().and_then(|s| s.chars().next())
}

impl Editor {
    pub fn new() -> Editor {
        Editor { history: Vec::new(), maxrows: std::cell::Cell::new(0), oldpos: std::cell::Cell::new(0) }
    }

    pub fn add_history(&mut self, line: &str) {
        if self.history.last().map(|l| l == line).unwrap_or(false) {
            return;
        }
        self.history.push(line.to_string());
        if self.history.len() > HISTORY_MAX {
            self.history.remove(0);
        }
    }

    pub fn load_history(&mut self, path: &str) {
        if let Ok(text) = std::fs::read_to_string(path) {
            for l in text.lines() {
                if !l.is_empty() {
                    self.add_history(l);
                }
            }
        }
    }

    pub fn save_history(&self, path: &str) {
        let mut s = String::new();
        for l in &self.history {
            s.push_str(l);
            s.push('\n');
        }
        let _ = std::fs::write(path, s);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }

    /// Reads one line, editing it in raw mode when stdin is a terminal.
    pub fn read_line(&mut self, prompt: &str, helper: &mut dyn Helper) -> ReadResult {
        if !io::stdin().is_terminal() {
            // Bytes, not text: a piped line may hold any byte.
            let mut line = Vec::new();
            return match io::stdin().lock().read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => ReadResult::Eof,
                Ok(_) => {
                    while line.last().is_some_and(|&c| c == b'\n' || c == b'\r') {
                        line.pop();
                    }
                    ReadResult::Line(line)
                }
            };
        }
        let raw = match sys::RawMode::enable(0) {
            Ok(r) => r,
            Err(_) => return ReadResult::Eof,
        };
        let r = self.edit(prompt, helper);
        drop(raw);
        write_out("\n");
        r
    }

    /// Redraws prompt, text and hint over as many terminal rows as they need (linenoise's multi-line mode,
    /// which redis-cli uses): go to the last row drawn before, clear rows upwards, write everything, then put
    /// the cursor on its row and column. Widths count chars (one column each).
    fn refresh(&self, prompt: &str, st: &State, hint: Option<&str>) {
        let cols = sys::columns(1).max(1);
        let plen = prompt.chars().count();
        let len = st.buf.len();
        let mut rows = (plen + len).div_ceil(cols).max(1);
        let rpos = (plen + self.oldpos.get() + cols) / cols;
        let old_rows = self.maxrows.get();
        if rows > old_rows {
            self.maxrows.set(rows);
        }
        let mut s = String::new();
        if old_rows > rpos {
            s.push_str(&format!("\x1b[{}B", old_rows - rpos));
        }
        for _ in 1..old_rows.max(1) {
            s.push_str("\r\x1b[0K\x1b[1A");
        }
        s.push_str("\r\x1b[0K");
        s.push_str(prompt);
        s.extend(st.buf.iter());
        // A hint only when the whole line fits on one row, cut to the room left.
        if let Some(h) = hint {
            if plen + len < cols {
                let h: String = h.chars().take(cols - (plen + len)).collect();
                if !h.is_empty() {
                    s.push_str(&format!("\x1b[0;90;49m{h}\x1b[0m"));
                }
            }
        }
        // At the very end of a full row the terminal keeps the cursor there: start the next row ourselves.
        if st.pos > 0 && st.pos == len && (st.pos + plen) % cols == 0 {
            s.push_str("\n\r");
            rows += 1;
            if rows > self.maxrows.get() {
                self.maxrows.set(rows);
            }
        }
        let rpos2 = (plen + st.pos + cols) / cols;
        if rows > rpos2 {
            s.push_str(&format!("\x1b[{}A", rows - rpos2));
        }
        let col = (plen + st.pos) % cols;
        if col > 0 {
            s.push_str(&format!("\r\x1b[{col}C"));
        } else {
            s.push('\r');
        }
        self.oldpos.set(st.pos);
        write_out(&s);
    }

    /// linenoise's `linenoiseEdit`: reads keys in raw mode and edits the line until Enter, Ctrl-C or end of input.
    fn edit(&mut self, prompt: &str, helper: &mut dyn Helper) -> ReadResult {
        self.maxrows.set(0);
        self.oldpos.set(0);
        let mut st = State { buf: Vec::new(), pos: 0 };
        // history index counted from the end: 0 is the line being edited.
        let mut hist_idx = 0usize;
        let mut editing = String::new();
        let stdin = io::stdin();
        let mut input = stdin.lock();
        let show = |me: &Editor, st: &State, helper: &mut dyn Helper| {
            let h = if st.pos == st.buf.len() { helper.hint(&st.text()) } else { None };
            me.refresh(prompt, st, h.as_deref());
        };
        show(self, &st, helper);
        let mut pending: Option<u8> = None;
        loop {
            let Some(c) = pending.take().or_else(|| read_byte(&mut input)) else { return ReadResult::Eof };
            match c {
                b'\r' | b'\n' => {
                    // Redraw without the hint, cursor at the end, so the output starts below the whole line.
                    st.pos = st.buf.len();
                    self.refresh(prompt, &st, None);
                    return ReadResult::Line(st.text().into_bytes());
                }
                3 => return ReadResult::Interrupted,
                4 => {
                    if st.buf.is_empty() {
                        return ReadResult::Eof;
                    }
                    st.delete();
                }
                b'\t' => {
                    let cands = helper.complete(&st.text());
                    if cands.is_empty() {
                        write_out("\x07");
                        continue;
                    }
                    match self.complete_cycle(prompt, &mut st, &cands, helper, &mut input) {
                        Some(k) => pending = k,
                        None => return ReadResult::Eof,
                    }
                }
                127 | 8 => st.backspace(),
                1 => st.pos = 0,
                5 => st.pos = st.buf.len(),
                2 => st.pos = st.pos.saturating_sub(1),
                6 => st.pos = (st.pos + 1).min(st.buf.len()),
                11 => st.kill_to_end(),
                21 => st.kill_line(),
                23 => st.delete_prev_word(),
                12 => write_out("\x1b[H\x1b[2J"),
                16 | 14 => {
                    let up = c == 16;
                    self.history_move(&mut st, &mut hist_idx, &mut editing, up);
                }
                18 => match self.reverse_search(&mut input) {
                    Some((line, true)) => {
                        st.set(&line);
                        self.refresh(prompt, &st, None);
                        return ReadResult::Line(line.into_bytes());
                    }
                    Some((line, false)) => st.set(&line),
                    None => {}
                },
                // Ctrl-T: swap the char before the cursor with the one under it.
                20 if st.pos > 0 && st.pos < st.buf.len() => {
                    st.buf.swap(st.pos - 1, st.pos);
                    st.pos += 1;
                }
                27 => {
                    let Some(()) = self.escape_sequence(&mut st, &mut hist_idx, &mut editing, &mut input) else {
                        return ReadResult::Eof;
                    };
                }
                c if c >= 0x20 => {
                    if let Some(ch) = read_char(&mut input, c) {
                        st.insert(ch);
                    }
                }
                _ => {}
            }
            show(self, &st, helper);
        }
    }

    /// Tab completion: cycles through `cands` with Tab; Esc restores the original line; any other key accepts.
    /// Returns the key that ended the cycle (to be handled like any other key), `None` at end of input.
    fn complete_cycle(
        &self,
        prompt: &str,
        st: &mut State,
        cands: &[String],
        helper: &mut dyn Helper,
        input: &mut io::StdinLock,
    ) -> Option<Option<u8>> {
        let orig = st.text();
        let mut i = 0;
        loop {
            let mut shown = State { buf: Vec::new(), pos: 0 };
            if i < cands.len() {
                shown.set(&cands[i]);
            } else {
                shown.set(&orig);
            }
            let h = helper.hint(&shown.text());
            self.refresh(prompt, &shown, h.as_deref());
            let k = read_byte(input)?;
            match k {
                b'\t' => {
                    i = (i + 1) % (cands.len() + 1);
                    if i == cands.len() {
                        write_out("\x07");
                    }
                }
                27 => {
                    st.set(&orig);
                    return Some(None);
                }
                _ => {
                    if i < cands.len() {
                        st.set(&cands[i]);
                    }
                    // The key that ended the cycle is handled like any other key.
                    return Some(Some(k));
                }
            }
        }
    }

    /// The rest of an escape sequence after Esc: arrows, Home/End and Delete (`ESC [ x`, `ESC O x`,
    /// `ESC [ n ~`). `None` at end of input.
    fn escape_sequence(
        &self,
        st: &mut State,
        hist_idx: &mut usize,
        editing: &mut String,
        input: &mut io::StdinLock,
    ) -> Option<()> {
        let a = read_byte(input)?;
        let b = read_byte(input)?;
        match (a, b) {
            (b'[', b'A') => self.history_move(st, hist_idx, editing, true),
            (b'[', b'B') => self.history_move(st, hist_idx, editing, false),
            (b'[', b'C') => st.pos = (st.pos + 1).min(st.buf.len()),
            (b'[', b'D') => st.pos = st.pos.saturating_sub(1),
            (b'[', b'H') | (b'O', b'H') => st.pos = 0,
            (b'[', b'F') | (b'O', b'F') => st.pos = st.buf.len(),
            (b'[', d) if d.is_ascii_digit() => {
                let t = read_byte(input)?;
                if t == b'~' {
                    match d {
                        b'3' => st.delete(),
                        b'1' | b'7' => st.pos = 0,
                        b'4' | b'8' => st.pos = st.buf.len(),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Some(())
    }

    fn history_move(&self, st: &mut State, idx: &mut usize, editing: &mut String, up: bool) {
        if self.history.is_empty() {
            return;
        }
        if *idx == 0 {
            *editing = st.text();
        }
        if up {
            if *idx < self.history.len() {
                *idx += 1;
            }
        } else if *idx > 0 {
            *idx -= 1;
        }
        if *idx == 0 {
            st.set(editing);
        } else {
            st.set(&self.history[self.history.len() - *idx]);
        }
    }

    /// Ctrl-R: incremental search backwards through history. Enter runs the match, another control key
    /// keeps it for editing, Ctrl-G or Esc cancels, Ctrl-R again finds the next older match.
    fn reverse_search(&self, input: &mut io::StdinLock) -> Option<(String, bool)> {
        let mut query = String::new();
        let mut skip = 0usize;
        loop {
            let found = self.history.iter().rev().filter(|h| h.contains(&query)).nth(skip).cloned();
            write_out(&format!("\r(reverse-i-search)`{query}': {}\x1b[0K", found.as_deref().unwrap_or("")));
            let c = read_byte(input)?;
            match c {
                18 => skip += 1,
                7 | 27 | 3 => return None,
                127 | 8 => {
                    query.pop();
                    skip = 0;
                }
                b'\r' | b'\n' => return found.map(|l| (l, true)),
                c if c >= 0x20 => {
                    query.push(read_char(input, c)?);
                    skip = 0;
                }
                _ => return found.map(|l| (l, false)),
            }
        }
    }
}

impl Default for Editor {
    fn default() -> Self {
        Editor::new()
    }
}

#[cfg(test)]
mod tests {
    use super::State;

    #[test]
    fn word_and_line_kills() {
        let mut s = State { buf: Vec::new(), pos: 0 };
        s.set("set foo  bar");
        s.delete_prev_word();
        assert_eq!(s.text(), "set foo  ");
        s.delete_prev_word();
        assert_eq!(s.text(), "set ");
        s.pos = 1;
        s.kill_to_end();
        assert_eq!(s.text(), "s");
        s.insert('x');
        s.backspace();
        s.backspace();
        s.backspace();
        assert_eq!(s.text(), "");
    }
}
