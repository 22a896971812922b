//! A user's own binary: lever-hooks' whole CLI plus the plugin kind `hire-announcement`.
//!
//! ```text
//! cargo run --example hire_announcement -- check-config --config examples/hire_announcement/hire_announcement.toml
//! cargo run --example hire_announcement -- serve --config examples/hire_announcement/hire_announcement.toml
//! ```
//!
//! The config names the kind like a built-in one:
//!
//! ```toml
//! [handlers.announce]
//! kind = "hire-announcement"
//! url = "https://hooks.example.com/announce"
//! ```

mod announce;

use lever_hooks::handler::HandlerRegistry;
use std::process::ExitCode;

fn main() -> ExitCode {
    lever_hooks::cli::main_with(
        HandlerRegistry::new().register_kind::<announce::HireAnnouncement>(),
    )
}
