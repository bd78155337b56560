//! The wire protocol: a resumable zero-copy request parser and reply encoders.
pub mod parse;
pub mod reply;
