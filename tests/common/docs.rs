//! COMMAND DOCS replies in a form two servers' replies can be compared in: Redis lists commands and subcommands in
//! its dict's order, which changes from run to run, so maps (and RESP2's arrays that stand for maps) are sorted.

use super::Resp;

/// A COMMAND DOCS reply in comparable form: subcommand entries `known` rejects dropped; in RESP3 maps and sets
/// sorted, in RESP2 every array sorted (recursively).
pub fn canonical_docs(v: Resp, proto: u8, known: &dyn Fn(&Resp) -> bool) -> Resp {
    fn drop_unknown(pairs: Vec<(Resp, Resp)>, key_is_sub: bool, known: &dyn Fn(&Resp) -> bool) -> Vec<(Resp, Resp)> {
        pairs.into_iter().filter(|(k, _)| !key_is_sub || known(k)).collect()
    }
    fn pairs_of(v: Vec<Resp>) -> Vec<(Resp, Resp)> {
        let mut it = v.into_iter();
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            out.push((k, v));
        }
        out
    }
    // `subs`: the value is a subcommands map (keys are full subcommand names).
    fn walk(v: Resp, proto: u8, subs: bool, known: &dyn Fn(&Resp) -> bool) -> Resp {
        let is_subs_key = |k: &Resp| k.as_bytes() == Some(b"subcommands");
        match v {
            Resp::Map(pairs) => {
                let mut out: Vec<(Resp, Resp)> = drop_unknown(pairs, subs, known)
                    .into_iter()
                    .map(|(k, v)| {
                        let s = is_subs_key(&k);
                        (k, walk(v, proto, s, known))
                    })
                    .collect();
                out.sort();
                Resp::Map(out)
            }
            Resp::Set(mut items) => {
                items.sort();
                Resp::Set(items)
            }
            Resp::Array(items) if proto == 2 => {
                // Which arrays are maps is known only from context: a subcommands map's pairs are filtered, and
                // any array whose entries alternate `subcommands`-keyed values is walked as a map.
                let items: Vec<Resp> = if subs {
                    drop_unknown(pairs_of(items), true, known).into_iter().flat_map(|(k, v)| [k, v]).collect()
                } else {
                    items
                };
                let mut out = Vec::with_capacity(items.len());
                let mut next_subs = false;
                for e in items {
                    let s = next_subs;
                    next_subs = is_subs_key(&e);
                    out.push(walk(e, proto, s, known));
                }
                out.sort();
                Resp::Array(out)
            }
            Resp::Array(items) => Resp::Array(items.into_iter().map(|e| walk(e, proto, false, known)).collect()),
            other => other,
        }
    }
    walk(v, proto, false, known)
}
