//! [`ThinVec`]: a growable array behind one thin pointer, with its length and capacity at the head of the
//! elements' own allocation. The arrays and objects of JSON documents ([`crate::keyspace::types::json`]) use it: a node stays 16 bytes (a `Vec` is 24),
//! and a container costs one allocation (a boxed `Vec` costs two, and one more pointer to chase on every walk).
//!
//! ```text
//!  ThinVec (8 bytes)        one allocation
//!  +-----------------+      +---------+---------+-----------+-----------+-----+
//!  | ptr (or none) --|----->| len u32 | cap u32 | element 0 | element 1 | ... |
//!  +-----------------+      +---------+---------+-----------+-----------+-----+
//! ```
//!
//! An empty vector that never held anything has no allocation. The unsafe code is this file's: allocation,
//! reallocation and release of the block, and the element accesses (`as_slice`, `push`, `pop`, `truncate`);
//! everything else (insert, remove, retain, splice, drain) is built on those in safe code. Lengths and capacities
//! are `u32`: more than 2^32 elements would need more than 64 GiB for the smallest ones, and asking for it is
//! treated as the allocation failure it would be (`handle_alloc_error`), as `Vec` treats one.
//! Tested by the unit tests below (and, through the documents, by every JSON test).

use std::alloc::{self, Layout};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

#[repr(C)]
struct Header {
    len: u32,
    cap: u32,
}

/// A vector of `T` behind one thin pointer (see the module header).
pub struct ThinVec<T> {
    ptr: Option<NonNull<Header>>,
    _own: PhantomData<T>,
}

// SAFETY: a ThinVec owns its elements exactly as a `Vec<T>` does (no sharing, no interior mutability of its
// own), so it may move to or be shared with another thread whenever `T` may.
unsafe impl<T: Send> Send for ThinVec<T> {}
// SAFETY: as above; `&ThinVec<T>` gives out only `&T`.
unsafe impl<T: Sync> Sync for ThinVec<T> {}

impl<T> ThinVec<T> {
    pub const fn new() -> ThinVec<T> {
        ThinVec { ptr: None, _own: PhantomData }
    }

    /// An empty vector with room for exactly `n` elements.
    pub fn with_capacity(n: usize) -> ThinVec<T> {
        let mut v = ThinVec::new();
        if n > 0 {
            v.grow_to(n);
        }
        v
    }

    /// The block's layout for `cap` elements, and where the elements start in it.
    fn layout(cap: usize) -> Option<(Layout, usize)> {
        let (l, offset) = Layout::new::<Header>().extend(Layout::array::<T>(cap).ok()?).ok()?;
        Some((l.pad_to_align(), offset))
    }

    fn header(&self) -> Option<&Header> {
        // SAFETY: `ptr`, when set, points to a live block of ours whose header `grow_to` initialised.
        self.ptr.map(|p| unsafe { &*p.as_ptr() })
    }

    pub fn len(&self) -> usize {
        self.header().map_or(0, |h| h.len as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.header().map_or(0, |h| h.cap as usize)
    }

    /// The first element's address (dangling, but aligned, without a block).
    fn data(&self) -> *mut T {
        match self.ptr {
            None => NonNull::dangling().as_ptr(),
            Some(p) => {
                let offset = Self::layout(0).map_or(0, |(_, o)| o);
                // SAFETY: the elements start `offset` bytes into the block (the layout it was allocated with has
                // them there for any capacity), which is within the block.
                unsafe { p.as_ptr().cast::<u8>().add(offset).cast::<T>() }
            }
        }
    }

    fn set_len(&mut self, len: usize) {
        if let Some(p) = self.ptr {
            // SAFETY: a live block of ours; `len <= cap` is the callers' invariant (they only shrink, or grow by
            // one into reserved room after writing the element).
            unsafe { (*p.as_ptr()).len = len as u32 };
        }
    }

    /// Reallocates to room for exactly `cap` elements (at least the length).
    fn grow_to(&mut self, cap: usize) {
        let len = self.len();
        let cap = cap.max(len);
        let (new, _) = match Self::layout(cap) {
            Some(l) if cap <= u32::MAX as usize => l,
            _ => alloc::handle_alloc_error(Layout::new::<Header>()),
        };
        let raw = match self.ptr {
            // SAFETY: `new` has a non-zero size (it holds the header).
            None => unsafe { alloc::alloc(new) },
            Some(p) => {
                let old = Self::layout(self.capacity()).map_or(new, |(l, _)| l);
                // SAFETY: the block was allocated with `old` (its capacity's layout); `new.size()` is non-zero and
                // a valid layout's size for the same alignment.
                unsafe { alloc::realloc(p.as_ptr().cast(), old, new.size()) }
            }
        };
        let Some(p) = NonNull::new(raw.cast::<Header>()) else { alloc::handle_alloc_error(new) };
        // SAFETY: a live block of at least the header's size, aligned for it; the elements were moved with it.
        unsafe { p.as_ptr().write(Header { len: len as u32, cap: cap as u32 }) };
        self.ptr = Some(p);
    }

    /// Room for `additional` more elements, growing by doubling.
    pub fn reserve(&mut self, additional: usize) {
        let need = self.len().saturating_add(additional);
        if need > self.capacity() {
            self.grow_to(need.max(self.capacity() * 2).max(4));
        }
    }

    pub fn push(&mut self, v: T) {
        self.reserve(1);
        let len = self.len();
        // SAFETY: `reserve` made room: slot `len` is within the block's capacity and holds no element.
        unsafe { self.data().add(len).write(v) };
        self.set_len(len + 1);
    }

    pub fn pop(&mut self) -> Option<T> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        self.set_len(len - 1);
        // SAFETY: slot `len - 1` held an initialised element, now outside the length: read out exactly once.
        Some(unsafe { self.data().add(len - 1).read() })
    }

    /// Keeps the first `n` elements (drops the rest).
    pub fn truncate(&mut self, n: usize) {
        let len = self.len();
        if n >= len {
            return;
        }
        self.set_len(n);
        // SAFETY: slots `n..len` held initialised elements, now outside the length: dropped exactly once.
        unsafe { std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(self.data().add(n), len - n)) };
    }

    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Inserts `v` at `at` (at most the length), shifting the rest up.
    pub fn insert(&mut self, at: usize, v: T) {
        let before = self.len();
        self.push(v);
        if at <= before {
            self[at..].rotate_right(1);
        }
    }

    /// Inserts `items` at `at` (at most the length), in order.
    pub fn insert_many(&mut self, at: usize, items: impl IntoIterator<Item = T>) {
        let before = self.len();
        self.extend(items);
        let added = self.len() - before;
        if at <= before {
            self[at..].rotate_right(added);
        }
    }

    /// Removes and returns the element at `i`, shifting the rest down (`None` past the end).
    pub fn remove(&mut self, i: usize) -> Option<T> {
        if i >= self.len() {
            return None;
        }
        self[i..].rotate_left(1);
        self.pop()
    }

    /// Removes the element at `i`, putting the last one in its place (`None` past the end).
    pub fn swap_remove(&mut self, i: usize) -> Option<T> {
        let last = self.len().checked_sub(1)?;
        if i > last {
            return None;
        }
        self.swap(i, last);
        self.pop()
    }

    /// Keeps the elements for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut kept = 0;
        for i in 0..self.len() {
            if keep(&self[i]) {
                self.swap(kept, i);
                kept += 1;
            }
        }
        self.truncate(kept);
    }

    /// Removes the first `n` elements (all of them when `n` is past the end).
    pub fn remove_front(&mut self, n: usize) {
        let n = n.min(self.len());
        self.rotate_left(n);
        let keep = self.len() - n;
        self.truncate(keep);
    }
}

impl<T: Copy> ThinVec<T> {
    /// Appends a copy of `items` (one copy of the whole run).
    pub fn extend_from_slice(&mut self, items: &[T]) {
        self.reserve(items.len());
        let len = self.len();
        // SAFETY: `reserve` made room for `items.len()` more elements after `len`; `T: Copy`, so a bitwise copy is
        // a valid one; `items` cannot be this vector's own storage (that would need `&self` while `&mut self` is
        // held), so the ranges do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(items.as_ptr(), self.data().add(len), items.len()) };
        self.set_len(len + items.len());
    }
}

impl<T> Drop for ThinVec<T> {
    fn drop(&mut self) {
        self.clear();
        if let Some(p) = self.ptr.take() {
            if let Some((l, _)) = Self::layout(self_cap(p)) {
                // SAFETY: the block was allocated with its capacity's layout and is released once (`ptr` is
                // taken); its elements were dropped just above.
                unsafe { alloc::dealloc(p.as_ptr().cast(), l) };
            }
        }
    }
}

/// The capacity recorded in a block's header.
fn self_cap(p: NonNull<Header>) -> usize {
    // SAFETY: called on a live block of ours, before it is released.
    unsafe { (*p.as_ptr()).cap as usize }
}

impl<T> Deref for ThinVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `data()` is aligned and non-null, and the first `len` slots hold initialised elements owned by
        // this vector, borrowed as long as it is.
        unsafe { std::slice::from_raw_parts(self.data(), self.len()) }
    }
}

impl<T> DerefMut for ThinVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, borrowed mutably and exclusively through `&mut self`.
        unsafe { std::slice::from_raw_parts_mut(self.data(), self.len()) }
    }
}

impl<T> Default for ThinVec<T> {
    fn default() -> ThinVec<T> {
        ThinVec::new()
    }
}

impl<T: Clone> Clone for ThinVec<T> {
    fn clone(&self) -> ThinVec<T> {
        let mut v = ThinVec::with_capacity(self.len());
        for x in self.iter() {
            v.push(x.clone());
        }
        v
    }
}

impl<T: fmt::Debug> fmt::Debug for ThinVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: PartialEq> PartialEq for ThinVec<T> {
    fn eq(&self, other: &ThinVec<T>) -> bool {
        **self == **other
    }
}

impl<T> Extend<T> for ThinVec<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        let items = items.into_iter();
        self.reserve(items.size_hint().0);
        for x in items {
            self.push(x);
        }
    }
}

impl<T> FromIterator<T> for ThinVec<T> {
    /// Exactly the capacity of the iterator's lower bound when it is exact ([`Vec::drain`], `map` over a slice).
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> ThinVec<T> {
        let items = items.into_iter();
        let mut v = ThinVec::with_capacity(items.size_hint().0);
        for x in items {
            v.push(x);
        }
        v
    }
}

impl<T> From<Vec<T>> for ThinVec<T> {
    fn from(v: Vec<T>) -> ThinVec<T> {
        v.into_iter().collect()
    }
}

impl<T> From<ThinVec<T>> for Vec<T> {
    fn from(mut v: ThinVec<T>) -> Vec<T> {
        let mut out = Vec::with_capacity(v.len());
        while let Some(x) = v.pop() {
            out.push(x);
        }
        out.reverse();
        out
    }
}

impl<'a, T> IntoIterator for &'a ThinVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut ThinVec<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T> IntoIterator for ThinVec<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        Vec::from(self).into_iter()
    }
}

/// A string behind one thin pointer: its bytes in a [`ThinVec<u8>`] of exactly their length, always UTF-8 (the
/// only constructor takes a `&str`), so it reads back as `&str` without a check.
#[derive(Clone, PartialEq)]
pub struct ThinStr(ThinVec<u8>);

impl ThinStr {
    pub fn new(s: &str) -> ThinStr {
        let mut v = ThinVec::with_capacity(s.len());
        v.extend_from_slice(s.as_bytes());
        ThinStr(v)
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: the bytes are a copy of a `&str`'s (`new`), never changed since, so UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The block's capacity in bytes (its length, as built).
    pub fn capacity(&self) -> usize {
        self.0.capacity()
    }
}

impl fmt::Debug for ThinStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn one_pointer_and_one_block() {
        assert_eq!(std::mem::size_of::<ThinVec<u64>>(), 8);
        let v: ThinVec<u64> = (0..5).collect();
        assert_eq!(v.capacity(), 5, "exact from an exact iterator");
        assert_eq!(ThinVec::<(u8, u64)>::layout(3).map(|(l, o)| (l.size(), o)), Some((8 + 3 * 16, 8)));
    }

    #[test]
    fn behaves_as_vec() {
        let mut v: ThinVec<String> = ThinVec::new();
        let mut w: Vec<String> = Vec::new();
        assert!(v.is_empty() && v.pop().is_none() && v.remove(0).is_none() && v.swap_remove(0).is_none());
        for i in 0..50 {
            v.push(i.to_string());
            w.push(i.to_string());
        }
        v.insert(3, "x".into());
        w.insert(3, "x".into());
        v.insert(v.len(), "end".into());
        w.push("end".into());
        v.insert_many(5, ["p".to_string(), "q".to_string()]);
        w.splice(5..5, ["p".to_string(), "q".to_string()]);
        assert_eq!(v.remove(7), Some(w.remove(7)));
        assert_eq!(v.swap_remove(2), Some(w.swap_remove(2)));
        v.retain(|s| !s.ends_with('1'));
        w.retain(|s| !s.ends_with('1'));
        v.remove_front(4);
        w.drain(..4);
        v.truncate(30);
        w.truncate(30);
        assert_eq!(&*v, &w[..]);
        let c = v.clone();
        assert_eq!(c, v);
        assert_eq!(Vec::from(c), w);
        assert_eq!(v.into_iter().collect::<Vec<_>>(), w);
        let mut e: ThinVec<u8> = ThinVec::new();
        e.remove_front(3);
        e.insert_many(0, []);
        assert!(e.is_empty());
    }

    #[test]
    fn thin_strings_read_back() {
        for s in ["", "a", "ünïcödé", &"x".repeat(1000)] {
            let t = ThinStr::new(s);
            assert_eq!((t.as_str(), t.as_bytes(), t.capacity()), (s, s.as_bytes(), s.len()));
            assert_eq!(t.clone(), t);
        }
    }

    #[test]
    fn drops_every_element_once() {
        let token = Rc::new(());
        let mut v: ThinVec<Rc<()>> = ThinVec::new();
        for _ in 0..100 {
            v.push(token.clone());
        }
        v.truncate(60);
        v.retain({
            let mut n = 0;
            move |_| {
                n += 1;
                n % 2 == 0
            }
        });
        assert_eq!(Rc::strong_count(&token), 31);
        let c = v.clone();
        drop(v);
        assert_eq!(Rc::strong_count(&token), 31);
        drop(c);
        assert_eq!(Rc::strong_count(&token), 1);
    }
}
