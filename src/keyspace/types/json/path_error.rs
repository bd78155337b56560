//! The error RedisJSON 2.8.3 answers for a path that does not compile, byte for byte.
//!
//! RedisJSON parses paths with a parser that pest 2.7.10 generates from its `json_path` grammar, and answers a
//! failure with pest's report: the furthest position at which a *rule* failed, and the rules that failed there
//! (pest's "positives"), each printed under RedisJSON's display name for it:
//!
//! ```text
//!  Error occurred on position 4, "$.a[ <<<<----", expected one of the following: '<string>[,<string>,...]', ...
//!  Error occurred on position 2, "$[ ---->>>> 1", expected one of the following: ['start:end:steps'].
//! ```
//!
//! Which rules are listed, and where, is a product of pest's bookkeeping rather than of the grammar's language
//! alone: quoted tokens (`"["`, `":"`) are never listed, a rule inside an atomic rule is never listed, a failing
//! rule whose children recorded exactly one failure leaves that child listed instead of itself, one whose children
//! recorded several replaces them, and the list is sorted in the order the grammar declares its rules. So this file
//! does what the generated parser does: it runs RedisJSON's grammar ([`def`], rule for rule, in the shape pest's
//! optimizer leaves it) through an interpreter with pest's semantics (implicit `WHITESPACE` between the tokens of
//! non-atomic rules, ordered choice, backtracking) and pest's `ParserState::track`. The atomic rules, which
//! record nothing, are plain matchers ([`atomic`]).
//!
//! It runs only after [`Query::compile`](super::path::Query::compile)'s own parser has refused a path, so a
//! valid path never pays for it. Like pest it backtracks without memoizing: `single_filter = term ~ op ~ term |
//! term` parses a term twice, so filters nested in filters cost twice as much per level (RedisJSON takes seconds
//! at 20 levels). A budget of rule calls and of nesting bounds the work and the stack; past it [`explain`]
//! answers `None` and the caller reports the path as nested too deeply.

/// The rules of RedisJSON's `grammar.pest`, in its order (pest sorts the reported rules by this order; `EOI`,
/// pest's own, comes first). The silent ones are here too, though they never appear in a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum R {
    Eoi,
    Literal,
    String,
    StringValue,
    StringValueEscape1,
    StringValueEscape2,
    StringList,
    PosNumber,
    Number,
    Decimal,
    NumbersList,
    NumbersRange,
    RightRange,
    AllRange,
    LeftRange,
    FullRange,
    FromCurrent,
    FromRoot,
    SelectTerm,
    Op,
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
    Re,
    Boolean,
    BooleanTrue,
    BooleanFalse,
    Null,
    Term,
    SingleFilter,
    FilterRelation,
    And,
    Or,
    InnerFilter,
    Filter,
    All,
    FullScan,
    Bracket,
    Element,
    FirstElement,
    Root,
}

impl R {
    /// How RedisJSON prints a rule in the list (its `Display for Rule`: a few have their own text, the rest
    /// print their name).
    fn shown(self) -> &'static str {
        match self {
            R::Literal => "<string>",
            R::All => "'*'",
            R::FullScan => "'..'",
            R::NumbersList => "'<number>[,<number>,...]'",
            R::StringList => "'<string>[,<string>,...]'",
            R::NumbersRange => "['start:end:steps']",
            R::Number => "'<number>'",
            R::Filter => "'[?(filter_expression)]'",
            R::Eoi => "EOI",
            R::String => "string",
            R::StringValue => "string_value",
            R::StringValueEscape1 => "string_value_escape_1",
            R::StringValueEscape2 => "string_value_escape_2",
            R::PosNumber => "pos_number",
            R::Decimal => "decimal",
            R::RightRange => "right_range",
            R::AllRange => "all_range",
            R::LeftRange => "left_range",
            R::FullRange => "full_range",
            R::FromCurrent => "from_current",
            R::FromRoot => "from_root",
            R::SelectTerm => "select_term",
            R::Op => "op",
            R::Ge => "ge",
            R::Gt => "gt",
            R::Le => "le",
            R::Lt => "lt",
            R::Eq => "eq",
            R::Ne => "ne",
            R::Re => "re",
            R::Boolean => "boolean",
            R::BooleanTrue => "boolean_true",
            R::BooleanFalse => "boolean_false",
            R::Null => "null",
            R::Term => "term",
            R::SingleFilter => "single_filter",
            R::FilterRelation => "filter_relation",
            R::And => "and",
            R::Or => "or",
            R::InnerFilter => "inner_filter",
            R::Bracket => "bracket",
            R::Element => "element",
            R::FirstElement => "first_element",
            R::Root => "root",
        }
    }
}

/// A grammar expression, as pest's generator turns it into code.
enum E {
    /// A quoted token.
    S(&'static str),
    /// A rule.
    C(R),
    /// `a ~ b ~ ...`: implicit whitespace between the items in a non-atomic rule.
    Seq(&'static [E]),
    /// `a | b | ...`
    Alt(&'static [E]),
    /// `a?`
    Opt(&'static E),
    /// `a*`: implicit whitespace before each repetition after the first.
    Rep(&'static E),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `{...}`: a rule that pest tracks.
    Normal,
    /// `_{...}`: no rule of its own, its body is inlined.
    Silent,
    /// `@{...}`: tracked itself, nothing inside it is; matched by [`atomic`].
    Atomic,
}

use E::{Alt, Opt, Rep, Seq, C, S};

// RedisJSON 2.8.3's `grammar.pest`, rule by rule (each in a comment), as pest's optimizer leaves it.

/// The body given for an atomic rule, which [`atomic`] matches instead.
static NOTHING: E = Seq(&[]);
// string = _{("'" ~ string_value ~ "'") | ("\"" ~ string_value ~ "\"")
//            | ("\"" ~ string_value_escape_1 ~ "\"") | ("'" ~ string_value_escape_2 ~ "'")}
static STRING: E = Alt(&[
    Seq(&[S("'"), C(R::StringValue), S("'")]),
    Seq(&[S("\""), C(R::StringValue), S("\"")]),
    Seq(&[S("\""), C(R::StringValueEscape1), S("\"")]),
    Seq(&[S("'"), C(R::StringValueEscape2), S("'")]),
]);
// string_list = {string ~ ("," ~ string)*}
static STRING_LIST: E = Seq(&[C(R::String), Rep(&Seq(&[S(","), C(R::String)]))]);
// numbers_list = {number ~ ("," ~ number)*}
static NUMBERS_LIST: E = Seq(&[C(R::Number), Rep(&Seq(&[S(","), C(R::Number)]))]);
// numbers_range = {(full_range | right_range | all_range | left_range)}
static NUMBERS_RANGE: E = Alt(&[C(R::FullRange), C(R::RightRange), C(R::AllRange), C(R::LeftRange)]);
// ((":" ~ pos_number) | ":")?
const STEP: E = Opt(&Alt(&[Seq(&[S(":"), C(R::PosNumber)]), S(":")]));
// right_range = {":" ~ number ~ STEP}, all_range = {":" ~ STEP}, left_range = {number ~ ":" ~ STEP},
// full_range = {number ~ ":" ~ number ~ STEP}
static RIGHT_RANGE: E = Seq(&[S(":"), C(R::Number), STEP]);
static ALL_RANGE: E = Seq(&[S(":"), STEP]);
static LEFT_RANGE: E = Seq(&[C(R::Number), S(":"), STEP]);
static FULL_RANGE: E = Seq(&[C(R::Number), S(":"), C(R::Number), STEP]);
// from_current = {"@" ~ root?}, from_root = {"$" ~ root?}
static FROM_CURRENT: E = Seq(&[S("@"), Opt(&C(R::Root))]);
static FROM_ROOT: E = Seq(&[S("$"), Opt(&C(R::Root))]);
static SELECT_TERM: E = Alt(&[C(R::FromCurrent), C(R::FromRoot)]);
static OP: E = Alt(&[C(R::Ge), C(R::Gt), C(R::Le), C(R::Lt), C(R::Eq), C(R::Ne), C(R::Re)]);
static BOOLEAN: E = Alt(&[C(R::BooleanTrue), C(R::BooleanFalse)]);
// term = _{select_term | decimal | string | boolean | null}
static TERM: E = Alt(&[C(R::SelectTerm), C(R::Decimal), C(R::String), C(R::Boolean), C(R::Null)]);
// single_filter = {term ~ op ~ term | term}
static SINGLE_FILTER: E = Alt(&[Seq(&[C(R::Term), C(R::Op), C(R::Term)]), C(R::Term)]);
static FILTER_RELATION: E = Alt(&[C(R::And), C(R::Or)]);
static AND: E = S("&&");
static OR: E = S("||");
// inner_filter = _{single_filter | "(" ~ filter ~ ")"}
static INNER_FILTER: E = Alt(&[C(R::SingleFilter), Seq(&[S("("), C(R::Filter), S(")")])]);
// filter = {inner_filter ~ (filter_relation ~ inner_filter)*}
static FILTER: E = Seq(&[C(R::InnerFilter), Rep(&Seq(&[C(R::FilterRelation), C(R::InnerFilter)]))]);
static ALL: E = S("*");
static FULL_SCAN: E = S("..");
// bracket = _{numbers_range | numbers_list | string_list | all | "?" ~ filter}
static BRACKET: E =
    Alt(&[C(R::NumbersRange), C(R::NumbersList), C(R::StringList), C(R::All), Seq(&[S("?"), C(R::Filter)])]);
// element = _{"." ~ literal | full_scan ~ (literal | all | "[" ~ bracket ~ "]") | "." ~ all
//             | ("."? ~ "[" ~ bracket ~ "]")}
static ELEMENT: E = Alt(&[
    Seq(&[S("."), C(R::Literal)]),
    Seq(&[C(R::FullScan), Alt(&[C(R::Literal), C(R::All), Seq(&[S("["), C(R::Bracket), S("]")])])]),
    Seq(&[S("."), C(R::All)]),
    Seq(&[Opt(&S(".")), S("["), C(R::Bracket), S("]")]),
]);
static FIRST_ELEMENT: E = Alt(&[C(R::Literal), C(R::All)]);
// root = {(element|first_element) ~ (element)*}
static ROOT: E = Seq(&[Alt(&[C(R::Element), C(R::FirstElement)]), Rep(&C(R::Element))]);

/// A rule's kind and body (for an atomic rule, the body is [`atomic`]'s). This is `grammar.pest` of RedisJSON
/// 2.8.3 after pest's optimizer, which leaves these rules as written (its factoring applies to none of them).
fn def(r: R) -> (Kind, &'static E) {
    match r {
        R::String => (Kind::Silent, &STRING),
        R::StringList => (Kind::Normal, &STRING_LIST),
        R::NumbersList => (Kind::Normal, &NUMBERS_LIST),
        R::NumbersRange => (Kind::Normal, &NUMBERS_RANGE),
        R::RightRange => (Kind::Normal, &RIGHT_RANGE),
        R::AllRange => (Kind::Normal, &ALL_RANGE),
        R::LeftRange => (Kind::Normal, &LEFT_RANGE),
        R::FullRange => (Kind::Normal, &FULL_RANGE),
        R::FromCurrent => (Kind::Normal, &FROM_CURRENT),
        R::FromRoot => (Kind::Normal, &FROM_ROOT),
        R::SelectTerm => (Kind::Silent, &SELECT_TERM),
        R::Op => (Kind::Silent, &OP),
        R::Boolean => (Kind::Silent, &BOOLEAN),
        R::Term => (Kind::Silent, &TERM),
        R::SingleFilter => (Kind::Normal, &SINGLE_FILTER),
        R::FilterRelation => (Kind::Silent, &FILTER_RELATION),
        R::And => (Kind::Normal, &AND),
        R::Or => (Kind::Normal, &OR),
        R::InnerFilter => (Kind::Silent, &INNER_FILTER),
        R::Filter => (Kind::Normal, &FILTER),
        R::All => (Kind::Normal, &ALL),
        R::FullScan => (Kind::Normal, &FULL_SCAN),
        R::Bracket => (Kind::Silent, &BRACKET),
        R::Element => (Kind::Silent, &ELEMENT),
        R::FirstElement => (Kind::Silent, &FIRST_ELEMENT),
        R::Root => (Kind::Normal, &ROOT),
        R::Eoi
        | R::Literal
        | R::StringValue
        | R::StringValueEscape1
        | R::StringValueEscape2
        | R::PosNumber
        | R::Number
        | R::Decimal
        | R::Ge
        | R::Gt
        | R::Le
        | R::Lt
        | R::Eq
        | R::Ne
        | R::Re
        | R::BooleanTrue
        | R::BooleanFalse
        | R::Null => (Kind::Atomic, &NOTHING),
    }
}

/// Where an atomic rule (or `EOI`) starting at `i` ends, if it matches. Inside these pest tracks nothing, so a
/// plain matcher is exact.
fn atomic(r: R, s: &[u8], i: usize) -> Option<usize> {
    let digits = |mut j: usize| {
        while s.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let token = |t: &[u8]| s[i..].starts_with(t).then_some(i + t.len());
    match r {
        R::Eoi => (i == s.len()).then_some(i),
        // literal = @{('a'..'z' | 'A'..'Z' | '0'..'9' | "-" | "_" | "`" | "~" | "+" | "#" | "%" | "$" | "^" | "/"
        //              | ":")+}
        R::Literal => {
            let n = s[i..].iter().take_while(|&&b| b.is_ascii_alphanumeric() || b"-_`~+#%$^/:".contains(&b)).count();
            (n > 0).then_some(i + n)
        }
        // string_value = @{((!("\""|"\\"|"'") ~ ANY)+)*}: never fails.
        R::StringValue => Some(i + s[i..].iter().take_while(|&&b| !matches!(b, b'"' | b'\\' | b'\'')).count()),
        // string_value_escape_1 = @{((!("\""|"\\") ~ ANY)+ | string_escape ~ ("\"" | "\\"))*}, and _2 with "'".
        R::StringValueEscape1 | R::StringValueEscape2 => {
            let q = if r == R::StringValueEscape1 { b'"' } else { b'\'' };
            let mut j = i;
            loop {
                match s.get(j) {
                    Some(&b) if b != q && b != b'\\' => j += 1,
                    Some(b'\\') if matches!(s.get(j + 1), Some(&n) if n == q || n == b'\\') => j += 2,
                    _ => return Some(j),
                }
            }
        }
        // pos_number = @{ASCII_NONZERO_DIGIT ~ ASCII_DIGIT*}
        R::PosNumber => matches!(s.get(i), Some(b'1'..=b'9')).then(|| digits(i + 1)),
        // number = @{"-"? ~ ASCII_NONZERO_DIGIT ~ ASCII_DIGIT* | "-"? ~ ASCII_DIGIT}
        R::Number => {
            let j = if s.get(i) == Some(&b'-') { i + 1 } else { i };
            match s.get(j) {
                Some(b'1'..=b'9') => Some(digits(j + 1)),
                Some(b'0') => Some(j + 1),
                _ => None,
            }
        }
        // decimal = @{number ~ ("." ~ ASCII_DIGIT+)?}
        R::Decimal => {
            let j = atomic(R::Number, s, i)?;
            Some(if s.get(j) == Some(&b'.') && s.get(j + 1).is_some_and(u8::is_ascii_digit) {
                digits(j + 1)
            } else {
                j
            })
        }
        R::Ge => token(b">="),
        R::Gt => token(b">"),
        R::Le => token(b"<="),
        R::Lt => token(b"<"),
        R::Eq => token(b"=="),
        R::Ne => token(b"!="),
        R::Re => token(b"=~"),
        R::BooleanTrue => token(b"true"),
        R::BooleanFalse => token(b"false"),
        R::Null => token(b"null"),
        _ => None,
    }
}

/// Rule calls allowed before giving up (see the module's header): some 25 ms of work at most, which reports
/// filters nested up to 13 deep (RedisJSON itself takes a quarter of a second at 16).
const BUDGET: u32 = 1 << 19;
/// Nesting of [`State::eval`] allowed before giving up: well inside the main thread's stack.
const MAX_DEPTH: u32 = 2000;

/// pest's `ParserState`, reduced to what decides the report: the position, the furthest position a rule failed
/// at (`attempt_pos`) and the rules that failed there (`pos_attempts`; the grammar has no negative lookahead
/// outside atomic rules, so `neg_attempts` stays empty).
struct State<'a> {
    s: &'a [u8],
    pos: usize,
    attempt_pos: usize,
    attempts: Vec<R>,
    calls: u32,
    depth: u32,
    /// The budget ran out: the result no longer means anything.
    gave_up: bool,
}

impl State<'_> {
    /// The implicit `WHITESPACE*` between tokens (`WHITESPACE = _{" "}`). pest skips it in non-atomic rules
    /// only; every rule this interpreter runs is one (the atomic ones are [`atomic`]'s).
    fn skip(&mut self) {
        while self.s.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
    }

    /// pest's `attempts_at`: how many failures are recorded at `pos`.
    fn attempts_at(&self, pos: usize) -> usize {
        if self.attempt_pos == pos {
            self.attempts.len()
        } else {
            0
        }
    }

    /// pest's `ParserState::track`, for a rule that failed at `pos` (pest returns at once inside an atomic rule,
    /// which never happens here).
    fn track(&mut self, r: R, pos: usize, index: usize, before: usize) {
        // Exactly one failure recorded by its children: that child stays reported, not the rule.
        let now = self.attempts_at(pos);
        if now > before && now - before == 1 {
            return;
        }
        if pos == self.attempt_pos {
            self.attempts.truncate(index);
        }
        if pos > self.attempt_pos {
            self.attempts.clear();
            self.attempt_pos = pos;
        }
        if pos == self.attempt_pos {
            self.attempts.push(r);
        }
    }

    /// pest's `ParserState::rule` around a rule's body.
    fn rule(&mut self, r: R) -> bool {
        let (kind, body) = def(r);
        if kind == Kind::Silent {
            return self.eval(body);
        }
        self.calls += 1;
        if self.calls > BUDGET {
            self.gave_up = true;
            return false;
        }
        let start = self.pos;
        let index = if start == self.attempt_pos { self.attempts.len() } else { 0 };
        let before = self.attempts_at(start);
        let ok = if kind == Kind::Atomic {
            match atomic(r, self.s, start) {
                Some(end) => {
                    self.pos = end;
                    true
                }
                None => false,
            }
        } else {
            self.eval(body)
        };
        if !ok {
            self.track(r, start, index, before);
        }
        ok
    }

    /// One expression; on failure the position is where it was.
    fn eval(&mut self, e: &E) -> bool {
        if self.gave_up || self.depth >= MAX_DEPTH {
            self.gave_up = true;
            return false;
        }
        self.depth += 1;
        let start = self.pos;
        let ok = match e {
            S(t) => {
                let hit = self.s[start..].starts_with(t.as_bytes());
                if hit {
                    self.pos += t.len();
                }
                hit
            }
            C(r) => self.rule(*r),
            Seq(items) => {
                let mut ok = true;
                for (k, item) in items.iter().enumerate() {
                    if k > 0 {
                        self.skip();
                    }
                    if !self.eval(item) {
                        ok = false;
                        break;
                    }
                }
                ok
            }
            Alt(items) => items.iter().any(|item| self.eval(item)),
            Opt(inner) => {
                self.eval(inner);
                true
            }
            Rep(inner) => {
                if self.eval(inner) {
                    loop {
                        let at = self.pos;
                        self.skip();
                        if !self.eval(inner) {
                            self.pos = at;
                            break;
                        }
                    }
                }
                true
            }
        };
        if !ok {
            self.pos = start;
        }
        self.depth -= 1;
        ok
    }
}

/// RedisJSON's message for a JSONPath (legacy paths already rewritten) that its parser refuses, without the
/// reply's `-`. `None` when the path parses (the caller refused it for a limit of its own) or when the work
/// budget ran out before pest's answer was known.
pub fn explain(path: &str) -> Option<String> {
    let s = path.as_bytes();
    // query = _{SOI ~ "$" ~ root? ~ EOI}; SOI matches nothing at the start (the empty token).
    static QUERY: E = Seq(&[S(""), S("$"), Opt(&C(R::Root)), C(R::Eoi)]);
    let mut st = State { s, pos: 0, attempt_pos: 0, attempts: Vec::new(), calls: 0, depth: 0, gave_up: false };
    let ok = st.eval(&QUERY);
    if ok || st.gave_up {
        return None;
    }
    st.attempts.sort();
    st.attempts.dedup();
    let msg = if st.attempts.is_empty() {
        "parsing error".to_string()
    } else {
        let names: Vec<&str> = st.attempts.iter().map(|r| r.shown()).collect();
        format!("expected one of the following: {}", names.join(", "))
    };
    Some(message(path, st.attempt_pos, &msg))
}

/// `Error occurred on position P, "<before> ---->>>> <after>", <what>.` (or `"<path> <<<<----"` at the end).
pub fn message(path: &str, pos: usize, what: &str) -> String {
    let mut pos = pos.min(path.len());
    while !path.is_char_boundary(pos) {
        pos -= 1;
    }
    if pos == path.len() {
        format!("Error occurred on position {pos}, \"{path} <<<<----\", {what}.")
    } else {
        format!("Error occurred on position {pos}, \"{} ---->>>> {}\", {what}.", &path[..pos], &path[pos..])
    }
}
