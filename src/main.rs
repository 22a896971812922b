//! The `lever-hooks` binary: the library's CLI with the built-in handlers.

fn main() -> std::process::ExitCode {
    lever_hooks::cli::main()
}
