//! The manager's operations on its node table (redis-cli's `clusterManager*` functions): loading the table from
//! the nodes, checking and fixing slot coverage and open slots, moving slots with their keys, the create plan's
//! pieces and the shared prompts. The `--cluster` subcommands (`commands.rs`) are built from these.

use super::*;

impl Mgr {
    pub(super) fn flag(&self, f: u32) -> bool {
        self.o.flags & f != 0
    }

    pub(super) fn by_name(&self, name: &str) -> Option<usize> {
        let lc = name.to_ascii_lowercase();
        self.nodes.iter().position(|n| n.name.as_deref() == Some(lc.as_str()))
    }

    pub(super) fn by_abbrev(&self, name: &str) -> Option<usize> {
        let lc = name.to_ascii_lowercase();
        self.nodes.iter().position(|n| n.name.as_deref().is_some_and(|x| x.starts_with(&lc)))
    }

    pub(super) fn on_error(&mut self, e: String) {
        err(&format!("{e}\n"));
        self.errors.push(e);
    }

    /// `clusterManagerLoadInfoFromNode`: the node, then each friend it knows that answers and is not failing.
    pub(super) fn load_from(&mut self, mut node: Node) -> bool {
        if node.conn.is_none() && !node.connect(&self.auth) {
            return false;
        }
        match node.is_cluster() {
            Ok(true) => {}
            Ok(false) => {
                not_cluster_error(&node, None);
                return false;
            }
            Err(e) => {
                not_cluster_error(&node, e.as_deref());
                return false;
            }
        }
        if let Err(e) = node.load_info(true) {
            if let Some(e) = e {
                node.print_error(&e);
            }
            return false;
        }
        let friends = std::mem::take(&mut node.friends);
        self.nodes = vec![node];
        for mut f in friends {
            let valid = !f.ip.is_empty() && f.port != 0 && f.connect(&self.auth) && {
                if f.load_info(false).is_ok() {
                    f.flags & (N_NOADDR | N_DISCONNECT | N_FAIL) == 0
                } else {
                    err(&format!("[ERR] Unable to load info for node {}:{}\n", f.ip, f.port));
                    false
                }
            };
            if valid {
                self.nodes.push(f);
            } else if !f.is_slave() {
                self.unreachable_masters += 1;
            }
        }
        for i in 0..self.nodes.len() {
            if let Some(m) = self.nodes[i].replicate.clone() {
                match self.by_name(&m) {
                    Some(mi) => self.nodes[mi].replicas_count += 1,
                    None => {
                        let n = &self.nodes[i];
                        warn(&format!("*** WARNING: {}:{} claims to be slave of unknown node ID {m}.\n", n.ip, n.port));
                    }
                }
            }
        }
        true
    }

    pub(super) fn show_nodes(&self) {
        for n in &self.nodes {
            say(&format!("{}\n", n.describe(0)));
        }
    }

    /// `clusterManagerShowClusterInfo`.
    pub(super) fn show_cluster_info(&mut self) {
        let (mut masters, mut keys) = (0, 0i64);
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_slave() || self.nodes[i].name.is_none() {
                continue;
            }
            let name = self.nodes[i].name().to_string();
            let replicas = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(j, n)| *j != i && n.is_slave() && n.replicate.as_deref() == Some(name.as_str()))
                .count();
            let n = &mut self.nodes[i];
            let dbsize = match n.cmd(&["DBSIZE"]) {
                Some(Reply::Integer(v)) if v >= 0 => v as i32,
                r => {
                    let e = match &r {
                        Some(Reply::Error(e)) => err_text(e),
                        _ => String::new(),
                    };
                    n.print_error(&e);
                    return;
                }
            };
            let short: String = name.chars().take(8).collect();
            say(&format!(
                "{}:{} ({short}...) -> {dbsize} keys | {} slots | {replicas} slaves.\n",
                n.ip, n.port, n.slots_count
            ));
            masters += 1;
            keys += dbsize as i64;
        }
        ok(&format!("[OK] {keys} keys in {masters} masters.\n"));
        say(&format!("{:.2} keys per slot on average.\n", keys as i32 as f32 / SLOTS as f32));
    }

    /// `clusterManagerGetConfigSignature`: `id:slots,...|id:slots,...` of the nodes that own slots.
    pub(super) fn signature(&mut self, i: usize) -> Option<String> {
        let r = self.nodes[i].cmd(&["CLUSTER", "NODES"])?;
        if r.is_error() {
            return None;
        }
        let all = text(&r);
        let mut configs: Vec<String> = Vec::new();
        let mut rest = all.as_str();
        while let Some(nl) = rest.find('\n') {
            let line = &rest[..nl];
            rest = &rest[nl + 1..];
            let parts: Vec<&str> = line.splitn(9, ' ').collect();
            if parts.len() < 9 {
                continue;
            }
            let mut slots: Vec<&str> = parts[8].split(' ').filter(|s| !s.is_empty() && !s.starts_with('[')).collect();
            if parts[8].is_empty() || slots.is_empty() {
                continue;
            }
            slots.sort_unstable();
            configs.push(format!("{}:{}", parts[0], slots.join(",")));
        }
        if configs.is_empty() {
            return None;
        }
        configs.sort_unstable();
        Some(configs.join("|"))
    }

    pub(super) fn consistent(&mut self) -> bool {
        if self.nodes.len() <= 1 {
            return true;
        }
        let mut first: Option<String> = None;
        for i in 0..self.nodes.len() {
            let Some(cfg) = self.signature(i) else { return false };
            match &first {
                None => first = Some(cfg),
                Some(f) if *f != cfg => return false,
                _ => {}
            }
        }
        true
    }

    /// `clusterManagerGetLinkStatus`: unreachable address -> the nodes that cannot reach it.
    pub(super) fn link_status(&mut self) -> Vec<(String, Vec<String>)> {
        let mut status: Vec<(String, Vec<String>)> = Vec::new();
        for i in 0..self.nodes.len() {
            let Ok(r) = check(self.nodes[i].cmd(&["CLUSTER", "NODES"])) else { continue };
            let me = format!("{}:{}", self.nodes[i].ip, self.nodes[i].port);
            for line in text(&r).split('\n') {
                let parts: Vec<&str> = line.split(' ').collect();
                if parts.len() < 8 || parts[2].contains("myself") {
                    continue;
                }
                let disconnected = parts[2].contains("disconnected") || parts[7].contains("disconnected");
                if disconnected || parts[2].contains("handshake") {
                    match status.iter_mut().find(|(a, _)| a == parts[1]) {
                        Some((_, from)) => from.push(me.clone()),
                        None => status.push((parts[1].to_string(), vec![me.clone()])),
                    }
                }
            }
        }
        status
    }

    /// `clusterManagerWaitForClusterJoin`.
    pub(super) fn wait_join(&mut self) {
        say("Waiting for the cluster to join\n");
        let check_after = 20 + (self.nodes.len() as f32 * 0.15) as i32;
        let mut counter = 0;
        while !self.consistent() {
            say(".");
            std::thread::sleep(std::time::Duration::from_secs(1));
            counter += 1;
            if counter > check_after {
                let status = self.link_status();
                if !status.is_empty() {
                    say("\n");
                    err(&format!("Warning: {} node(s) may be unreachable\n", status.len()));
                    for (addr, from) in status {
                        match parse_addr(&addr) {
                            Some((ip, _, bus)) if bus != 0 => {
                                err(&format!(" - The port {bus} of node {ip} may be unreachable from:\n"))
                            }
                            _ => err(&format!(" - Node {addr} may be unreachable from:\n")),
                        }
                        for f in from {
                            err(&format!("   {f}\n"));
                        }
                        err("Cluster bus ports must be reachable by every node.\nRemember that cluster bus ports are different from standard instance ports.\n");
                    }
                }
                counter = 0;
            }
        }
        say("\n");
    }

    pub(super) fn covered_slots(&self, all: &mut [bool]) -> usize {
        let mut tot = 0;
        for n in &self.nodes {
            for (s, c) in all.iter_mut().enumerate() {
                if n.slots[s] && !*c {
                    *c = true;
                    tot += 1;
                }
            }
        }
        tot
    }

    /// `clusterManagerCheckCluster`.
    pub(super) fn check_cluster(&mut self, quiet: bool) -> bool {
        let Some(first) = self.nodes.first() else { return false };
        info(&format!(">>> Performing Cluster Check (using node {}:{})\n", first.ip, first.port));
        let do_fix = self.flag(F_FIX);
        let mut result = true;
        if !quiet {
            self.show_nodes();
        }
        if !self.consistent() {
            self.on_error("[ERR] Nodes don't agree about configuration!".into());
            result = false;
        } else {
            ok("[OK] All nodes agree about slots configuration.\n");
        }
        info(">>> Check for open slots...\n");
        let mut open: Vec<String> = Vec::new();
        let mut errs = Vec::new();
        for n in &self.nodes {
            for (what, list) in [("migrating", &n.migrating), ("importing", &n.importing)] {
                if list.is_empty() {
                    continue;
                }
                let slots: Vec<&str> = list.iter().map(|(s, _)| s.as_str()).collect();
                for s in &slots {
                    if !open.iter().any(|o| o == s) {
                        open.push(s.to_string());
                    }
                }
                errs.push(format!("[WARNING] Node {}:{} has slots in {what} state {}.", n.ip, n.port, slots.join(",")));
            }
        }
        for e in errs {
            self.on_error(e);
        }
        if !open.is_empty() {
            result = false;
            err(&format!("[WARNING] The following slots are open: {}.\n", open.join(",")));
            if do_fix {
                for s in &open {
                    result = self.fix_open_slot(atoi(s) as usize);
                    if !result {
                        break;
                    }
                }
            }
        }
        info(">>> Check slots coverage...\n");
        let mut all = vec![false; SLOTS];
        if self.covered_slots(&mut all) == SLOTS {
            ok(&format!("[OK] All {SLOTS} slots covered.\n"));
        } else {
            self.on_error(format!("[ERR] Not all {SLOTS} slots are covered by nodes.\n"));
            result = false;
            if do_fix && self.fix_coverage(&all) > 0 {
                result = true;
            }
        }
        if self.flag(F_CHECK_OWNERS) {
            info(">>> Check for multiple slot owners...\n");
            let mut multi = 0;
            for slot in 0..SLOTS {
                let mut owners = Vec::new();
                for i in 0..self.nodes.len() {
                    if self.nodes[i].is_slave() {
                        continue;
                    }
                    if self.nodes[i].slots[slot] || self.count_keys(i, slot) > 0 {
                        owners.push(i);
                    }
                }
                if owners.len() > 1 {
                    result = false;
                    err(&format!("[WARNING] Slot {slot} has {} owners:\n", owners.len()));
                    for &o in &owners {
                        err(&format!("    {}:{}\n", self.nodes[o].ip, self.nodes[o].port));
                    }
                    multi += 1;
                    if do_fix {
                        result = self.fix_multiple_owners(slot, &owners);
                        if !result {
                            err(&format!("Failed to fix multiple owners for slot {slot}\n"));
                            break;
                        }
                        multi -= 1;
                    }
                }
            }
            if multi == 0 {
                ok("[OK] No multiple owners found.\n");
            }
        }
        result
    }

    // ---- slot primitives -------------------------------------------------------------------------

    pub(super) fn simple(&mut self, i: usize, args: &[&str]) -> bool {
        match check(self.nodes[i].cmd(args)) {
            Ok(_) => true,
            Err(e) => {
                if let Some(e) = e {
                    self.nodes[i].print_error(&e);
                }
                false
            }
        }
    }

    pub(super) fn count_keys(&mut self, i: usize, slot: usize) -> i64 {
        match check(self.nodes[i].cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()])) {
            Ok(Reply::Integer(v)) => v,
            Ok(_) => -1,
            Err(e) => {
                if let Some(e) = e {
                    self.nodes[i].print_error(&e);
                }
                -1
            }
        }
    }

    /// `CLUSTER SETSLOT slot status <id of target>`: Err(None) when the command could not run.
    pub(super) fn set_slot(
        &mut self,
        i: usize,
        target: usize,
        slot: usize,
        status: &str,
    ) -> Result<(), Option<String>> {
        let id = self.nodes[target].name().to_string();
        check(self.nodes[i].cmd(&["CLUSTER", "SETSLOT", &slot.to_string(), status, &id])).map(|_| ())
    }

    /// `set_slot` that prints a reply error (redis-cli's calls without an error out-parameter).
    pub(super) fn set_slot_p(&mut self, i: usize, target: usize, slot: usize, status: &str) -> bool {
        match self.set_slot(i, target, slot, status) {
            Ok(()) => true,
            Err(e) => {
                if let Some(e) = e {
                    self.nodes[i].print_error(&e);
                }
                false
            }
        }
    }

    pub(super) fn clear_slot(&mut self, i: usize, slot: usize) -> bool {
        self.simple(i, &["CLUSTER", "SETSLOT", &slot.to_string(), "STABLE"])
    }

    /// `clusterManagerGetSlotOwner`: the owner of `slot` in node `i`'s CLUSTER SLOTS.
    pub(super) fn slot_owner(&mut self, i: usize, slot: usize) -> Result<Option<usize>, String> {
        let r = match check(self.nodes[i].cmd(&["CLUSTER", "SLOTS"])) {
            Ok(r) => r,
            Err(e) => return e.map_or(Ok(None), Err),
        };
        let Reply::Array(ranges) = r else { return Ok(None) };
        for range in ranges {
            let Reply::Array(el) = range else { continue };
            let (Some(Reply::Integer(from)), Some(Reply::Integer(to)), Some(Reply::Array(nr))) =
                (el.first(), el.get(1), el.get(2))
            else {
                continue;
            };
            if (slot as i64) < *from || (slot as i64) > *to {
                continue;
            }
            let owner = match nr.get(2) {
                Some(id) => self.by_name(&text(id)),
                None => {
                    let ip = nr.first().map(text).unwrap_or_default();
                    let port = match nr.get(1) {
                        Some(Reply::Integer(p)) => *p as i32,
                        _ => 0,
                    };
                    self.nodes.iter().position(|n| n.ip == ip && n.port == port)
                }
            };
            if owner.is_some() {
                return Ok(owner);
            }
        }
        Ok(None)
    }

    /// `clusterManagerDelSlot`: an "unassigned" error is fine when `ignore_unassigned`.
    pub(super) fn del_slot(&mut self, i: usize, slot: usize, ignore_unassigned: bool) -> bool {
        let r = check(self.nodes[i].cmd(&["CLUSTER", "DELSLOTS", &slot.to_string()]));
        let mut success = r.is_ok();
        if let Err(Some(e)) = &r {
            if ignore_unassigned {
                match self.slot_owner(i, slot) {
                    Ok(None) => success = true,
                    Ok(Some(_)) => {}
                    Err(oe) => self.nodes[i].print_error(&oe),
                }
            }
            if !success {
                self.nodes[i].print_error(e);
            }
        }
        success
    }

    /// `clusterManagerSetSlotOwner`: in one MULTI, DELSLOTS (ignoring "unassigned"), ADDSLOTS, optionally
    /// SETSLOT STABLE, and BUMPEPOCH; only the ADDSLOTS error counts.
    pub(super) fn set_slot_owner(&mut self, i: usize, slot: usize, do_clear: bool) -> bool {
        if !self.simple(i, &["MULTI"]) {
            return false;
        }
        let s = slot.to_string();
        self.del_slot(i, slot, true);
        self.simple(i, &["CLUSTER", "ADDSLOTS", &s]);
        if do_clear {
            self.clear_slot(i, slot);
        }
        self.simple(i, &["CLUSTER", "BUMPEPOCH"]);
        let r = match check(self.nodes[i].cmd(&["EXEC"])) {
            Ok(r) => r,
            Err(e) => {
                if let Some(e) = e {
                    self.nodes[i].print_error(&e);
                }
                return false;
            }
        };
        let Reply::Array(items) = r else { return false };
        for (k, item) in items.iter().enumerate() {
            if let Reply::Error(e) = item {
                if k == 1 {
                    self.nodes[i].print_error(&err_text(e));
                    return false;
                }
            }
        }
        true
    }

    /// `clusterManagerCompareKeysValues`: keys whose DEBUG DIGEST-VALUE differs on the two nodes.
    pub(super) fn compare_values(&mut self, a: usize, b: usize, keys: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
        let mut args: Vec<&[u8]> = vec![b"DEBUG", b"DIGEST-VALUE"];
        args.extend(keys.iter().map(|k| k.as_slice()));
        let r1 = self.nodes[a].cmd(&args)?;
        let r2 = self.nodes[b].cmd(&args)?;
        let mut good = true;
        for (n, r) in [(a, &r1), (b, &r2)] {
            if let Reply::Error(e) = r {
                self.nodes[n].print_error(&err_text(e));
                good = false;
            }
        }
        if !good {
            return None;
        }
        let (Reply::Array(h1), Reply::Array(h2)) = (r1, r2) else { return None };
        let zero = "0".repeat(40);
        let mut diffs = Vec::new();
        for (k, key) in keys.iter().enumerate() {
            let (x, y) = (h1.get(k).map(text).unwrap_or_default(), h2.get(k).map(text).unwrap_or_default());
            if x == zero || y == zero {
                continue;
            }
            if x != y {
                diffs.push(key.clone());
            }
        }
        Some(diffs)
    }

    /// How many databases node `i` serves: Valkey 9's `cluster-databases` where the node has it, else 1
    /// (Redis 7.0's cluster mode, database 0 alone).
    pub(super) fn databases(&mut self, i: usize) -> usize {
        match self.nodes[i].cmd(&["CONFIG", "GET", "cluster-databases"]) {
            Some(Reply::Array(kv)) => kv
                .get(1)
                .and_then(|v| v.bytes())
                .and_then(|b| std::str::from_utf8(b).ok()?.parse::<usize>().ok())
                .unwrap_or(1)
                .max(1),
            _ => 1,
        }
    }

    /// SELECT `db` on node `i`; false (the error printed) when the node refuses it.
    fn select(&mut self, i: usize, db: usize) -> bool {
        match self.nodes[i].cmd(&["SELECT", &db.to_string()]) {
            Some(Reply::Error(e)) => {
                self.nodes[i].print_error(&err_text(&e));
                false
            }
            Some(_) => true,
            None => false,
        }
    }

    /// MIGRATE of the given keys from `src` (its selected database) to database `db` of `dst`
    /// (`clusterManagerMigrateKeysInReply`).
    pub(super) fn migrate_keys(
        &mut self,
        src: usize,
        dst: usize,
        keys: &[Vec<u8>],
        replace: bool,
        db: usize,
    ) -> Option<Reply> {
        let (ip, port) = (self.nodes[dst].ip.clone(), self.nodes[dst].port.to_string());
        let timeout = self.o.timeout.to_string();
        let db = db.to_string().into_bytes();
        let mut args: Vec<Vec<u8>> =
            vec![b"MIGRATE".to_vec(), ip.into_bytes(), port.into_bytes(), vec![], db, timeout.into_bytes()];
        if replace {
            args.push(b"REPLACE".to_vec());
        }
        if let Some(pass) = &self.auth.pass {
            match &self.auth.user {
                Some(u) => args.extend([b"AUTH2".to_vec(), u.clone(), pass.clone()]),
                None => args.extend([b"AUTH".to_vec(), pass.clone()]),
            }
        }
        args.push(b"KEYS".to_vec());
        args.extend(keys.iter().cloned());
        self.nodes[src].cmd(&args)
    }

    /// `clusterManagerMigrateKeysInSlot`: the slot's keys of every database `src` serves (one, or Valkey 9's
    /// `cluster-databases`, each SELECTed in turn and MIGRATEd into the same database of `dst`, as valkey-cli 9
    /// does), database 0 selected again at the end.
    pub(super) fn migrate_slot_keys(
        &mut self,
        src: usize,
        dst: usize,
        slot: usize,
        opts: u8,
    ) -> Result<(), Option<String>> {
        let dbs = self.databases(src);
        if dbs == 1 {
            return self.migrate_db_slot_keys(src, dst, slot, opts, 0);
        }
        let mut res = Ok(());
        for db in 0..dbs {
            if !self.select(src, db) || !self.select(dst, db) {
                res = Err(None);
                break;
            }
            res = self.migrate_db_slot_keys(src, dst, slot, opts, db);
            if res.is_err() {
                break;
            }
        }
        let _ = (self.select(src, 0), self.select(dst, 0));
        res
    }

    /// One database's part of [`Self::migrate_slot_keys`] (its selected database on both nodes): GETKEYSINSLOT +
    /// MIGRATE in batches of `--cluster-pipeline` until the slot is empty on `src`; a BUSYKEY is replaced when the
    /// values match (or with --cluster-replace).
    fn migrate_db_slot_keys(
        &mut self,
        src: usize,
        dst: usize,
        slot: usize,
        opts: u8,
        db: usize,
    ) -> Result<(), Option<String>> {
        let verbose = opts & O_VERBOSE != 0;
        let do_fix = self.flag(F_FIX);
        let do_replace = self.flag(F_REPLACE);
        let (s, pipeline) = (slot.to_string(), self.o.pipeline.to_string());
        loop {
            let Some(reply) = self.nodes[src].cmd(&["CLUSTER", "GETKEYSINSLOT", &s, &pipeline]) else {
                return Err(None);
            };
            let keys: Vec<Vec<u8>> = match reply {
                Reply::Error(e) => {
                    let e = err_text(&e);
                    if opts & O_PRINT == 0 {
                        self.nodes[src].print_error(&e);
                    }
                    return Err(Some(e));
                }
                Reply::Array(items) => items.into_iter().filter_map(|k| k.bytes().map(|b| b.to_vec())).collect(),
                _ => Vec::new(),
            };
            if keys.is_empty() {
                return Ok(());
            }
            let Some(mut mr) = self.migrate_keys(src, dst, &keys, false, db) else { return Err(None) };
            if let Reply::Error(e) = &mr {
                let e = err_text(e);
                let is_busy = e.contains("BUSYKEY");
                let mut not_served = false;
                if !is_busy {
                    match self.slot_owner(src, slot) {
                        Ok(None) => not_served = true,
                        Ok(Some(_)) => {}
                        Err(oe) => self.nodes[src].print_error(&oe),
                    }
                }
                if !(is_busy || not_served) {
                    say("\n");
                    self.nodes[src].print_error(&e);
                    return Err(Some(e));
                }
                if do_fix && not_served {
                    let t = &self.nodes[dst];
                    warn(&format!("*** Slot was not served, setting owner to node {}:{}.\n", t.ip, t.port));
                    let _ = self.set_slot_p(src, dst, slot, "node");
                }
                if is_busy {
                    warn("\n*** Target key exists\n");
                    if !do_replace {
                        warn("*** Checking key values on both nodes...\n");
                        let Some(diffs) = self.compare_values(src, dst, &keys) else {
                            err("*** Value check failed!\n");
                            return Err(None);
                        };
                        if !diffs.is_empty() {
                            let (a, b) = (&self.nodes[src], &self.nodes[dst]);
                            let mut m = format!(
                                "*** Found {} key(s) in both source node and target node having different values.\n    Source node: {}:{}\n    Target node: {}:{}\n    Keys(s):\n",
                                diffs.len(), a.ip, a.port, b.ip, b.port
                            );
                            for k in &diffs {
                                m.push_str(&format!("    - {}\n", String::from_utf8_lossy(k)));
                            }
                            err(&m);
                            err("Please fix the above key(s) manually and try again or relaunch the command \nwith --cluster-replace option to force key overriding.\n");
                            return Err(None);
                        }
                    }
                    warn("*** Replacing target keys...\n");
                }
                match self.migrate_keys(src, dst, &keys, is_busy, db) {
                    Some(Reply::Error(e2)) => {
                        let e2 = err_text(&e2);
                        say("\n");
                        self.nodes[src].print_error(&e2);
                        return Err(Some(e2));
                    }
                    Some(r) => mr = r,
                    None => return Err(None),
                }
            }
            drop(mr);
            if verbose {
                say(&".".repeat(keys.len()));
            }
        }
    }

    /// `clusterManagerMoveSlot`: IMPORTING on the target, MIGRATING on the source, the keys, then SETSLOT
    /// NODE on the target, the source and every other master.
    pub(super) fn move_slot(&mut self, src: usize, dst: usize, slot: usize, opts: u8) -> Result<(), Option<String>> {
        if opts & O_QUIET == 0 {
            let (a, b) = (&self.nodes[src], &self.nodes[dst]);
            say(&format!("Moving slot {slot} from {}:{} to {}:{}: ", a.ip, a.port, b.ip, b.port));
        }
        let cold = opts & O_COLD != 0;
        let print = opts & O_PRINT != 0;
        let failed = |m: &Mgr, at: usize, e: Option<String>| {
            if let (true, Some(e)) = (print, &e) {
                m.nodes[at].print_error(e);
            }
            Err(Some(e.unwrap_or_else(|| "CLUSTER SETSLOT failed to run".into())))
        };
        if !cold {
            if let Err(e) = self.set_slot(dst, src, slot, "importing") {
                return failed(self, dst, e);
            }
            if let Err(e) = self.set_slot(src, dst, slot, "migrating") {
                return failed(self, src, e);
            }
        }
        let r = self.migrate_slot_keys(src, dst, slot, opts);
        if opts & O_QUIET == 0 {
            say("\n");
        }
        r?;
        if !cold {
            if let Err(e) = self.set_slot(dst, dst, slot, "node") {
                return failed(self, dst, e);
            }
            // A source that just lost its last slot may already be a replica of the target: not an error.
            // (redis-cli without an error out-parameter prints the error and goes on.)
            match self.set_slot(src, dst, slot, "node") {
                Err(Some(e)) if print => self.nodes[src].print_error(&e),
                Err(Some(e)) if !e.starts_with("ERR Please use SETSLOT only with masters.") => return Err(Some(e)),
                Err(None) if !print => return failed(self, src, None),
                _ => {}
            }
            for i in 0..self.nodes.len() {
                if i == src || i == dst || self.nodes[i].is_slave() {
                    continue;
                }
                if let Err(e) = self.set_slot(i, dst, slot, "node") {
                    return failed(self, i, e);
                }
            }
        }
        if opts & O_UPDATE != 0 {
            self.nodes[src].slots[slot] = false;
            self.nodes[dst].slots[slot] = true;
        }
        Ok(())
    }

    /// `move_slot` as the fix paths call it: errors printed, not returned.
    pub(super) fn move_slot_quiet_errors(&mut self, src: usize, dst: usize, slot: usize, opts: u8) -> bool {
        self.move_slot(src, dst, slot, opts | O_PRINT).is_ok()
    }

    /// `clusterManagerComputeReshardTable`: from each source (most slots first) its share of `numslots`.
    pub(super) fn reshard_table(&self, sources: &[usize], numslots: i32) -> Table {
        let mut sorted = sources.to_vec();
        sorted.sort_by(|a, b| self.nodes[*b].slots_count.cmp(&self.nodes[*a].slots_count));
        let tot: i32 = sources.iter().map(|&i| self.nodes[i].slots_count).sum();
        let mut moved = Vec::new();
        for (k, &i) in sorted.iter().enumerate() {
            let n = numslots as f32 / tot as f32 * self.nodes[i].slots_count as f32;
            let max = if k == 0 { n.ceil() } else { n.floor() } as i32;
            let mut count = 0;
            for slot in 0..SLOTS {
                if !self.nodes[i].slots[slot] {
                    continue;
                }
                if count >= max || moved.len() as i32 >= numslots {
                    break;
                }
                moved.push((i, slot));
                count += 1;
            }
        }
        moved
    }

    // ---- fix -------------------------------------------------------------------------------------

    pub(super) fn masters_with_keys(&mut self, nodes: &[usize], slot: usize) -> Result<Option<usize>, ()> {
        let mut best: Option<usize> = None;
        let mut numkeys = 0;
        for &i in nodes {
            if self.nodes[i].is_slave() || self.nodes[i].replicate.is_some() {
                continue;
            }
            match check(self.nodes[i].cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()])) {
                Ok(r) => {
                    let v = if let Reply::Integer(v) = r { v } else { 0 };
                    if v > numkeys || best.is_none() {
                        numkeys = v;
                        best = Some(i);
                    }
                }
                Err(_) => return Err(()),
            }
        }
        Ok(best)
    }

    /// `clusterManagerGetNodeWithMostKeysInSlot`.
    pub(super) fn most_keys(&mut self, nodes: &[usize], slot: usize) -> Option<usize> {
        self.masters_with_keys(nodes, slot).ok().flatten()
    }

    pub(super) fn least_replicas(&self) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.is_slave() {
                continue;
            }
            if best.is_none_or(|b| n.replicas_count < self.nodes[b].replicas_count) {
                best = Some(i);
            }
        }
        best
    }

    pub(super) fn random_master(&mut self) -> Option<usize> {
        let masters: Vec<usize> = (0..self.nodes.len()).filter(|&i| !self.nodes[i].is_slave()).collect();
        if masters.is_empty() {
            return None;
        }
        Some(masters[self.rng.below(masters.len())])
    }

    pub(super) fn unreachable_guard(&self, what: &str) {
        if self.unreachable_masters > 0 && !self.flag(F_FIX_UNREACHABLE) {
            warn(&format!("*** Fixing {what} with {} unreachable masters is dangerous: redis-cli will assume that slots about masters that are not reachable are not covered, and will try to reassign them to the reachable nodes. This can cause data loss and is rarely what you want to do. If you really want to proceed use the --cluster-fix-with-unreachable-masters option.\n", self.unreachable_masters));
            std::process::exit(1);
        }
    }

    /// `clusterManagerFixSlotsCoverage`: uncovered slots go to a random master (no keys anywhere), the one
    /// master that has keys, or the master with most keys (keys moved there from the others).
    pub(super) fn fix_coverage(&mut self, all: &[bool]) -> i32 {
        self.unreachable_guard("slots coverage");
        info(">>> Fixing slots coverage...\n");
        let Some(uncovered) = self.uncovered_slots(all) else { return -1 };
        let mut fixed = 0;
        let pick = |n: usize| -> Vec<usize> {
            uncovered.iter().filter(|(_, h)| h.len() == n || (n == 2 && h.len() > 2)).map(|(s, _)| *s).collect()
        };
        let (none, single, multi) = (pick(0), pick(1), pick(2));
        let holders = |s: usize| uncovered.iter().find(|(x, _)| *x == s).map(|(_, h)| h.clone()).unwrap_or_default();
        if !none.is_empty() {
            say("The following uncovered slots have no keys across the cluster:\n");
            print_slot_list(&none);
            if confirm(self.o.flags, "Fix these slots by covering with a random node?", true) {
                for &s in &none {
                    let Some(n) = self.random_master() else { return -1 };
                    if !self.cover_slot(n, s) {
                        return -1;
                    }
                    fixed += 1;
                }
            }
        }
        if !single.is_empty() {
            say("The following uncovered slots have keys in just one node:\n");
            print_slot_list(&single);
            if confirm(self.o.flags, "Fix these slots by covering with those nodes?", true) {
                for &s in &single {
                    if !self.cover_slot(holders(s)[0], s) {
                        return -1;
                    }
                    fixed += 1;
                }
            }
        }
        if !multi.is_empty() {
            say("The following uncovered slots have keys in multiple nodes:\n");
            print_slot_list(&multi);
            if confirm(self.o.flags, "Fix these slots by moving keys into a single node?", true) {
                for &s in &multi {
                    if !self.cover_slot_moving_keys(s, &holders(s)) {
                        return -1;
                    }
                    fixed += 1;
                }
            }
        }
        fixed
    }

    /// The slots `all` marks as uncovered, each with the masters that have keys in it (`CLUSTER GETKEYSINSLOT
    /// <slot> 1`); `None` when a node fails to answer.
    fn uncovered_slots(&mut self, all: &[bool]) -> Option<Vec<(usize, Vec<usize>)>> {
        let mut uncovered: Vec<(usize, Vec<usize>)> = Vec::new();
        for (slot, covered) in all.iter().enumerate() {
            if *covered {
                continue;
            }
            let mut holders = Vec::new();
            for i in 0..self.nodes.len() {
                if self.nodes[i].is_slave() || self.nodes[i].replicate.is_some() {
                    continue;
                }
                match check(self.nodes[i].cmd(&["CLUSTER", "GETKEYSINSLOT", &slot.to_string(), "1"])) {
                    Ok(Reply::Array(a)) => {
                        if !a.is_empty() {
                            holders.push(i);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if let Some(e) = e {
                            self.nodes[i].print_error(&e);
                        }
                        return None;
                    }
                }
            }
            uncovered.push((slot, holders));
        }
        Some(uncovered)
    }

    /// Covers uncovered slot `s` with node `n` (no keys to move).
    fn cover_slot(&mut self, n: usize, s: usize) -> bool {
        info(&format!(">>> Covering slot {s} with {}:{}\n", self.nodes[n].ip, self.nodes[n].port));
        if !self.set_slot_owner(n, s, false) {
            return false;
        }
        self.nodes[n].slots[s] = true;
        true
    }

    /// Covers uncovered slot `s` with the master of `hs` with most keys in it, moving the others' keys there.
    fn cover_slot_moving_keys(&mut self, s: usize, hs: &[usize]) -> bool {
        let Some(target) = self.most_keys(hs, s) else { return false };
        let t = &self.nodes[target];
        info(&format!(">>> Covering slot {s} moving keys to {}:{}\n", t.ip, t.port));
        if !self.set_slot_owner(target, s, true) {
            return false;
        }
        self.nodes[target].slots[s] = true;
        for &src in hs {
            if src == target {
                continue;
            }
            if !self.set_slot_p(src, target, s, "NODE") || !self.set_slot_p(src, target, s, "IMPORTING") {
                return false;
            }
            if !self.move_slot_quiet_errors(src, target, s, O_VERBOSE | O_COLD) || !self.clear_slot(src, s) {
                return false;
            }
        }
        true
    }

    /// `clusterManagerFixOpenSlot`: the four cases redis-cli knows how to close.
    pub(super) fn fix_open_slot(&mut self, slot: usize) -> bool {
        self.unreachable_guard("open slots");
        info(&format!(">>> Fixing open slot {slot}\n"));
        let Some(owners) = self.open_slot_owners(slot) else { return false };
        let mut owner = if owners.len() == 1 { Some(owners[0]) } else { None };
        let Some(mut st) = self.open_slot_states(slot, owner) else { return false };
        if !st.mig_str.is_empty() {
            say(&format!("Set as migrating in: {}\n", st.mig_str));
        }
        if !st.imp_str.is_empty() {
            say(&format!("Set as importing in: {}\n", st.imp_str));
        }
        if owner.is_none() {
            info(">>> No single clear owner for the slot, selecting an owner by # of keys...\n");
            let all: Vec<usize> = (0..self.nodes.len()).collect();
            let Some(o) = self.most_keys(&all, slot) else {
                err("[ERR] Can't select a slot owner. Impossible to fix.\n");
                return false;
            };
            warn(&format!("*** Configuring {}:{} as the slot owner\n", self.nodes[o].ip, self.nodes[o].port));
            if !self.clear_slot(o, slot) || !self.set_slot_owner(o, slot, false) {
                return false;
            }
            self.nodes[o].slots[slot] = true;
            st.migrating.retain(|&x| x != o);
            st.importing.retain(|&x| x != o);
            owner = Some(o);
        }
        let Some(owner) = owner else { return false };
        if owners.len() > 1 && !self.keep_one_owner(slot, owner, &owners, &mut st) {
            return false;
        }
        let (migrating, importing) = (&st.migrating, &st.importing);
        if migrating.len() == 1 && importing.len() == 1 {
            let (src, dst) = (migrating[0], importing[0]);
            info(&format!(">>> Case 1: Moving slot {slot} from {}\n", self.move_text(src, dst)));
            return self.move_slot_quiet_errors(src, dst, slot, O_VERBOSE | O_UPDATE);
        }
        if migrating.is_empty() && !importing.is_empty() {
            return self.open_slot_case2(slot, owner, importing);
        }
        let done = if migrating.len() == 1 && importing.len() > 1 {
            self.open_slot_case3(slot, migrating[0], importing)
        } else {
            self.open_slot_case4(slot, owner, migrating, importing)
        };
        if let Some(ok) = done {
            return ok;
        }
        let o = &self.nodes[owner];
        err(&format!("[ERR] Sorry, redis-cli can't fix this slot yet (work in progress). Slot is set as migrating in {}, as importing in {}, owner is {}:{}\n", st.mig_str, st.imp_str, o.ip, o.port));
        false
    }

    /// The masters that own `slot` or hold keys in it without owning it (warned about); `None` when a node
    /// fails to answer.
    fn open_slot_owners(&mut self, slot: usize) -> Option<Vec<usize>> {
        let mut owners: Vec<usize> = Vec::new();
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_slave() {
                continue;
            }
            if self.nodes[i].slots[slot] {
                owners.push(i);
            } else {
                let c = self.count_keys(i, slot);
                if c < 0 {
                    return None;
                }
                if c > 0 {
                    let n = &self.nodes[i];
                    warn(&format!("*** Found keys about slot {slot} in non-owner node {}:{}!\n", n.ip, n.port));
                    owners.push(i);
                }
            }
        }
        Some(owners)
    }

    /// The masters that have `slot` open: set as migrating, or as importing (or holding its keys without being
    /// its `owner`); `None` when a node fails to answer.
    fn open_slot_states(&mut self, slot: usize, owner: Option<usize>) -> Option<OpenSlot> {
        let mut st = OpenSlot::default();
        let addr = |n: &Node| format!("{}:{}", n.ip, n.port);
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_slave() {
                continue;
            }
            let n = &self.nodes[i];
            let is_mig = n.migrating.iter().any(|(s, _)| atoi(s) as usize == slot);
            let is_imp = !is_mig && n.importing.iter().any(|(s, _)| atoi(s) as usize == slot);
            if is_mig {
                st.mig_str.push_str(&format!("{}{}", if st.migrating.is_empty() { "" } else { "," }, addr(n)));
                st.migrating.push(i);
            } else if is_imp {
                st.imp_str.push_str(&format!("{}{}", if st.importing.is_empty() { "" } else { "," }, addr(n)));
                st.importing.push(i);
            } else if Some(i) != owner {
                let c = self.count_keys(i, slot);
                if c < 0 {
                    return None;
                }
                if c > 0 {
                    let n = &self.nodes[i];
                    warn(&format!("*** Found keys about slot {slot} in node {}:{}!\n", n.ip, n.port));
                    st.imp_str.push_str(&format!("{}{}", if st.importing.is_empty() { "" } else { "," }, addr(n)));
                    st.importing.push(i);
                }
            }
        }
        Some(st)
    }

    /// Leaves `owner` the only owner of `slot`: the other `owners` drop it and are set as importing it.
    fn keep_one_owner(&mut self, slot: usize, owner: usize, owners: &[usize], st: &mut OpenSlot) -> bool {
        for &n in owners {
            if n == owner {
                continue;
            }
            if !self.del_slot(n, slot, true) {
                return false;
            }
            self.nodes[n].slots[slot] = false;
            if !self.set_slot_p(n, owner, slot, "node") || !self.set_slot_p(n, owner, slot, "importing") {
                return false;
            }
            st.importing.retain(|&x| x != n);
            st.importing.push(n);
            st.migrating.retain(|&x| x != n);
        }
        true
    }

    /// `ip:port to ip:port` of two nodes, for the case messages.
    fn move_text(&self, a: usize, b: usize) -> String {
        let (a, b) = (&self.nodes[a], &self.nodes[b]);
        format!("{}:{} to {}:{}", a.ip, a.port, b.ip, b.port)
    }

    /// Case 2 of `clusterManagerFixOpenSlot`: importing nodes only; their keys go to the owner and every master
    /// learns the owner.
    fn open_slot_case2(&mut self, slot: usize, owner: usize, importing: &[usize]) -> bool {
        let o = &self.nodes[owner];
        info(&format!(">>> Case 2: Moving all the {slot} slot keys to its owner {}:{}\n", o.ip, o.port));
        for &n in importing {
            if n == owner {
                continue;
            }
            if !self.move_slot_quiet_errors(n, owner, slot, O_VERBOSE | O_COLD) {
                return false;
            }
            info(&format!(">>> Setting {slot} as STABLE in {}:{}\n", self.nodes[n].ip, self.nodes[n].port));
            if !self.clear_slot(n, slot) {
                return false;
            }
        }
        for n in 0..self.nodes.len() {
            if n == owner || self.nodes[n].is_slave() {
                continue;
            }
            if !self.set_slot_p(n, owner, slot, "NODE") {
                return false;
            }
        }
        true
    }

    /// Case 3 of `clusterManagerFixOpenSlot`: one migrating node `src`, several importing ones, none with keys.
    /// `None` when it does not apply (an importing node has keys).
    fn open_slot_case3(&mut self, slot: usize, src: usize, importing: &[usize]) -> Option<bool> {
        let target_id = self.nodes[src].migrating.iter().find(|(s, _)| atoi(s) as usize == slot).map(|x| x.1.clone());
        let mut dst = None;
        for &n in importing {
            if self.count_keys(n, slot) > 0 {
                return None;
            }
            if self.nodes[n].name.as_deref() == target_id.as_deref() {
                dst = Some(n);
            }
        }
        if let Some(dst) = dst {
            info(&format!(
                ">>> Case 3: Moving slot {slot} from {} and closing it on all the other importing nodes.\n",
                self.move_text(src, dst)
            ));
            if !self.move_slot_quiet_errors(src, dst, slot, O_VERBOSE) {
                return Some(false);
            }
            for &n in importing {
                if n != dst && !self.clear_slot(n, slot) {
                    return Some(false);
                }
            }
        } else {
            info(&format!(">>> Case 3: Closing slot {slot} on both migrating and importing nodes.\n"));
            if !self.clear_slot(src, slot) {
                return Some(false);
            }
            for &n in importing {
                if !self.clear_slot(n, slot) {
                    return Some(false);
                }
            }
        }
        Some(true)
    }

    /// Case 4 of `clusterManagerFixOpenSlot`: one migrating node and no importing one; closed when it has no keys
    /// left (`CLUSTER GETKEYSINSLOT`). `None` when it does not apply.
    fn open_slot_case4(&mut self, slot: usize, owner: usize, migrating: &[usize], importing: &[usize]) -> Option<bool> {
        let mut try_close = importing.is_empty() && migrating.len() == 1;
        if try_close {
            let n = migrating[0];
            if owner != n {
                match check(self.nodes[n].cmd(&["CLUSTER", "GETKEYSINSLOT", &slot.to_string(), "10"])) {
                    Ok(Reply::Array(a)) => try_close = a.is_empty(),
                    Ok(_) => {}
                    Err(e) => {
                        if let Some(e) = e {
                            self.nodes[n].print_error(&e);
                        }
                        return Some(false);
                    }
                }
            }
        }
        if try_close {
            let n = migrating[0];
            info(&format!(">>> Case 4: Closing slot {slot} on {}:{}\n", self.nodes[n].ip, self.nodes[n].port));
            return Some(self.clear_slot(n, slot));
        }
        None
    }

    /// `clusterManagerFixMultipleSlotOwners`.
    pub(super) fn fix_multiple_owners(&mut self, slot: usize, owners: &[usize]) -> bool {
        info(&format!(">>> Fixing multiple owners for slot {slot}...\n"));
        let owner = self.most_keys(owners, slot).unwrap_or(owners[0]);
        info(&format!(">>> Setting slot {slot} owner: {}:{}\n", self.nodes[owner].ip, self.nodes[owner].port));
        if !self.set_slot_owner(owner, slot, false) {
            return false;
        }
        let mut success = false;
        for n in 0..self.nodes.len() {
            if n == owner || self.nodes[n].is_slave() {
                continue;
            }
            let count = self.count_keys(n, slot);
            success = count >= 0;
            if !success {
                break;
            }
            self.del_slot(n, slot, true);
            if !self.set_slot_p(n, owner, slot, "node") {
                return false;
            }
            if count > 0 {
                success = self.move_slot_quiet_errors(n, owner, slot, O_VERBOSE | O_COLD);
                if !success {
                    break;
                }
            }
        }
        success
    }

    // ---- create ----------------------------------------------------------------------------------

    /// `clusterManagerGetAntiAffinityScore` over the nodes grouped by IP; with `offending`, the replicas that
    /// share a host with their master or a sibling.
    pub(super) fn anti_affinity(&self, groups: &[Vec<usize>], mut offending: Option<&mut Vec<usize>>) -> i32 {
        let mut score = 0;
        for g in groups {
            let Some(&first) = g.first() else { continue };
            let ip = &self.nodes[first].ip;
            let mut related: Vec<(String, String)> = Vec::new();
            for &i in g {
                let n = &self.nodes[i];
                let key = n.replicate.clone().unwrap_or_else(|| n.name().to_string());
                let pos = match related.iter().position(|(k, _)| *k == key) {
                    Some(p) => p,
                    None => {
                        related.push((key, String::new()));
                        related.len() - 1
                    }
                };
                let t = &mut related[pos].1;
                if n.replicate.is_some() {
                    t.push('s');
                } else {
                    t.insert(0, 'm');
                }
            }
            for (name, types) in &related {
                if types.len() < 2 {
                    continue;
                }
                if types.starts_with('m') {
                    score += 10000 * (types.len() as i32 - 1);
                } else {
                    score += types.len() as i32;
                }
                if let Some(off) = offending.as_deref_mut() {
                    if let Some(i) =
                        self.nodes.iter().position(|n| n.replicate.as_deref() == Some(name.as_str()) && n.ip == *ip)
                    {
                        off.push(i);
                    }
                }
            }
        }
        score
    }

    pub(super) fn optimize_anti_affinity(&mut self, groups: &[Vec<usize>]) {
        if self.anti_affinity(groups, None) == 0 {
            return;
        }
        info(">>> Trying to optimize slaves allocation for anti-affinity\n");
        let mut maxiter = 500 * self.nodes.len();
        while maxiter > 0 {
            let mut off = Vec::new();
            let score = self.anti_affinity(groups, Some(&mut off));
            if score == 0 || off.is_empty() {
                break;
            }
            let first = off[self.rng.below(off.len())];
            let others: Vec<usize> =
                (0..self.nodes.len()).filter(|&i| i != first && self.nodes[i].replicate.is_some()).collect();
            if others.is_empty() {
                break;
            }
            let second = others[self.rng.below(others.len())];
            let (m1, m2) = (self.nodes[first].replicate.clone(), self.nodes[second].replicate.clone());
            self.nodes[first].replicate = m2.clone();
            self.nodes[second].replicate = m1.clone();
            self.nodes[first].dirty = true;
            self.nodes[second].dirty = true;
            if self.anti_affinity(groups, None) > score {
                self.nodes[first].replicate = m1;
                self.nodes[second].replicate = m2;
            }
            maxiter -= 1;
        }
        let score = self.anti_affinity(groups, None);
        if score == 0 {
            ok("[OK] Perfect anti-affinity obtained!\n");
        } else if score >= 10000 {
            warn("[WARNING] Some slaves are in the same host as their master\n");
        } else {
            warn("[WARNING] Some slaves of the same master are in the same host\n");
        }
    }

    /// `clusterManagerFlushNodeConfig`: CLUSTER REPLICATE for a replica, ADDSLOTS for a master.
    pub(super) fn flush_config(&mut self, i: usize) -> (bool, Option<String>) {
        if !self.nodes[i].dirty {
            return (false, None);
        }
        let n = &mut self.nodes[i];
        if let Some(m) = n.replicate.clone() {
            match check(n.cmd(&["CLUSTER", "REPLICATE", &m])) {
                Ok(_) => {}
                Err(e) => return (false, e),
            }
        } else {
            let slots: Vec<String> = (0..SLOTS).filter(|&s| n.slots[s]).map(|s| s.to_string()).collect();
            if slots.is_empty() {
                n.dirty = false;
                return (false, None);
            }
            let mut args = vec!["CLUSTER".to_string(), "ADDSLOTS".to_string()];
            args.extend(slots);
            if let Err(e) = check(n.cmd(&args)) {
                n.dirty = false;
                return (false, e);
            }
        }
        n.dirty = false;
        (true, None)
    }

    pub(super) fn meet_args(first: &Node, first_ip: &str) -> Vec<String> {
        let mut a = vec!["CLUSTER".into(), "MEET".into(), first_ip.to_string(), first.port.to_string()];
        if first.bus_port != 0 && first.bus_port != first.port + PORT_INCR {
            a.push(first.bus_port.to_string());
        }
        a
    }
}

/// The nodes that have a slot open, as `clusterManagerFixOpenSlot` finds them: set as migrating or importing
/// it, with their addresses as printed.
#[derive(Default)]
struct OpenSlot {
    migrating: Vec<usize>,
    importing: Vec<usize>,
    mig_str: String,
    imp_str: String,
}

/// Prints a list of slots as ranges (the lists `clusterManagerFixSlotsCoverage` asks about).
fn print_slot_list(slots: &[usize]) {
    let mut b = vec![false; SLOTS];
    slots.iter().for_each(|&s| b[s] = true);
    say(&format!("{}\n", slots_string(&b)));
}
