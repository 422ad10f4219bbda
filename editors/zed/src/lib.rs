// Starts `didml lsp --stdio` for XML files: the didml on the worktree's PATH (npm install -g
// didml, or the project's node_modules/.bin through the shell environment Zed gives it).
use zed_extension_api::{self as zed, LanguageServerId, Result};

struct Didml;

impl zed::Extension for Didml {
    fn new() -> Self {
        Didml
    }

    fn language_server_command(&mut self, _id: &LanguageServerId, worktree: &zed::Worktree) -> Result<zed::Command> {
        let command = worktree
            .which("didml")
            .ok_or_else(|| "didml is not on the PATH: install it with npm install -g didml".to_string())?;
        Ok(zed::Command {
            command,
            args: vec!["lsp".to_string(), "--stdio".to_string()],
            env: worktree.shell_env(),
        })
    }
}

zed::register_extension!(Didml);
