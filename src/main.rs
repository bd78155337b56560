//! `ferredis-server [config-file | -] [--directive value ...]`

fn main() {
    // The allocator's tunables, before the first big allocation (see alloc::configure).
    ferredis::alloc::configure();
    // Before anything reads the environment: the title area and a copy of the arguments.
    ferredis::sys::proctitle::init();
    let mut config = match ferredis::config::load(
        ferredis::sys::proctitle::original_args().iter().map(|a| a.to_string_lossy().into_owned()).collect(),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.message);
            std::process::exit(1);
        }
    };
    // Container images: FERREDIS_PASSWORD / FERREDIS_PASSWORD_FILE (see env_password).
    if let Err(e) = ferredis::env_password::apply_process_env(&mut config) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    std::process::exit(ferredis::server::startup::start(config));
}
