//! The `lever-hooks` binary: the library's CLI with the built-in handlers, on jemalloc.

#![forbid(unsafe_code)]

/// jemalloc with its background thread on: memory freed after a burst of connections
/// (a flood of stalled bodies) goes back to the system within seconds, even when the
/// server is idle afterwards, where glibc's malloc kept most of it.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    lever_hooks::cli::main()
}
