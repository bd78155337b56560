//! Paths into a document: RedisJSON 2.8's JSONPath dialect (its `json_path` crate's grammar and evaluation
//! order) and its legacy paths, which it rewrites into JSONPath (`.` is `$`, `.a` is `$.a`, `a` is `$.a`).
//!
//! ```text
//!  $  .key  ['key','k2']  [0,-1]  [1:5:2]  [*]  .*  ..key  ..*  ..[0]  [?(@.a > 1 && @.b =~ "x")]
//! ```
//!
//! A compiled [`Query`] is a list of [`Step`]s. Evaluation visits the document in RedisJSON's order (a union in
//! the order written; `..` the node itself first, then each child followed by its descendants), so multi-value
//! replies list matches in the same order. [`Query::select`] returns the matches; [`Query::select_paths`] their
//! concrete locations, which the writing commands then follow one by one with [`get_mut`].
//!
//! The parser is hand-written over the same grammar (spaces allowed between tokens as pest allows them there);
//! it never panics and allocates in proportion to the path. Evaluation recurses once per step and per level of
//! `..`, bounded by the document's depth, and stops at a budget of work ([`BUDGET`]): a path repeating `..`
//! multiplies its matches with each repetition, and would otherwise keep the server busy for hours.

use super::path_error;
use super::regex::Regex;
use super::Json;
use std::cell::Cell;
use std::cmp::Ordering;

/// One element of a concrete location: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Elem {
    Key(String),
    Index(usize),
}

/// A compiled path.
#[derive(Clone, Debug)]
pub struct Query {
    pub steps: Vec<Step>,
    /// Written in the legacy syntax (replies are single values, errors name the path).
    pub legacy: bool,
}

#[derive(Clone, Debug)]
pub enum Step {
    /// `.key`
    Key(String),
    /// `['a',"b"]`
    Keys(Vec<String>),
    /// `[0,-1]`
    Indexes(Vec<i64>),
    /// `[start:end:step]`
    Range(Option<i64>, Option<i64>, usize),
    /// `*`
    All,
    /// `..`: the rest of the path, at this node and at every descendant.
    Scan,
    /// `[?(...)]`
    Filter(Box<Filter>),
}

/// A filter: operands joined by `&&` and `||` (`&&` binds tighter).
#[derive(Clone, Debug)]
pub struct Filter {
    /// Alternatives (`||`), each a conjunction (`&&`).
    pub any: Vec<Vec<Operand>>,
}

#[derive(Clone, Debug)]
pub enum Operand {
    Test(Term, Option<(Op, Term)>),
    Group(Filter),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
    Re,
}

#[derive(Clone, Debug)]
pub enum Term {
    /// `@...`
    Current(Vec<Step>),
    /// `$...`
    Root(Vec<Step>),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
}

/// A path that does not compile: RedisJSON's message (the reply, without the `-`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError(pub String);

impl Query {
    /// Compiles a path argument, legacy or JSONPath, as RedisJSON's `Path::new` then `compile` do.
    pub fn compile(path: &str) -> Result<Query, PathError> {
        let b = path.as_bytes();
        let is_jsonpath = b.first() == Some(&b'$') && (b.len() < 2 || b[1] == b'.' || b[1] == b'[');
        if is_jsonpath {
            return compile_jsonpath(path).map(|steps| Query { steps, legacy: false });
        }
        let fixed = if path == "." {
            "$".to_string()
        } else if path.starts_with('.') {
            format!("${path}")
        } else {
            format!("$.{path}")
        };
        compile_jsonpath(&fixed).map(|steps| Query { steps, legacy: true })
    }

    /// Whether the path can match at most one node (only keys and single indexes).
    pub fn is_static(&self) -> bool {
        self.steps.iter().all(|s| match s {
            Step::Key(_) => true,
            Step::Keys(k) => k.len() == 1,
            Step::Indexes(i) => i.len() == 1,
            _ => false,
        })
    }

    /// The matches, in RedisJSON's order ([`BUDGET_ERROR`] past the evaluation's budget).
    pub fn select<'a>(&self, root: &'a Json) -> Result<Vec<&'a Json>, String> {
        let mut out = Vec::new();
        let budget = Budget::new(root);
        let mut ev = Eval { root, path: Vec::new(), track: false, budget: &budget };
        ev.run(&self.steps, root, &mut |v, _| out.push(v));
        budget.result(out)
    }

    /// The concrete locations of the matches, in RedisJSON's order.
    pub fn select_paths(&self, root: &Json) -> Result<Vec<Vec<Elem>>, String> {
        let mut out = Vec::new();
        let budget = Budget::new(root);
        let mut ev = Eval { root, path: Vec::new(), track: true, budget: &budget };
        ev.run(&self.steps, root, &mut |_, p| out.push(p.to_vec()));
        budget.result(out)
    }

    /// The matches with their concrete locations, in RedisJSON's order. A location need not lead back to its
    /// match: RedisJSON's trackers record a filter's matches inside an object by position, not by key.
    pub fn select_located<'a>(&self, root: &'a Json) -> Result<Vec<(&'a Json, Vec<Elem>)>, String> {
        let mut out = Vec::new();
        let budget = Budget::new(root);
        let mut ev = Eval { root, path: Vec::new(), track: true, budget: &budget };
        ev.run(&self.steps, root, &mut |v, p| out.push((v, p.to_vec())));
        budget.result(out)
    }

    /// The query without its last step, and that step when it names one key or one index (RedisJSON's
    /// `pop_last` on a static path: where JSON.SET creates a member).
    pub fn split_last(&self) -> Option<(Query, Elem0)> {
        let last = self.steps.last()?;
        let e = match last {
            Step::Key(k) => Elem0::Key(k.clone()),
            Step::Keys(k) if !k.is_empty() => Elem0::Key(k[0].clone()),
            Step::Indexes(i) if !i.is_empty() => Elem0::Index(i[0]),
            _ => return None,
        };
        Some((Query { steps: self.steps[..self.steps.len() - 1].to_vec(), legacy: self.legacy }, e))
    }
}

/// The last step of a static path: a key, or an index as written (negative counts from the end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Elem0 {
    Key(String),
    Index(i64),
}

/// The node at a concrete location.
pub fn get_mut<'a>(mut v: &'a mut Json, path: &[Elem]) -> Option<&'a mut Json> {
    for e in path {
        v = match (v, e) {
            (Json::Object(o), Elem::Key(k)) => o.get_mut(k)?,
            (Json::Array(a), Elem::Index(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The node at a concrete location (shared).
pub fn get<'a>(mut v: &'a Json, path: &[Elem]) -> Option<&'a Json> {
    for e in path {
        v = match (v, e) {
            (Json::Object(o), Elem::Key(k)) => o.get(k)?,
            (Json::Array(a), Elem::Index(i)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// A location as JSONPath text in RedisJSON's normalized form (`$['a'][0]`).
pub fn path_text(path: &[Elem]) -> String {
    let mut s = String::from("$");
    for e in path {
        match e {
            Elem::Key(k) => {
                s.push_str("['");
                s.push_str(k);
                s.push_str("']");
            }
            Elem::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

/// The work one evaluation may do in any case: steps applied to nodes, plus matches (see
/// [`Budget::match_cost`]). A path that repeats `..` multiplies its matches at each repetition: over a 127-deep
/// chain of `a` members `$..a..a..a` has C(127, 3) = 333,375 matches, `$..a..a..a..a` 10.4 million and one more
/// `..a` 250 million. RedisJSON 2.8.3 (measured) answers the third with a 62 MB reply in 0.5 s, the fourth with a
/// 1.5 GB reply after 44 s (JSON.TYPE: 13 s, 1.5 GB of memory at its peak), and a write through the third
/// (JSON.NUMINCRBY) in 1.9 s with 1.2 GB of memory; each further `..a` multiplies all of it by about 25 (not
/// run). Here the reads of `$..a..a..a` are answered as RedisJSON answers them, and past this budget (or past
/// [`BUDGET_PER_NODE`] times the document's nodes, when that is more) the evaluation stops with [`BUDGET_ERROR`]
/// and the command changes nothing: the fourth `..a`, and the third for the writing commands (whose locations
/// count their length). Paths that repeat nothing stay within it at any document size (see [`BUDGET_PER_NODE`]).
pub const BUDGET: u64 = 1 << 24;

/// The work allowed per node of the document, when that is more than [`BUDGET`]: a path that does not repeat
/// `..` costs a few units per node, plus [`LOCATION_UNITS`] per element of each match's location for the writing
/// commands, so a walk of a large document that repeats nothing stays within it unless its matches lie deeper
/// than about 30 levels on average.
pub const BUDGET_PER_NODE: u64 = 256;

/// Units a kept location costs per element (see [`Budget::match_cost`]): what bounds the memory of the
/// locations a writing command collects to about 120 MB (within [`BUDGET`]).
const LOCATION_UNITS: u64 = 8;

/// Matches that cost one unit each whatever their size (see [`Budget::match_cost`]).
const FREE_MATCHES: u64 = 1024;

/// Bytes of a matched subtree (as [`Json::heap_bytes`] counts them) per unit of budget, past [`FREE_MATCHES`].
const MATCH_BYTES_PER_UNIT: usize = 64;

/// The error a path gets when its evaluation passes the budget (RedisJSON has none: it evaluates until done or
/// until its memory runs out).
pub const BUDGET_ERROR: &str = "ERR JSONPath evaluation exceeds its budget (the path visits too many nodes)";

/// What an evaluation has spent of its budget (shared with the sub-queries of its filters).
struct Budget<'a> {
    root: &'a Json,
    spent: Cell<u64>,
    limit: Cell<u64>,
    /// Whether `limit` has been raised to the document's size yet (counted once, when [`BUDGET`] is reached).
    sized: Cell<bool>,
    over: Cell<bool>,
    matches: Cell<u64>,
}

impl<'a> Budget<'a> {
    fn new(root: &'a Json) -> Budget<'a> {
        Budget {
            root,
            spent: Cell::new(0),
            limit: Cell::new(BUDGET),
            sized: Cell::new(false),
            over: Cell::new(false),
            matches: Cell::new(0),
        }
    }

    /// Spends `n` units; false (and from then on [`Budget::over`]) when that passes the limit.
    fn spend(&self, n: u64) -> bool {
        let spent = self.spent.get().saturating_add(n);
        self.spent.set(spent);
        if spent > self.limit.get() && !self.sized.get() {
            self.sized.set(true);
            let nodes = self.root.nodes() as u64;
            self.limit.set(self.limit.get().max(nodes.saturating_mul(BUDGET_PER_NODE)));
        }
        if spent > self.limit.get() {
            self.over.set(true);
        }
        !self.over.get()
    }

    /// What a match costs: one, plus [`LOCATION_UNITS`] per element of its location when the caller keeps
    /// locations (the writing commands: each element is a 24-byte copy, and a key its own allocation); past the first
    /// [`FREE_MATCHES`], also a unit per [`MATCH_BYTES_PER_UNIT`] bytes of the matched subtree, because the reader
    /// commands print each match whole: a path repeating `..` over a document with a large value deep down would
    /// otherwise build a reply many times the document's size within a budget of matches.
    fn match_cost(&self, v: &Json, path: &[Elem], track: bool) -> u64 {
        let n = self.matches.get();
        self.matches.set(n + 1);
        let located = if track { path.len() as u64 * LOCATION_UNITS } else { 0 };
        let printed = if n >= FREE_MATCHES { (v.heap_bytes() / MATCH_BYTES_PER_UNIT) as u64 } else { 0 };
        1 + located + printed
    }

    fn over(&self) -> bool {
        self.over.get()
    }

    fn result<T>(&self, out: T) -> Result<T, String> {
        if self.over() {
            Err(BUDGET_ERROR.to_string())
        } else {
            Ok(out)
        }
    }
}

struct Eval<'a, 'b> {
    root: &'a Json,
    path: Vec<Elem>,
    track: bool,
    budget: &'b Budget<'a>,
}

fn abs_index(i: i64, n: usize) -> usize {
    if i >= 0 {
        (i as usize).min(n)
    } else {
        (i + n as i64).max(0) as usize
    }
}

impl<'a> Eval<'a, '_> {
    fn child(&mut self, steps: &[Step], v: &'a Json, e: Elem, out: &mut dyn FnMut(&'a Json, &[Elem])) {
        if self.track {
            self.path.push(e);
            self.run(steps, v, out);
            self.path.pop();
        } else {
            self.run(steps, v, out);
        }
    }

    fn run(&mut self, steps: &[Step], v: &'a Json, out: &mut dyn FnMut(&'a Json, &[Elem])) {
        let Some((step, rest)) = steps.split_first() else {
            if self.budget.spend(self.budget.match_cost(v, &self.path, self.track)) {
                out(v, &self.path);
            }
            return;
        };
        if !self.budget.spend(1) {
            return;
        }
        match step {
            Step::Key(k) => {
                if let Json::Object(o) = v {
                    if let Some(c) = o.get(k) {
                        self.child(rest, c, Elem::Key(k.clone()), out);
                    }
                }
            }
            Step::Keys(ks) => {
                if let Json::Object(o) = v {
                    for k in ks {
                        if !self.budget.spend(1) {
                            break;
                        }
                        if let Some(c) = o.get(k) {
                            self.child(rest, c, Elem::Key(k.clone()), out);
                        }
                    }
                }
            }
            Step::Indexes(is) => {
                if let Json::Array(a) = v {
                    for &i in is {
                        if !self.budget.spend(1) {
                            break;
                        }
                        let i = abs_index(i, a.len());
                        if let Some(c) = a.get(i) {
                            self.child(rest, c, Elem::Index(i), out);
                        }
                    }
                }
            }
            Step::Range(start, end, step) => {
                if let Json::Array(a) = v {
                    let n = a.len();
                    let s = start.map_or(0, |s| abs_index(s, n));
                    let e = end.map_or(n, |e| abs_index(e, n));
                    for i in (s..e).step_by((*step).max(1)) {
                        if !self.budget.spend(1) {
                            break;
                        }
                        if let Some(c) = a.get(i) {
                            self.child(rest, c, Elem::Index(i), out);
                        }
                    }
                }
            }
            Step::All => self.children(rest, v, out),
            Step::Scan => {
                self.run(rest, v, out);
                self.scan(rest, v, out);
            }
            Step::Filter(f) => match v {
                Json::Array(a) => {
                    for (i, c) in a.iter().enumerate() {
                        if !self.budget.spend(1) {
                            break;
                        }
                        if self.filter(f, c) {
                            self.child(rest, c, Elem::Index(i), out);
                        }
                    }
                }
                Json::Object(o) => {
                    // RedisJSON's path trackers record an object's filter matches by position, not by key, so
                    // the writing commands find nothing there (a scalar reached by `..` still matches itself).
                    for (i, (_, c)) in o.iter().enumerate() {
                        if !self.budget.spend(1) {
                            break;
                        }
                        if self.filter(f, c) {
                            self.child(rest, c, Elem::Index(i), out);
                        }
                    }
                }
                _ => {
                    if self.filter(f, v) {
                        self.run(rest, v, out);
                    }
                }
            },
        }
    }

    fn children(&mut self, steps: &[Step], v: &'a Json, out: &mut dyn FnMut(&'a Json, &[Elem])) {
        match v {
            Json::Object(o) => {
                for (k, c) in o.iter() {
                    if self.budget.over() {
                        break;
                    }
                    let e = if self.track { Elem::Key(k.to_string()) } else { Elem::Index(0) };
                    self.child(steps, c, e, out);
                }
            }
            Json::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    if self.budget.over() {
                        break;
                    }
                    self.child(steps, c, Elem::Index(i), out);
                }
            }
            _ => {}
        }
    }

    fn scan(&mut self, steps: &[Step], v: &'a Json, out: &mut dyn FnMut(&'a Json, &[Elem])) {
        match v {
            Json::Object(o) => {
                for (k, c) in o.iter() {
                    if self.budget.over() {
                        break;
                    }
                    let e = if self.track { Elem::Key(k.to_string()) } else { Elem::Index(0) };
                    if self.track {
                        self.path.push(e);
                    }
                    self.run(steps, c, out);
                    self.scan(steps, c, out);
                    if self.track {
                        self.path.pop();
                    }
                }
            }
            Json::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    if self.budget.over() {
                        break;
                    }
                    if self.track {
                        self.path.push(Elem::Index(i));
                    }
                    self.run(steps, c, out);
                    self.scan(steps, c, out);
                    if self.track {
                        self.path.pop();
                    }
                }
            }
            _ => {}
        }
    }

    fn filter(&self, f: &Filter, v: &'a Json) -> bool {
        f.any.iter().any(|all| all.iter().all(|o| self.operand(o, v)))
    }

    fn operand(&self, o: &Operand, v: &'a Json) -> bool {
        match o {
            Operand::Group(f) => self.filter(f, v),
            Operand::Test(t, None) => !matches!(self.term(t, v), Val::Invalid),
            Operand::Test(a, Some((op, b))) => {
                let (x, y) = (self.term(a, v), self.term(b, v));
                match op {
                    Op::Gt => matches!(cmp(&x, &y), Some(Ordering::Greater)),
                    Op::Ge => matches!(cmp(&x, &y), Some(Ordering::Greater | Ordering::Equal)),
                    Op::Lt => matches!(cmp(&x, &y), Some(Ordering::Less)),
                    Op::Le => matches!(cmp(&x, &y), Some(Ordering::Less | Ordering::Equal)),
                    Op::Eq => eq(&x, &y),
                    Op::Ne => !eq(&x, &y),
                    Op::Re => re_match(&x, &y),
                }
            }
        }
    }

    fn term<'t>(&self, t: &'t Term, v: &'a Json) -> Val<'t, 'a> {
        let sub = |steps: &[Step], from: &'a Json| {
            let mut found: Vec<&'a Json> = Vec::new();
            let mut ev = Eval { root: self.root, path: Vec::new(), track: false, budget: self.budget };
            ev.run(steps, from, &mut |x, _| found.push(x));
            if found.len() == 1 {
                Val::Node(found[0])
            } else {
                Val::Invalid
            }
        };
        match t {
            Term::Current(steps) if steps.is_empty() => Val::Node(v),
            Term::Current(steps) => sub(steps, v),
            Term::Root(steps) if steps.is_empty() => Val::Node(self.root),
            Term::Root(steps) => sub(steps, self.root),
            Term::Int(n) => Val::Int(*n),
            Term::Float(f) => Val::Float(*f),
            Term::Str(s) => Val::Str(s),
            Term::Bool(b) => Val::Bool(*b),
            Term::Null => Val::Null,
        }
    }
}

/// A filter term's value (RedisJSON's `TermEvaluationResult`).
enum Val<'t, 'a> {
    Int(i64),
    Float(f64),
    Str(&'t str),
    Node(&'a Json),
    Bool(bool),
    Null,
    Invalid,
}

/// A document node as a comparable scalar (`None`: an array or object).
fn scalar<'t>(v: &'t Json) -> Option<Val<'t, 't>> {
    Some(match v {
        Json::Int(n) => Val::Int(*n),
        Json::UInt(n) => Val::Float(*n as f64),
        Json::Float(f) => Val::Float(*f),
        Json::Str(s) => Val::Str(s),
        Json::Bool(b) => Val::Bool(*b),
        Json::Null => Val::Null,
        Json::Array(_) | Json::Object(_) => return None,
    })
}

fn cmp(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Node(v), _) => cmp(&scalar(v)?, b),
        (_, Val::Node(v)) => cmp(a, &scalar(v)?),
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Int(x), Val::Float(y)) => Some(fcmp(*x as f64, *y)),
        (Val::Float(x), Val::Int(y)) => Some(fcmp(*x, *y as f64)),
        (Val::Float(x), Val::Float(y)) => Some(fcmp(*x, *y)),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Null, Val::Null) => Some(Ordering::Equal),
        _ => None,
    }
}

/// RedisJSON's float order: greater, less, else equal (so NaN compares equal).
fn fcmp(x: f64, y: f64) -> Ordering {
    if x > y {
        Ordering::Greater
    } else if x < y {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}

fn eq(a: &Val, b: &Val) -> bool {
    if let (Val::Node(x), Val::Node(y)) = (a, b) {
        return json_eq(x, y);
    }
    cmp(a, b) == Some(Ordering::Equal)
}

/// Structural equality of two nodes (numbers by value, objects regardless of member order).
pub fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| json_eq(p, q)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        (Json::Int(x), Json::Int(y)) => x == y,
        (Json::UInt(x), Json::UInt(y)) => x == y,
        (x, y) if x.is_number() && y.is_number() => x.as_f64() == y.as_f64(),
        (x, y) => x == y,
    }
}

fn re_match(a: &Val, b: &Val) -> bool {
    let (Val::Node(Json::Str(s)), pattern) = (a, b) else { return false };
    let pattern: &str = match pattern {
        Val::Str(p) => p,
        Val::Node(Json::Str(p)) => p,
        _ => return false,
    };
    Regex::new(pattern).is_some_and(|re| re.is_match(s))
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/// Characters of an unquoted key (the grammar's `literal`).
fn is_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_`~+#%$^/:".contains(&b)
}

struct P<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    /// The furthest position a token was expected at (pest reports the furthest failure).
    far: usize,
    /// Nesting of filters and sub-paths, bounded so the parser's recursion is.
    depth: u32,
}

const MAX_PATH_NESTING: u32 = 64;

fn compile_jsonpath(path: &str) -> Result<Vec<Step>, PathError> {
    let mut p = P { s: path.as_bytes(), text: path, i: 0, far: 0, depth: 0 };
    // query = SOI "$" root? EOI
    if p.eat(b'$') {
        p.ws();
        if let Some(steps) = p.root(true) {
            p.ws();
            if p.i == p.s.len() {
                return Ok(steps);
            }
        }
    }
    Err(p.refused())
}

impl<'a> P<'a> {
    /// RedisJSON's report for the refused path ([`path_error`]). Where that cannot be had (a path past this
    /// parser's nesting limit, which pest would accept, or one whose report costs more than its budget), the
    /// furthest position this parser reached, said to be nested too deeply.
    fn refused(&self) -> PathError {
        PathError(
            path_error::explain(self.text)
                .unwrap_or_else(|| path_error::message(self.text, self.far.max(self.i), "path nested too deeply")),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn mark(&mut self) {
        self.far = self.far.max(self.i);
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            self.mark();
            false
        }
    }

    fn eat_str(&mut self, t: &[u8]) -> bool {
        if self.s[self.i..].starts_with(t) {
            self.i += t.len();
            true
        } else {
            self.mark();
            false
        }
    }

    /// pest's implicit WHITESPACE (only ' ') between the tokens of a non-atomic rule.
    fn ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    /// `root = (element | first_element) element*`; `first` allows a bare literal or `*` first.
    fn root(&mut self, first: bool) -> Option<Vec<Step>> {
        let mut steps = Vec::new();
        let mut at_first = first;
        loop {
            let save = self.i;
            if let Some(mut s) = self.element(at_first) {
                steps.append(&mut s);
                at_first = false;
                let before = self.i;
                self.ws();
                if self.i == self.s.len() {
                    return Some(steps);
                }
                if self.i == before {
                    continue;
                }
                continue;
            }
            self.i = save;
            return Some(steps);
        }
    }

    fn literal(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_literal) {
            self.i += 1;
        }
        if self.i == start {
            self.mark();
            return None;
        }
        Some(self.text[start..self.i].to_string())
    }

    /// One element: `.lit`, `..(lit|*|[bracket])`, `.*`, `.?[bracket]`; first: `lit` or `*`.
    fn element(&mut self, first: bool) -> Option<Vec<Step>> {
        let save = self.i;
        if self.eat_str(b"..") {
            self.ws();
            if let Some(l) = self.literal() {
                return Some(vec![Step::Scan, Step::Key(l)]);
            }
            if self.eat(b'*') {
                return Some(vec![Step::Scan, Step::All]);
            }
            if self.eat(b'[') {
                self.ws();
                let b = self.bracket()?;
                self.ws();
                if !self.eat(b']') {
                    self.i = save;
                    return None;
                }
                return Some(vec![Step::Scan, b]);
            }
            self.i = save;
        }
        if self.eat(b'.') {
            self.ws();
            if let Some(l) = self.literal() {
                return Some(vec![Step::Key(l)]);
            }
            if self.eat(b'*') {
                return Some(vec![Step::All]);
            }
            if self.peek() == Some(b'[') {
                if let Some(b) = self.bracketed() {
                    return Some(vec![b]);
                }
            }
            self.i = save;
            return None;
        }
        if self.peek() == Some(b'[') {
            if let Some(b) = self.bracketed() {
                return Some(vec![b]);
            }
            self.i = save;
            return None;
        }
        if first {
            if let Some(l) = self.literal() {
                return Some(vec![Step::Key(l)]);
            }
            if self.eat(b'*') {
                return Some(vec![Step::All]);
            }
        }
        self.i = save;
        None
    }

    fn bracketed(&mut self) -> Option<Step> {
        let save = self.i;
        if !self.eat(b'[') {
            return None;
        }
        self.ws();
        let Some(b) = self.bracket() else {
            self.i = save;
            return None;
        };
        self.ws();
        if !self.eat(b']') {
            self.i = save;
            return None;
        }
        Some(b)
    }

    /// `bracket = numbers_range | numbers_list | string_list | all | "?" filter`
    fn bracket(&mut self) -> Option<Step> {
        let save = self.i;
        if let Some(r) = self.range() {
            return Some(r);
        }
        self.i = save;
        if let Some(l) = self.numbers_list() {
            return Some(Step::Indexes(l));
        }
        self.i = save;
        if let Some(l) = self.string_list() {
            return Some(Step::Keys(l));
        }
        self.i = save;
        if self.eat(b'*') {
            return Some(Step::All);
        }
        if self.eat(b'?') {
            self.ws();
            if self.depth >= MAX_PATH_NESTING {
                return None;
            }
            self.depth += 1;
            let f = self.filter();
            self.depth -= 1;
            return f.map(|f| Step::Filter(Box::new(f)));
        }
        self.i = save;
        None
    }

    /// `number = "-"? [1-9][0-9]* | "-"? [0-9]`
    fn number(&mut self) -> Option<i64> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'1'..=b'9') => {
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.i += 1;
                }
            }
            Some(b'0') => self.i += 1,
            _ => {
                self.mark();
                self.i = start;
                return None;
            }
        }
        // Out of i64's range, RedisJSON's `parse::<i64>().unwrap()` would abort; such indexes match nothing here.
        Some(self.text[start..self.i].parse::<i64>().unwrap_or(i64::MAX))
    }

    fn pos_number(&mut self) -> Option<usize> {
        let start = self.i;
        if !matches!(self.peek(), Some(b'1'..=b'9')) {
            self.mark();
            return None;
        }
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        Some(self.text[start..self.i].parse::<usize>().unwrap_or(usize::MAX))
    }

    /// `(":" pos_number | ":")?` after a range's bounds.
    fn range_step(&mut self) -> usize {
        let save = self.i;
        self.ws();
        if self.eat(b':') {
            self.ws();
            let save2 = self.i;
            if let Some(n) = self.pos_number() {
                return n;
            }
            self.i = save2;
            return 1;
        }
        self.i = save;
        1
    }

    fn range(&mut self) -> Option<Step> {
        let save = self.i;
        // full_range and left_range: number ":" [number]
        if let Some(a) = self.number() {
            self.ws();
            if !self.eat(b':') {
                self.i = save;
                return None;
            }
            self.ws();
            let save2 = self.i;
            if let Some(b) = self.number() {
                let st = self.range_step();
                return Some(Step::Range(Some(a), Some(b), st));
            }
            self.i = save2;
            let st = self.range_step();
            return Some(Step::Range(Some(a), None, st));
        }
        // right_range and all_range: ":" [number]
        if self.eat(b':') {
            self.ws();
            let save2 = self.i;
            if let Some(b) = self.number() {
                let st = self.range_step();
                return Some(Step::Range(None, Some(b), st));
            }
            self.i = save2;
            let st = self.range_step();
            return Some(Step::Range(None, None, st));
        }
        self.i = save;
        None
    }

    fn numbers_list(&mut self) -> Option<Vec<i64>> {
        let mut v = vec![self.number()?];
        loop {
            let save = self.i;
            self.ws();
            if !self.eat(b',') {
                self.i = save;
                return Some(v);
            }
            self.ws();
            match self.number() {
                Some(n) => v.push(n),
                None => {
                    self.i = save;
                    return Some(v);
                }
            }
        }
    }

    fn string_list(&mut self) -> Option<Vec<String>> {
        let mut v = vec![self.string(false)?];
        loop {
            let save = self.i;
            self.ws();
            if !self.eat(b',') {
                self.i = save;
                return Some(v);
            }
            self.ws();
            match self.string(false) {
                Some(s) => v.push(s),
                None => {
                    self.i = save;
                    return Some(v);
                }
            }
        }
    }

    /// A quoted string. The unescaping differs between a key lookup and a filter's literal, as in RedisJSON.
    fn string(&mut self, in_filter: bool) -> Option<String> {
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => {
                self.mark();
                return None;
            }
        };
        let save = self.i;
        self.i += 1;
        self.ws();
        let start = self.i;
        // string_value: no quote of either kind, no backslash.
        while self.peek().is_some_and(|b| !matches!(b, b'"' | b'\\' | b'\'')) {
            self.i += 1;
        }
        if self.peek() == Some(q) {
            let s = self.text[start..self.i].to_string();
            self.i += 1;
            return Some(s);
        }
        // string_value_escape: anything but this quote and backslash, or a backslash before either.
        self.i = start;
        loop {
            match self.peek() {
                Some(b) if b == q => break,
                Some(b'\\') => match self.s.get(self.i + 1) {
                    Some(&n) if n == q || n == b'\\' => self.i += 2,
                    _ => {
                        self.mark();
                        self.i = save;
                        return None;
                    }
                },
                Some(_) => self.i += 1,
                None => {
                    self.mark();
                    self.i = save;
                    return None;
                }
            }
        }
        let raw = &self.text[start..self.i];
        self.i += 1;
        let double = q == b'"';
        // RedisJSON's two code paths unescape the other quote than the one written for filters; lookups the
        // written one.
        let other = if double == in_filter { "\\'" } else { "\\\"" };
        let other_to = if double == in_filter { "'" } else { "\"" };
        Some(raw.replace("\\\\", "\\").replace(other, other_to))
    }

    /// `filter = inner (("&&" | "||") inner)*`
    fn filter(&mut self) -> Option<Filter> {
        let mut any = vec![vec![self.inner_filter()?]];
        loop {
            let save = self.i;
            self.ws();
            let and = if self.eat_str(b"&&") {
                true
            } else if self.eat_str(b"||") {
                false
            } else {
                self.i = save;
                return Some(Filter { any });
            };
            self.ws();
            let Some(o) = self.inner_filter() else {
                self.i = save;
                return Some(Filter { any });
            };
            if and {
                if let Some(last) = any.last_mut() {
                    last.push(o);
                }
            } else {
                any.push(vec![o]);
            }
        }
    }

    fn inner_filter(&mut self) -> Option<Operand> {
        let save = self.i;
        if let Some(o) = self.single_filter() {
            return Some(o);
        }
        self.i = save;
        if self.eat(b'(') {
            self.ws();
            if self.depth >= MAX_PATH_NESTING {
                return None;
            }
            self.depth += 1;
            let f = self.filter();
            self.depth -= 1;
            let f = f?;
            self.ws();
            if self.eat(b')') {
                return Some(Operand::Group(f));
            }
        }
        self.i = save;
        None
    }

    fn single_filter(&mut self) -> Option<Operand> {
        let a = self.term()?;
        let save = self.i;
        self.ws();
        let op = if self.eat_str(b">=") {
            Some(Op::Ge)
        } else if self.eat_str(b">") {
            Some(Op::Gt)
        } else if self.eat_str(b"<=") {
            Some(Op::Le)
        } else if self.eat_str(b"<") {
            Some(Op::Lt)
        } else if self.eat_str(b"==") {
            Some(Op::Eq)
        } else if self.eat_str(b"!=") {
            Some(Op::Ne)
        } else if self.eat_str(b"=~") {
            Some(Op::Re)
        } else {
            None
        };
        if let Some(op) = op {
            self.ws();
            if let Some(b) = self.term() {
                return Some(Operand::Test(a, Some((op, b))));
            }
        }
        self.i = save;
        Some(Operand::Test(a, None))
    }

    fn term(&mut self) -> Option<Term> {
        match self.peek() {
            Some(c @ (b'@' | b'$')) => {
                self.i += 1;
                let save = self.i;
                self.ws();
                if self.depth >= MAX_PATH_NESTING {
                    return None;
                }
                self.depth += 1;
                let steps = self.root(true);
                self.depth -= 1;
                let steps = match steps {
                    Some(s) if !s.is_empty() => s,
                    _ => {
                        self.i = save;
                        Vec::new()
                    }
                };
                Some(if c == b'@' { Term::Current(steps) } else { Term::Root(steps) })
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                self.number()?;
                let save = self.i;
                if self.eat(b'.') && self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                        self.i += 1;
                    }
                } else {
                    self.i = save;
                }
                let t = &self.text[start..self.i];
                Some(match t.parse::<i64>() {
                    Ok(n) => Term::Int(n),
                    Err(_) => Term::Float(t.parse::<f64>().unwrap_or(0.0)),
                })
            }
            Some(b'\'' | b'"') => self.string(true).map(Term::Str),
            _ => {
                if self.eat_str(b"true") {
                    Some(Term::Bool(true))
                } else if self.eat_str(b"false") {
                    Some(Term::Bool(false))
                } else if self.eat_str(b"null") {
                    Some(Term::Null)
                } else {
                    None
                }
            }
        }
    }
}
