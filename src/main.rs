//! `ferredis-server [config-file | -] [--directive value ...]`

fn main() {
    let config = match ferredis::config::load(std::env::args().collect()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.message);
            std::process::exit(1);
        }
    };
    std::process::exit(ferredis::server::start(config));
}
