//! `ferredis-server [config-file | -] [--directive value ...]`

fn main() {
    // Before anything reads the environment: the title area and a copy of the arguments.
    ferredis::sys::proctitle::init();
    let config = match ferredis::config::load(
        ferredis::sys::proctitle::original_args().iter().map(|a| a.to_string_lossy().into_owned()).collect(),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.message);
            std::process::exit(1);
        }
    };
    std::process::exit(ferredis::server::start(config));
}
