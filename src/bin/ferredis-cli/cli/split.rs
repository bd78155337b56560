//! Redis's `sdssplitargs`: a command line split into arguments with "double quotes" (C escapes, `\xHH`) and
//! 'single quotes'. Used for interactive lines, `--quoted-input` and `--quoted-pattern`.
//! `None` means unbalanced quotes or a closing quote not followed by a space (redis-cli: "Invalid argument(s)").

pub use ferredis::util::split_args;

#[cfg(test)]
mod tests {
    use super::split_args;

    fn s(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|v| v.into_iter().map(|a| String::from_utf8_lossy(&a).into_owned()).collect())
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(s("set a  b"), Some(vec!["set".into(), "a".into(), "b".into()]));
        assert_eq!(s("set \"a b\\n\" 'c\\'d'"), Some(vec!["set".into(), "a b\n".into(), "c'd".into()]));
        assert_eq!(split_args(b"\"\\x41\\x4\""), Some(vec![b"Ax4".to_vec()]));
        assert_eq!(s("\"unterminated"), None);
        assert_eq!(s("\"a\"b"), None);
        assert_eq!(s("   "), Some(vec![]));
        assert_eq!(s("a\"b c\""), Some(vec!["ab c".into()]));
    }
}
