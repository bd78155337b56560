//! The `--cluster` subcommands, one function each (redis-cli's `clusterManagerCommand*`), and [`run`], which
//! checks the arity and picks one.

use super::*;

pub(super) fn cmd_create(m: &mut Mgr) -> bool {
    for a in m.o.args.clone() {
        let a = String::from_utf8_lossy(&a).into_owned();
        let Some((ip, port, _)) = parse_addr(&a) else {
            eprintln!("Invalid address format: {a}");
            return false;
        };
        let mut n = Node::new(&ip, port, 0);
        if !n.connect(&m.auth) || !admit_new(&mut n) {
            return false;
        }
        m.nodes.push(n);
    }
    let node_len = m.nodes.len();
    let replicas = m.o.replicas;
    let masters_count = node_len as i32 / (replicas + 1);
    if masters_count < 3 {
        err(&format!("*** ERROR: Invalid configuration for cluster creation.\n*** Redis Cluster requires at least 3 master nodes.\n*** This is not possible with {node_len} nodes and {replicas} replicas per node."));
        err(&format!("\n*** At least {} nodes are required.\n", 3 * (replicas + 1)));
        return false;
    }
    let masters_count = masters_count as usize;
    info(&format!(">>> Performing hash slots allocation on {node_len} nodes...\n"));
    let (groups, interleaved) = interleave_by_ip(m);
    let masters: Vec<usize> = interleaved[..masters_count].to_vec();
    let mut rest: Vec<Option<usize>> = interleaved[masters_count..].iter().map(|&i| Some(i)).collect();
    allocate_slots(m, &masters);
    // Rotating the replicas once sometimes gives a better starting point for the optimizer.
    if !rest.is_empty() {
        rest.rotate_left(1);
    }
    assign_replicas(m, &masters, rest, replicas);
    m.optimize_anti_affinity(&groups);
    m.show_nodes();
    if !confirm(m.o.flags, "Can I set the above configuration?", false) {
        return true;
    }
    if !configure_and_meet(m) {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    m.wait_join();
    for i in 0..node_len {
        if !m.nodes[i].dirty {
            continue;
        }
        let (flushed, e) = m.flush_config(i);
        if !flushed && m.nodes[i].replicate.is_none() {
            if let Some(e) = e {
                m.nodes[i].print_error(&e);
            }
            return false;
        }
    }
    let first = m.nodes.swap_remove(0);
    m.nodes.clear();
    if !m.load_from(first) {
        return false;
    }
    m.check_cluster(false);
    true
}

/// The nodes grouped by IP (in order of appearance), and their order interleaved one IP at a time (the first
/// ones become the masters).
fn interleave_by_ip(m: &Mgr) -> (Vec<Vec<usize>>, Vec<usize>) {
    let node_len = m.nodes.len();
    // Nodes grouped by IP (in order of appearance), then interleaved one IP at a time.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in 0..node_len {
        match groups.iter_mut().find(|g| m.nodes[g[0]].ip == m.nodes[i].ip) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut interleaved = Vec::with_capacity(node_len);
    let mut cursors = vec![0usize; groups.len()];
    while interleaved.len() < node_len {
        for (g, c) in groups.iter().zip(cursors.iter_mut()) {
            if *c < g.len() {
                interleaved.push(g[*c]);
                *c += 1;
            }
        }
    }
    (groups, interleaved)
}

/// Splits the hash slots into one contiguous range per master (printed as `Master[k] -> Slots a - b`).
fn allocate_slots(m: &mut Mgr, masters: &[usize]) {
    let masters_count = masters.len();
    let slots_per_node = SLOTS as f32 / masters_count as f32;
    let (mut first, mut cursor) = (0i64, 0.0f32);
    for (k, &mi) in masters.iter().enumerate() {
        let mut last = ((cursor + slots_per_node - 1.0) as f64).round() as i64;
        if last > SLOTS as i64 || k == masters_count - 1 {
            last = SLOTS as i64 - 1;
        }
        if last < first {
            last = first;
        }
        say(&format!("Master[{k}] -> Slots {first} - {last}\n"));
        let n = &mut m.nodes[mi];
        n.slots_count = 0;
        for s in first..=last {
            n.slots[s as usize] = true;
            n.slots_count += 1;
        }
        n.dirty = true;
        first = last + 1;
        cursor += slots_per_node;
    }
}

/// Gives each master `replicas` replicas from `rest`, preferring nodes on another IP, then hands out the
/// nodes left over one per master ("Adding extra replicas...").
fn assign_replicas(m: &mut Mgr, masters: &[usize], mut rest: Vec<Option<usize>>, replicas: i32) {
    let mut start = 0usize;
    let mut available = rest.len();
    let mut assign_unused = false;
    loop {
        for &mi in masters {
            let mut assigned = 0;
            while assigned < replicas {
                if available == 0 {
                    break;
                }
                let mut found = None;
                let mut first_same = None;
                for (j, slot) in rest.iter_mut().enumerate().skip(start) {
                    let Some(n) = *slot else { continue };
                    if m.nodes[n].ip != m.nodes[mi].ip {
                        found = Some(n);
                        *slot = None;
                        break;
                    }
                    if first_same.is_none() {
                        first_same = Some(j);
                    }
                }
                let slave = match (found, first_same) {
                    (Some(n), _) => n,
                    (None, Some(j)) => {
                        start = j + 1;
                        match rest[j] {
                            Some(n) => n,
                            None => break,
                        }
                    }
                    _ => break,
                };
                assigned += 1;
                available -= 1;
                let mname = m.nodes[mi].name().to_string();
                let s = &mut m.nodes[slave];
                s.replicate = Some(mname);
                s.dirty = true;
                let (s, mm) = (&m.nodes[slave], &m.nodes[mi]);
                say(&format!("Adding replica {}:{} to {}:{}\n", s.ip, s.port, mm.ip, mm.port));
                if assign_unused {
                    break;
                }
            }
        }
        if !assign_unused && available > 0 {
            assign_unused = true;
            say("Adding extra replicas...\n");
            continue;
        }
        break;
    }
}

/// Writes the planned configuration to the nodes, gives each a config epoch and makes them meet the first.
fn configure_and_meet(m: &mut Mgr) -> bool {
    let node_len = m.nodes.len();
    for i in 0..node_len {
        let (flushed, e) = m.flush_config(i);
        if !flushed && m.nodes[i].dirty && m.nodes[i].replicate.is_none() {
            if let Some(e) = e {
                m.nodes[i].print_error(&e);
            }
            return false;
        }
    }
    info(">>> Nodes configuration updated\n");
    info(">>> Assign a different config epoch to each node\n");
    for i in 0..node_len {
        let e = (i + 1).to_string();
        let _ = m.nodes[i].cmd(&["cluster", "set-config-epoch", &e]);
    }
    info(">>> Sending CLUSTER MEET messages to join the cluster\n");
    let Some(first_ip) = resolve_ip(&m.nodes[0].ip) else {
        eprintln!("Invalid IP address or hostname specified: {}", m.nodes[0].ip);
        return false;
    };
    let meet = Mgr::meet_args(&m.nodes[0], &first_ip);
    for i in 1..node_len {
        match m.nodes[i].cmd(&meet) {
            Some(Reply::Error(e)) => {
                m.nodes[i].print_error(&err_text(&e));
                return false;
            }
            Some(_) => {}
            None => {
                eprintln!("Failed to send CLUSTER MEET command.");
                return false;
            }
        }
    }
    true
}

/// Loads the cluster from the node named by the arguments (`host:port` or `host port`).
pub(super) fn load_cluster(m: &mut Mgr, args: &[Vec<u8>]) -> Option<bool> {
    let Some((ip, port)) = host_from_args(args) else {
        eprint!("{INVALID_HOST_ARG}");
        return None;
    };
    Some(m.load_from(Node::new(&ip, port, 0)))
}

pub(super) fn cmd_check(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args) {
        Some(true) => {}
        _ => return false,
    }
    m.show_cluster_info();
    m.check_cluster(false)
}

pub(super) fn cmd_info(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args) {
        Some(true) => {}
        _ => return false,
    }
    m.show_cluster_info();
    true
}

/// `clusterNodeForResharding`: a known master other than the target; Err(true) is an error that aborts.
pub(super) fn reshard_node(m: &Mgr, id: &str, target: Option<usize>) -> Result<usize, bool> {
    match m.by_name(id) {
        Some(i) if !m.nodes[i].is_slave() => {
            if let Some(t) = target {
                if m.nodes[i].name == m.nodes[t].name {
                    err("*** It is not possible to use the target node as source node.\n");
                    return Err(false);
                }
            }
            Ok(i)
        }
        _ => {
            err(&format!("*** The specified node ({id}) is not known or not a master, please retry.\n"));
            Err(true)
        }
    }
}

pub(super) fn cmd_reshard(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args) {
        Some(true) => {}
        _ => return false,
    }
    m.check_cluster(false);
    if !m.errors.is_empty() {
        eprintln!("*** Please fix your cluster problems before resharding");
        return false;
    }
    let mut slots = m.o.slots;
    while slots <= 0 || slots > SLOTS as i32 {
        say(&format!("How many slots do you want to move (from 1 to {SLOTS})? "));
        let Some(l) = prompt_line(6) else { return false };
        slots = atoi(&l);
    }
    let mut to = m.o.to.clone();
    while to.is_none() {
        say("What is the receiving node ID? ");
        let Some(l) = prompt_line(255) else { return false };
        if !l.is_empty() {
            to = Some(l);
        }
    }
    let Ok(target) = reshard_node(m, to.as_deref().unwrap_or(""), None) else { return false };
    let Some(sources) = reshard_sources(m, target) else { return false };
    say(&format!("\nReady to move {slots} slots.\n"));
    say("  Source nodes:\n");
    for &s in &sources {
        say(&format!("{}\n", m.nodes[s].describe(4)));
    }
    say("  Destination node:\n");
    say(&format!("{}\n", m.nodes[target].describe(4)));
    let table = m.reshard_table(&sources, slots);
    say("  Resharding plan:\n");
    let mut plan = String::new();
    for &(src, slot) in &table {
        plan.push_str(&format!("    Moving slot {slot} from {}\n", m.nodes[src].name()));
    }
    say(&plan);
    if !m.flag(F_YES) {
        say("Do you want to proceed with the proposed reshard plan (yes/no)? ");
        if !read_yes() {
            return false;
        }
    }
    for (src, slot) in table {
        if let Err(e) = m.move_slot(src, target, slot, O_VERBOSE) {
            if let Some(e) = e {
                err(&format!("clusterManagerMoveSlot failed: {e}\n"));
            }
            return false;
        }
    }
    true
}

/// The source masters of a reshard: `--cluster-from` (comma-separated IDs or `all`), else asked for one by
/// one. `None` aborts the reshard.
fn reshard_sources(m: &Mgr, target: usize) -> Option<Vec<usize>> {
    let mut sources: Vec<usize> = Vec::new();
    let mut all = false;
    match m.o.from.clone() {
        None => {
            say("Please enter all the source node IDs.\n");
            say("  Type 'all' to use all the nodes as source nodes for the hash slots.\n");
            say("  Type 'done' once you entered all the source nodes IDs.\n");
            loop {
                say(&format!("Source node #{}: ", sources.len() + 1));
                let l = prompt_line(255)?;
                if l == "done" {
                    break;
                } else if l == "all" {
                    all = true;
                    break;
                }
                match reshard_node(m, &l, Some(target)) {
                    Ok(s) => sources.push(s),
                    Err(true) => return None,
                    Err(false) => {}
                }
            }
        }
        Some(from) => {
            let ids: Vec<&str> = from.split(',').collect();
            for (k, id) in ids.iter().enumerate() {
                if *id == "all" {
                    all = true;
                    break;
                }
                if id.is_empty() && k == ids.len() - 1 {
                    continue;
                }
                match reshard_node(m, id, Some(target)) {
                    Ok(s) => sources.push(s),
                    Err(true) => return None,
                    Err(false) => {}
                }
            }
        }
    }
    if all {
        sources = (0..m.nodes.len())
            .filter(|&i| {
                !m.nodes[i].is_slave() && m.nodes[i].replicate.is_none() && m.nodes[i].name != m.nodes[target].name
            })
            .collect();
    }
    if sources.is_empty() {
        eprintln!("*** No source nodes given, operation aborted.");
        return None;
    }
    Some(sources)
}

pub(super) fn cmd_rebalance(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args) {
        Some(true) => {}
        _ => return false,
    }
    if !apply_weights(m) {
        return false;
    }
    let use_empty = m.flag(F_EMPTYMASTER);
    let mut total_weight = 0.0f32;
    let mut involved: Vec<usize> = Vec::new();
    for i in 0..m.nodes.len() {
        let n = &mut m.nodes[i];
        if n.is_slave() || n.replicate.is_some() {
            continue;
        }
        if !use_empty && n.slots_count == 0 {
            n.weight = 0.0;
            continue;
        }
        total_weight += n.weight;
        involved.push(i);
    }
    m.check_cluster(true);
    if !m.errors.is_empty() {
        err("*** Please fix your cluster problems before rebalancing\n");
        return false;
    }
    let threshold = m.o.threshold;
    let (threshold_reached, mut total_balance) = set_balances(m, &involved, total_weight);
    if !threshold_reached {
        warn(&format!("*** No rebalancing needed! All nodes are within the {:.2}% threshold.\n", threshold));
        return true;
    }
    while total_balance > 0 {
        for &i in &involved {
            if m.nodes[i].balance <= 0 && total_balance > 0 {
                m.nodes[i].balance -= 1;
                total_balance -= 1;
            }
        }
    }
    let mut sorted = involved.clone();
    sorted.sort_by_key(|&i| m.nodes[i].balance);
    info(&format!(">>> Rebalancing across {} nodes. Total weight = {:.2}\n", involved.len(), total_weight));
    if m.verbose {
        for &i in &sorted {
            let n = &m.nodes[i];
            say(&format!("{}:{} balance is {} slots\n", n.ip, n.port, n.balance));
        }
    }
    rebalance_moves(m, &sorted)
}

/// Applies `--cluster-weight <name>=<weight>...` to the masters it names.
fn apply_weights(m: &mut Mgr) -> bool {
    for w in m.o.weight.clone() {
        let Some((name, v)) = w.split_once('=') else {
            err(&format!("*** invalid input {w}\n"));
            return false;
        };
        let Some(i) = m.by_abbrev(name) else {
            err(&format!("*** No such master node {name}\n"));
            return false;
        };
        m.nodes[i].weight = super::super::atof(v) as f32;
    }
    true
}

/// Sets each involved master's balance (slots it has minus slots its weight asks for); returns whether one is
/// off by more than `--cluster-threshold`, and the sum of the balances.
fn set_balances(m: &mut Mgr, involved: &[usize], total_weight: f32) -> (bool, i32) {
    let threshold = m.o.threshold;
    let (mut threshold_reached, mut total_balance) = (false, 0);
    for &i in involved {
        let n = &mut m.nodes[i];
        let expected = ((SLOTS as f32 / total_weight) * n.weight) as i32;
        n.balance = n.slots_count - expected;
        total_balance += n.balance;
        if threshold > 0.0 {
            if n.slots_count > 0 {
                let err_perc = (100.0 - (100.0 * expected as f64 / n.slots_count as f64)).abs();
                if err_perc > threshold as f64 {
                    threshold_reached = true;
                }
            } else if expected > 1 {
                threshold_reached = true;
            }
        }
    }
    (threshold_reached, total_balance)
}

/// Moves slots from the masters with the highest balance to those with the lowest (`sorted` by balance) until
/// they are even; `--cluster-simulate` only prints.
fn rebalance_moves(m: &mut Mgr, sorted: &[usize]) -> bool {
    let simulate = m.flag(F_SIMULATE);
    let (mut dst_idx, mut src_idx) = (0usize, sorted.len().saturating_sub(1));
    while dst_idx < src_idx {
        let (dst, src) = (sorted[dst_idx], sorted[src_idx]);
        let numslots = m.nodes[dst].balance.abs().min(m.nodes[src].balance.abs());
        if numslots > 0 {
            let (a, b) = (&m.nodes[src], &m.nodes[dst]);
            say(&format!("Moving {numslots} slots from {}:{} to {}:{}\n", a.ip, a.port, b.ip, b.port));
            let table = m.reshard_table(&[src], numslots);
            if table.len() as i32 != numslots {
                err("*** Assertion failed: Reshard table != number of slots");
                return false;
            }
            if simulate {
                say(&"#".repeat(table.len()));
            } else {
                for (s, slot) in table {
                    if let Err(e) = m.move_slot(s, dst, slot, O_QUIET | O_UPDATE) {
                        err(&format!("*** clusterManagerMoveSlot: {}\n", e.as_deref().unwrap_or("(null)")));
                        return false;
                    }
                    say("#");
                }
            }
            say("\n");
        }
        m.nodes[dst].balance += numslots;
        m.nodes[src].balance -= numslots;
        if m.nodes[dst].balance == 0 {
            dst_idx += 1;
        }
        if m.nodes[src].balance == 0 {
            src_idx = src_idx.saturating_sub(1);
        }
    }
    true
}

pub(super) fn cmd_add_node(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    let (Some((ref_ip, ref_port)), Some((ip, port))) = (host_from_args(&args[1..]), host_from_args(&args[..1])) else {
        eprint!("{INVALID_HOST_ARG}");
        return false;
    };
    info(&format!(">>> Adding node {ip}:{port} to cluster {ref_ip}:{ref_port}\n"));
    if !m.load_from(Node::new(&ref_ip, ref_port, 0)) || !m.check_cluster(false) {
        return false;
    }
    let mut master = None;
    if m.flag(F_SLAVE) {
        match m.o.master_id.clone() {
            Some(id) => match m.by_name(&id) {
                Some(i) => master = Some(i),
                None => {
                    err(&format!("[ERR] No such master ID {id}\n"));
                    return false;
                }
            },
            None => {
                let Some(i) = m.least_replicas() else { return false };
                say(&format!("Automatically selected master {}:{}\n", m.nodes[i].ip, m.nodes[i].port));
                master = Some(i);
            }
        }
    }
    let mut new = Node::new(&ip, port, 0);
    if !new.connect(&m.auth) {
        err(&format!("[ERR] Sorry, can't connect to node {ip}:{port}\n"));
        return false;
    }
    if !admit_new(&mut new) {
        return false;
    }
    m.nodes.push(new);
    let ni = m.nodes.len() - 1;
    if master.is_none() {
        info(">>> Getting functions from cluster\n");
        match check(m.nodes[0].cmd(&["FUNCTION", "DUMP"])) {
            Err(e) => info(&format!(
                ">>> Failed retrieving Functions from the cluster, skip this step as Redis version do not support function command (error = '{}')\n",
                e.as_deref().unwrap_or("NULL reply")
            )),
            Ok(dump) => {
                info(&format!(">>> Send FUNCTION LIST to {ip}:{port} to verify there is no functions in it\n"));
                match check(m.nodes[ni].cmd(&["FUNCTION", "LIST"])) {
                    Err(e) => {
                        err(&format!(">>> Failed on CLUSTER LIST (error = '{}')\r\n", e.as_deref().unwrap_or("NULL reply")));
                        return false;
                    }
                    Ok(Reply::Array(a)) if !a.is_empty() => {
                        err(">>> New node already contains functions and can not be added to the cluster. Use FUNCTION FLUSH and try again.\r\n");
                        return false;
                    }
                    Ok(_) => {}
                }
                info(&format!(">>> Send FUNCTION RESTORE to {ip}:{port}\n"));
                let payload = dump.bytes().unwrap_or_default().to_vec();
                if let Err(e) = check(m.nodes[ni].cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &payload])) {
                    err(&format!(
                        ">>> Failed loading functions to the new node (error = '{}')\r\n",
                        e.as_deref().unwrap_or("NULL reply")
                    ));
                    return false;
                }
            }
        }
    }
    info(&format!(">>> Send CLUSTER MEET to node {ip}:{port} to make it join the cluster.\n"));
    let Some(first_ip) = resolve_ip(&m.nodes[0].ip) else {
        eprintln!("Invalid IP address or hostname specified: {}", m.nodes[0].ip);
        return false;
    };
    let meet = Mgr::meet_args(&m.nodes[0], &first_ip);
    if !m.simple(ni, &meet.iter().map(|s| s.as_str()).collect::<Vec<_>>()) {
        return false;
    }
    if let Some(mi) = master {
        std::thread::sleep(std::time::Duration::from_secs(1));
        m.wait_join();
        info(&format!(">>> Configure node as replica of {}:{}.\n", m.nodes[mi].ip, m.nodes[mi].port));
        let id = m.nodes[mi].name().to_string();
        if !m.simple(ni, &["CLUSTER", "REPLICATE", &id]) {
            return false;
        }
    }
    ok("[OK] New node added correctly.\n");
    true
}

pub(super) fn cmd_del_node(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    let Some((ip, port)) = host_from_args(&args[..1]) else {
        eprint!("{INVALID_HOST_ARG}");
        return false;
    };
    let node_id = String::from_utf8_lossy(&args[1]).into_owned();
    info(&format!(">>> Removing node {node_id} from cluster {ip}:{port}\n"));
    if !m.load_from(Node::new(&ip, port, 0)) {
        return false;
    }
    let Some(node) = m.by_name(&node_id) else {
        err(&format!("[ERR] No such node ID {node_id}\n"));
        return false;
    };
    if m.nodes[node].slots_count != 0 {
        let n = &m.nodes[node];
        err(&format!("[ERR] Node {}:{} is not empty! Reshard data away and try again.\n", n.ip, n.port));
        return false;
    }
    info(">>> Sending CLUSTER FORGET messages to the cluster...\n");
    for i in 0..m.nodes.len() {
        if i == node {
            continue;
        }
        if m.nodes[i].replicate.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(&node_id)) {
            let Some(mi) = m.least_replicas() else { return false };
            let (n, mm) = (&m.nodes[i], &m.nodes[mi]);
            info(&format!(">>> {}:{} as replica of {}:{}\n", n.ip, n.port, mm.ip, mm.port));
            let id = mm.name().to_string();
            if !m.simple(i, &["CLUSTER", "REPLICATE", &id]) {
                return false;
            }
        }
        if !m.simple(i, &["CLUSTER", "FORGET", &node_id]) {
            return false;
        }
    }
    info(">>> Sending CLUSTER RESET SOFT to the deleted node.\n");
    m.simple(node, &["CLUSTER", "RESET", "SOFT"])
}

pub(super) fn cmd_call(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args[..1]) {
        Some(true) => {}
        _ => return false,
    }
    // Arguments are C strings in redis-cli: each ends at its first NUL.
    let cmd: Vec<Vec<u8>> = args[1..].iter().map(|a| format::cstr(a).to_vec()).collect();
    let mut line = String::new();
    for a in &cmd {
        line.push(' ');
        line.push_str(&String::from_utf8_lossy(a));
    }
    info(">>> Calling");
    say(&format!("{line}\n"));
    for i in 0..m.nodes.len() {
        let n = &m.nodes[i];
        if m.flag(F_MASTERS_ONLY) && n.replicate.is_some() || m.flag(F_SLAVES_ONLY) && n.replicate.is_none() {
            continue;
        }
        if m.nodes[i].conn.is_none() && !m.nodes[i].connect(&m.auth) {
            continue;
        }
        let n = &mut m.nodes[i];
        match n.cmd(&cmd) {
            None => say(&format!("{}:{}: Failed!\n", n.ip, n.port)),
            Some(r) => {
                let mut o = format!("{}:{}: ", n.ip, n.port).into_bytes();
                if let Err(u) = format::raw(&r, &m.mb_delim, &mut o) {
                    eprintln!("{}", u.message());
                    std::process::exit(1);
                }
                o.push(b'\n');
                out(&o);
            }
        }
    }
    true
}

pub(super) fn cmd_set_timeout(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    let Some((ip, port)) = host_from_args(&args[..1]) else {
        eprint!("{INVALID_HOST_ARG}");
        return false;
    };
    let timeout = atoi(&String::from_utf8_lossy(&args[1]));
    if timeout < 100 {
        eprintln!("Setting a node timeout of less than 100 milliseconds is a bad idea.");
        return false;
    }
    if !m.load_from(Node::new(&ip, port, 0)) {
        return false;
    }
    info(">>> Reconfiguring node timeout in every cluster node...\n");
    let (mut oks, mut errs) = (0, 0);
    let t = timeout.to_string();
    for n in m.nodes.iter_mut() {
        let r = check(n.cmd(&["CONFIG", "SET", "cluster-node-timeout", &t]))
            .and_then(|_| check(n.cmd(&["CONFIG", "REWRITE"])));
        match r {
            Ok(_) => {
                warn(&format!("*** New timeout set for {}:{}\n", n.ip, n.port));
                oks += 1;
            }
            Err(e) => {
                err(&format!("ERR setting node-timeout for {}:{}: {}\n", n.ip, n.port, e.unwrap_or_default()));
                errs += 1;
            }
        }
    }
    info(&format!(">>> New node timeout set. {oks} OK, {errs} ERR.\n"));
    true
}

pub(super) fn cmd_import(m: &mut Mgr) -> bool {
    let args = m.o.args.clone();
    let Some((ip, port)) = host_from_args(&args) else {
        eprint!("{INVALID_HOST_ARG}");
        return false;
    };
    let Some(from) = m.o.from.clone() else {
        eprintln!("[ERR] Option '--cluster-from' is required for subcommand 'import'.");
        return false;
    };
    let Some((src_ip, src_port)) = host_from_args(&[from.into_bytes()]) else {
        eprintln!("[ERR] Invalid --cluster-from host. You need to pass a valid address (ie. 120.0.0.1:7000).");
        return false;
    };
    info(&format!(">>> Importing data from {src_ip}:{src_port} to cluster {ip}:{port}\n"));
    if !m.load_from(Node::new(&ip, port, 0)) || !m.check_cluster(false) {
        return false;
    }
    // Plain TCP even with --tls: redis-cli 7.0 connects the source with `redisConnect` alone.
    let mut src = match Conn::tcp(&src_ip, src_port as u16) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Could not connect to Redis at {src_ip}:{src_port}: {}.", conn::io_message(&e));
            return false;
        }
    };
    let addr = format!("{src_ip}:{src_port}");
    if !import_source_ready(m, &mut src, &addr) {
        return false;
    }
    let mut owner: Vec<Option<usize>> = vec![None; SLOTS];
    for (s, o) in owner.iter_mut().enumerate() {
        *o = m.nodes.iter().position(|n| !n.is_slave() && n.slots_count != 0 && n.slots[s]);
    }
    let tail = migrate_options(m);
    import_keys(m, &mut src, &addr, &owner, &tail)
}

/// Prints the error a source node replied with.
fn source_error(addr: &str, e: &str) {
    err(&format!("Source {addr} replied with error:\n{e}\n"));
}

/// Authenticates to the import source (`--cluster-from-user`, `--cluster-from-pass`) and checks it is not a
/// cluster node; prints how many keys it has.
fn import_source_ready(m: &Mgr, src: &mut Conn, addr: &str) -> bool {
    if let Some(pass) = &m.o.from_pass {
        let r = match &m.o.from_user {
            Some(u) => src.command(&[b"AUTH".as_slice(), u, pass]),
            None => src.command(&[b"AUTH".as_slice(), pass]),
        };
        match r {
            Ok(Reply::Error(e)) => {
                eprintln!("AUTH failed: {}", err_text(&e));
                return false;
            }
            Err(_) => {
                eprint!("\nI/O error\n");
                return false;
            }
            Ok(_) => {}
        }
    }
    let info_text = match src.command(&["INFO"]) {
        Ok(Reply::Error(e)) => {
            source_error(addr, &err_text(&e));
            return false;
        }
        Ok(r) => text(&r),
        Err(_) => return false,
    };
    if info_field(&info_text, "cluster_enabled").unwrap_or(0) as i32 != 0 {
        err("[ERR] The source node should not be a cluster node.\n");
        return false;
    }
    let size = match src.command(&["DBSIZE"]) {
        Ok(Reply::Integer(n)) => n,
        Ok(Reply::Error(e)) => {
            source_error(addr, &err_text(&e));
            return false;
        }
        _ => return false,
    };
    warn(&format!("*** Importing {} keys from DB 0\n", size as i32));
    true
}

/// The options after MIGRATE's key, db and timeout: the cluster's credentials, `COPY`, `REPLACE`.
fn migrate_options(m: &Mgr) -> Vec<Vec<u8>> {
    let mut tail: Vec<Vec<u8>> = Vec::new();
    if let Some(pass) = &m.auth.pass {
        match &m.auth.user {
            Some(u) => tail.extend([b"AUTH2".to_vec(), u.clone(), pass.clone()]),
            None => tail.extend([b"AUTH".to_vec(), pass.clone()]),
        }
    }
    if m.flag(F_COPY) {
        tail.push(b"COPY".to_vec());
    }
    if m.flag(F_REPLACE) {
        tail.push(b"REPLACE".to_vec());
    }
    tail
}

/// Scans the source's keys and MIGRATEs each to the master that owns its slot.
fn import_keys(m: &Mgr, src: &mut Conn, addr: &str, owner: &[Option<usize>], tail: &[Vec<u8>]) -> bool {
    let timeout = m.o.timeout.to_string();
    let mut cursor = b"0".to_vec();
    loop {
        let r = match src.command(&[b"SCAN".as_slice(), &cursor, b"COUNT", b"1000"]) {
            Ok(Reply::Error(e)) => {
                source_error(addr, &err_text(&e));
                return false;
            }
            Ok(r) => r,
            Err(_) => return false,
        };
        let Reply::Array(parts) = r else { return false };
        let (Some(c), Some(Reply::Array(keys))) = (parts.first(), parts.get(1)) else { return false };
        cursor = match c {
            Reply::Integer(i) => i.to_string().into_bytes(),
            other => other.bytes().unwrap_or(b"0").to_vec(),
        };
        for k in keys {
            let Some(key) = k.bytes() else { continue };
            let key = format::cstr(key).to_vec();
            let slot = ferredis::cluster::key_hash_slot(&key);
            let Some(t) = owner[slot] else { return false };
            let (tip, tport) = (m.nodes[t].ip.clone(), m.nodes[t].port.to_string());
            say(&format!("Migrating {} to {tip}:{tport}: ", String::from_utf8_lossy(&key)));
            let mut a: Vec<Vec<u8>> = vec![
                b"MIGRATE".to_vec(),
                tip.into_bytes(),
                tport.into_bytes(),
                key,
                b"0".to_vec(),
                timeout.clone().into_bytes(),
            ];
            a.extend(tail.iter().cloned());
            match src.command(&a) {
                Ok(Reply::Error(e)) => {
                    source_error(addr, &err_text(&e));
                    return false;
                }
                Err(_) => return false,
                Ok(_) => ok("OK\n"),
            }
        }
        if ferredis::util::atoll(&cursor) == 0 {
            break;
        }
    }
    true
}

pub(super) fn node_json(n: &Node, errors: usize) -> String {
    let replicate = n.replicate.as_ref().map_or("null".to_string(), |r| format!("\"{r}\""));
    let mut j = format!(
        "  {{\n    \"name\": \"{}\",\n    \"host\": \"{}\",\n    \"port\": {},\n    \"replicate\": {replicate},\n    \"slots\": [{}],\n    \"slots_count\": {},\n    \"flags\": \"{}\",\n    \"current_epoch\": {}",
        n.name(),
        n.ip,
        n.port,
        slots_string(&n.slots).replace('-', ","),
        n.slots_count,
        n.flag_string(),
        n.current_epoch
    );
    if errors > 0 {
        j.push_str(&format!(",\n    \"cluster_errors\": {errors}"));
    }
    for (what, list) in [("migrating", &n.migrating), ("importing", &n.importing)] {
        if !list.is_empty() {
            let items: Vec<String> = list.iter().map(|(s, id)| format!("\"{s}\": \"{id}\"")).collect();
            j.push_str(&format!(",\n    \"{what}\": {{{}}}", items.join(",")));
        }
    }
    j.push_str("\n  }");
    j
}

pub(super) fn cmd_backup(m: &mut Mgr, base: &super::super::Config) -> bool {
    let args = m.o.args.clone();
    match load_cluster(m, &args[..1]) {
        Some(true) => {}
        _ => return false,
    }
    let no_issues = m.check_cluster(false);
    let nerr = if no_issues { 0 } else { m.errors.len() };
    let mut dir = String::from_utf8_lossy(&args[1]).into_owned();
    let shown = dir.clone();
    if !dir.ends_with('/') {
        dir.push('/');
    }
    let mut json = String::from("[\n");
    for i in 0..m.nodes.len() {
        if i > 0 {
            json.push_str(",\n");
        }
        json.push_str(&node_json(&m.nodes[i], nerr));
        let n = &m.nodes[i];
        if n.replicate.is_some() {
            continue;
        }
        info(&format!(">>> Node {}:{} -> Saving RDB...\n", n.ip, n.port));
        let mut cfg = base.clone();
        cfg.host = n.ip.clone();
        cfg.port = n.port;
        cfg.socket = None;
        cfg.input_dbnum = 0;
        let file = format!("{dir}redis-node-{}-{}-{}.rdb", n.ip, n.port, n.name());
        let mut cli = super::super::Cli::new(cfg);
        if !cli.connect(false, false) || super::super::modes::rdb_to(&mut cli, &file) != 0 {
            std::process::exit(1);
        }
    }
    json.push_str("\n]");
    let path = format!("{dir}nodes.json");
    info(&format!("Saving cluster configuration to: {path}\n"));
    if std::fs::write(&path, json).is_err() {
        err(&format!("Could not save nodes to: {path}\n"));
        ok("[ERR] Failed to back cluster!\n");
        return false;
    }
    if !no_issues {
        warn(
            "*** Cluster seems to have some problems, please be aware of it if you're going to restore this backup.\n",
        );
    }
    ok(&format!("[OK] Backup created into: {shown}\n"));
    true
}

/// (name, arity, arguments, options) of each subcommand, for validation and `--cluster help`.
pub(super) const COMMANDS: &[(&str, i32, &str, &str)] = &[
    ("create", -2, "host1:port1 ... hostN:portN", "replicas <arg>"),
    ("check", -1, "<host:port> or <host> <port> - separated by either colon or space", "search-multiple-owners"),
    ("info", -1, "<host:port> or <host> <port> - separated by either colon or space", ""),
    (
        "fix",
        -1,
        "<host:port> or <host> <port> - separated by either colon or space",
        "search-multiple-owners,fix-with-unreachable-masters",
    ),
    (
        "reshard",
        -1,
        "<host:port> or <host> <port> - separated by either colon or space",
        "from <arg>,to <arg>,slots <arg>,yes,timeout <arg>,pipeline <arg>,replace",
    ),
    (
        "rebalance",
        -1,
        "<host:port> or <host> <port> - separated by either colon or space",
        "weight <node1=w1...nodeN=wN>,use-empty-masters,timeout <arg>,simulate,pipeline <arg>,threshold <arg>,replace",
    ),
    ("add-node", 2, "new_host:new_port existing_host:existing_port", "slave,master-id <arg>"),
    ("del-node", 2, "host:port node_id", ""),
    ("call", -2, "host:port command arg arg .. arg", "only-masters,only-replicas"),
    ("set-timeout", 2, "host:port milliseconds", ""),
    ("import", 1, "host:port", "from <arg>,from-user <arg>,from-pass <arg>,from-askpass,copy,replace"),
    ("backup", 2, "host:port backup_directory", ""),
    ("help", 0, "", ""),
];

pub(super) fn cmd_help() -> bool {
    let mut s = String::from("Cluster Manager Commands:\n");
    let pad = 15;
    for (name, _, args, opts) in COMMANDS {
        s.push_str(&format!("  {name}{}{args}\n", " ".repeat(pad - name.len())));
        for o in opts.split(',').filter(|o| !o.is_empty()) {
            s.push_str(&format!("{}  --cluster-{o}\n", " ".repeat(pad)));
        }
    }
    s.push_str("\nFor check, fix, reshard, del-node, set-timeout, info, rebalance, call, import, backup you can specify the host and port of any working node in the cluster.\n");
    s.push_str("\nCluster Manager Options:\n  --cluster-yes  Automatic yes to cluster commands prompts\n\n");
    say(&s);
    false
}

/// Runs the `--cluster` command; returns the exit status.
pub fn run(o: Opts, cfg: &super::super::Config) -> i32 {
    let Some(&(_, arity, _, _)) = COMMANDS.iter().find(|c| c.0 == o.name) else {
        eprintln!("Unknown --cluster subcommand");
        return 1;
    };
    let argc = o.args.len() as i32;
    if (arity > 0 && argc != arity) || (arity < 0 && argc < -arity) {
        eprintln!("[ERR] Wrong number of arguments for specified --cluster sub command");
        return 1;
    }
    COLOR.store(std::env::var("TERM").is_ok_and(|t| t.contains("xterm")), Ordering::Relaxed);
    let mut m = Mgr {
        nodes: Vec::new(),
        errors: Vec::new(),
        unreachable_masters: 0,
        o,
        auth: Auth { user: cfg.user.clone(), pass: cfg.auth.clone(), tls: cfg.tls.clone() },
        verbose: cfg.verbose,
        mb_delim: cfg.mb_delim.clone(),
        rng: Rng::new(),
    };
    let good = match m.o.name.as_str() {
        "create" => cmd_create(&mut m),
        "check" => cmd_check(&mut m),
        "info" => cmd_info(&mut m),
        "fix" => {
            m.o.flags |= F_FIX;
            cmd_check(&mut m)
        }
        "reshard" => cmd_reshard(&mut m),
        "rebalance" => cmd_rebalance(&mut m),
        "add-node" => cmd_add_node(&mut m),
        "del-node" => cmd_del_node(&mut m),
        "call" => cmd_call(&mut m),
        "set-timeout" => cmd_set_timeout(&mut m),
        "import" => cmd_import(&mut m),
        "backup" => cmd_backup(&mut m, cfg),
        _ => cmd_help(),
    };
    if good {
        0
    } else {
        1
    }
}
