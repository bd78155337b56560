//! [`Doc`]: a key's JSON value, kept either as a tree of [`Json`] nodes or as its compact text ("packed").
//!
//! A document that arrives whole (JSON.SET or JSON.MSET at the root, JSON.MERGE creating a key, an RDB file or a
//! DUMP payload) is usually already in the one form JSON.GET prints: no whitespace, numbers and strings written as
//! the writer writes them, no repeated keys. Such a text ([`packed::is_canonical`]) is kept as it is, in one block,
//! instead of being built into a tree:
//!
//! - it costs its length in memory (the tree of a 1 KB document of small objects costs about 2.5 times that);
//! - storing it is a scan and a copy (no nodes to allocate), replacing it one free (no tree to walk);
//! - JSON.GET of the root copies it, and JSON.GET of a path of keys and indexes finds its value in the text
//!   ([`packed::locate`]);
//! - saving it (RDB, DUMP, the AOF rewrite, which all hold the compact text) copies it.
//!
//! Any other command thaws the document first ([`Doc::tree_mut`]): the text is parsed into its tree, which the key
//! keeps from then on (the thaw changes how the document is kept, not what it is, so it is not a write: no
//! keyspace event, no `dirty`, nothing propagated). Reads that thaw reach the entry through the command layer's
//! `Ctx::lookup_reencode`.
//!
//! ```text
//!  Doc (16 bytes)
//!  +------------------------+        +-------------------+
//!  | Tree(Json)             |   or   | Packed ----------------> len u32 | cap u32 | {"compact":"text",...}
//!  +------------------------+        +-------------------+
//! ```

use super::{packed, parse_unlimited, thin_chunk, Json, ThinVec};
use std::borrow::Cow;
use std::fmt;

/// A key's JSON document (see the module header).
#[derive(Clone)]
pub enum Doc {
    Tree(Json),
    /// Canonical compact text ([`packed::is_canonical`] held when it was stored).
    Packed(ThinVec<u8>),
}

/// The key's value stays 16 bytes: the packed variant fits in the tree's spare tag values.
const _: () = assert!(std::mem::size_of::<Doc>() == 16);

impl Doc {
    /// The document of `text`, which the caller has checked with [`packed::is_canonical`].
    pub fn packed(text: &[u8]) -> Doc {
        let mut v = ThinVec::with_capacity(text.len());
        v.extend_from_slice(text);
        Doc::Packed(v)
    }

    /// The document of a whole text: kept as the text when it is canonical, else the tree `parse` makes of it
    /// (JSON.MSET's values with the command's limits, an RDB record or DUMP payload with none).
    pub fn from_text<E>(text: &[u8], parse: impl FnOnce(&[u8]) -> Result<Json, E>) -> Result<Doc, E> {
        if packed::is_canonical(text) {
            Ok(Doc::packed(text))
        } else {
            parse(text).map(Doc::Tree)
        }
    }

    /// [`Doc::from_text`] of a stored text (an RDB record, a DUMP payload), with no nesting limit: a file may hold
    /// what writes at deep paths built.
    pub fn from_stored_text(text: &[u8]) -> Result<Doc, String> {
        Doc::from_text(text, |t| {
            let s = std::str::from_utf8(t).map_err(|_| "not UTF-8".to_string())?;
            parse_unlimited(s).map_err(|e| e.0)
        })
    }

    /// The packed text, when the document is kept that way.
    pub fn text(&self) -> Option<&[u8]> {
        match self {
            Doc::Packed(t) => Some(t),
            Doc::Tree(_) => None,
        }
    }

    /// The tree, thawing a packed document into it first (see the module header).
    pub fn tree_mut(&mut self) -> &mut Json {
        if let Doc::Packed(t) = self {
            let tree = thaw(t);
            *self = Doc::Tree(tree);
        }
        match self {
            Doc::Tree(j) => j,
            // Just replaced by its tree.
            Doc::Packed(_) => unreachable!("a packed document was just thawed"),
        }
    }

    /// The compact text (JSON.GET's default form, what RDB files, DUMP and the AOF rewrite hold): a packed
    /// document's own bytes, a tree's printed.
    pub fn compact(&self) -> Cow<'_, [u8]> {
        match self {
            Doc::Tree(j) => Cow::Owned(j.to_text()),
            Doc::Packed(t) => Cow::Borrowed(t),
        }
    }

    /// The compact text, owned.
    pub fn to_text(&self) -> Vec<u8> {
        self.compact().into_owned()
    }

    /// Bytes the document holds on the heap, as the allocator charges them (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Doc::Tree(j) => j.heap_bytes(),
            Doc::Packed(t) => thin_chunk(t.capacity(), 1),
        }
    }

    /// Frees the document ([`Json::dispose`] for a tree).
    pub fn dispose(self) {
        if let Doc::Tree(j) = self {
            j.dispose();
        }
    }
}

/// The tree of a packed text. The text was canonical when stored, so it parses; were it ever not to, the
/// document would read as `null` rather than stop the server (debug builds stop).
fn thaw(text: &[u8]) -> Json {
    match std::str::from_utf8(text).map_err(|_| ()).and_then(|s| parse_unlimited(s).map_err(|_| ())) {
        Ok(j) => j,
        Err(()) => {
            debug_assert!(false, "a packed JSON document did not parse");
            Json::Null
        }
    }
}

/// Equal documents compare equal whichever way each is kept.
impl PartialEq for Doc {
    fn eq(&self, other: &Doc) -> bool {
        match (self, other) {
            (Doc::Tree(a), Doc::Tree(b)) => a == b,
            _ => self.to_text() == other.to_text(),
        }
    }
}

/// The compact text, whichever way the document is kept (DEBUG's value dumps compare documents by it).
impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Json({})", String::from_utf8_lossy(&self.to_text()))
    }
}
