//! A command's arguments as zero-copy slices ([`Args`]) and their owned form ([`OwnedArgs`]), shared by the
//! layers that carry commands without running them (MULTI queues, blocked clients, the AOF replay) and by the
//! command handlers. Knows nothing else.

#![forbid(unsafe_code)]

/// The arguments of one call: slices into the client's query buffer (or its scratch buffer for inline commands).
/// `args[0]` is the command name.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    spans: &'a [(u32, u32)],
}

impl<'a> Args<'a> {
    /// Arguments as `(start, end)` byte offsets into `buf`.
    pub fn new(buf: &'a [u8], spans: &'a [(u32, u32)]) -> Args<'a> {
        Args { buf, spans }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`th argument. Panics when `i >= len()`; handlers only index within the arity checked for them.
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (s, e) = self.spans[i];
        &self.buf[s as usize..e as usize]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let buf = self.buf;
        self.spans.iter().map(move |&(s, e)| &buf[s as usize..e as usize])
    }

    /// The arguments from `n` on (ACL DRYRUN checks the command line it carries).
    pub fn skip(&self, n: usize) -> Args<'a> {
        Args { buf: self.buf, spans: &self.spans[n.min(self.spans.len())..] }
    }

    /// The first `n` arguments (EVAL's keys before its other arguments).
    pub fn take(&self, n: usize) -> Args<'a> {
        Args { buf: self.buf, spans: &self.spans[..n.min(self.spans.len())] }
    }

    /// Whether argument `i` equals `word`, ignoring ASCII case.
    #[inline]
    pub fn is(&self, i: usize, word: &str) -> bool {
        i < self.len() && self.get(i).eq_ignore_ascii_case(word.as_bytes())
    }
}

impl std::ops::Index<usize> for Args<'_> {
    type Output = [u8];
    #[inline]
    fn index(&self, i: usize) -> &[u8] {
        self.get(i)
    }
}

/// Builds an owned argument vector into [`Args`] form (tests, MULTI queues, blocked clients).
#[derive(Default, Clone, Debug)]
pub struct OwnedArgs {
    pub buf: Vec<u8>,
    pub spans: Vec<(u32, u32)>,
}

impl OwnedArgs {
    pub fn from_slices<S: AsRef<[u8]>>(items: &[S]) -> OwnedArgs {
        let mut o = OwnedArgs::default();
        for it in items {
            o.push(it.as_ref());
        }
        o
    }
    pub fn push(&mut self, a: &[u8]) {
        let s = self.buf.len() as u32;
        self.buf.extend_from_slice(a);
        self.spans.push((s, self.buf.len() as u32));
    }
    pub fn args(&self) -> Args<'_> {
        Args::new(&self.buf, &self.spans)
    }
}
