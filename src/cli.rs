//! The `pixgate` command line as clap defines it: every subcommand and flag with its help
//! text, and the shell completions and man pages generated from that one definition. It only
//! describes arguments; `main.rs` carries them out.

use std::io::Write;
use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// `--config`'s default when `PIXGATE_CONFIG` is unset. The variable lets one setting (the
/// container image's) point `serve` and its `health` probe at the same file.
pub const DEFAULT_CONFIG: &str = "pixgate.toml";

/// The program's name in completions and man pages.
const NAME: &str = "pixgate";

#[derive(Parser)]
#[command(
    name = NAME,
    version,
    about = "An image transformation CDN origin with signed URLs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the origin server.
    Serve {
        /// Configuration file.
        #[arg(long, env = "PIXGATE_CONFIG", default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Print a signed URL the server accepts.
    Sign {
        /// The path inside the source, e.g. `private/image.png`.
        path: String,
        /// Transform parameters as `name=value`, in the order they should appear.
        params: Vec<String>,
        /// Configuration file holding the source and its secrets.
        #[arg(long, env = "PIXGATE_CONFIG", default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// The source whose secret signs (default: the first).
        #[arg(long)]
        source: Option<String>,
        /// `md5` (the `s` parameter) or `hmac` (`signature`). Default: md5 if the source has
        /// md5_tokens, else hmac.
        #[arg(long, value_enum)]
        scheme: Option<SchemeArg>,
        /// Lifetime such as `10m`, `1h`, `7d` (default: no expiry).
        #[arg(long)]
        expires_in: Option<String>,
        /// The HTTP method the URL is good for: `put` signs an upload (default: get).
        #[arg(long, value_enum)]
        method: Option<MethodArg>,
        /// Origin to put in front of the path (default: http:// + server.listen).
        #[arg(long)]
        base: Option<String>,
    },
    /// Validate a configuration file; exits non-zero with the problems when it is wrong.
    CheckConfig {
        /// Configuration file to validate.
        #[arg(long, env = "PIXGATE_CONFIG", default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Exit 0 when the server answers `/_pixgate/health` with 200 within 2 s, else 1 with the
    /// reason: a container health check that needs neither a shell nor curl.
    Health {
        /// Where the server's `server.listen` is read from (unless `--url` is given).
        #[arg(long, env = "PIXGATE_CONFIG", default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// The URL to GET (default: `http://<server.listen>/_pixgate/health`, with an
        /// unspecified address such as 0.0.0.0 replaced by loopback).
        #[arg(long)]
        url: Option<String>,
    },
    /// Time the render pipeline over files or folders of images with one transform.
    Bench(BenchArgs),
    /// Print the completion script for a shell, e.g. `pixgate completions bash`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), of pixgate or of one subcommand, e.g. `pixgate man bench`.
    Man {
        /// The subcommand whose page to print (default: pixgate's own).
        subcommand: Option<String>,
    },
    /// Internal: decodes one AV1 item from stdin for `serve` (a crash stays in this process).
    #[command(hide = true)]
    DecodeAv1,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Image files, or folders whose images (directly inside) are all used.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output width in pixels (the `w` parameter).
    #[arg(long, conflicts_with = "srcset")]
    pub w: Option<String>,
    /// Widths rendered one after the other per sample, as a page's srcset asks for them
    /// (`320,640,960`); the decode one render keeps serves the next, as in the server
    /// (`cache.mezzanine_max_bytes`).
    #[arg(long, value_name = "W,W,...", value_delimiter = ',')]
    pub srcset: Vec<String>,
    /// Output height in pixels (the `h` parameter).
    #[arg(long)]
    pub h: Option<String>,
    /// Output format: jpg, pjpg, png, webp, avif, gif.
    #[arg(long)]
    pub fm: Option<String>,
    /// Output quality, 0–100 (the `q` parameter).
    #[arg(long)]
    pub q: Option<String>,
    /// How the image fits `w`×`h`: clip, crop, fill, max, min, scale… (the `fit` parameter).
    #[arg(long)]
    pub fit: Option<String>,
    /// Device pixel ratio multiplying `w` and `h` (the `dpr` parameter).
    #[arg(long)]
    pub dpr: Option<String>,
    /// Any other transform parameter, as `name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Timed renders per file.
    #[arg(long, default_value_t = 10)]
    pub iterations: u32,
    /// Untimed renders per file first.
    #[arg(long, default_value_t = 1)]
    pub warmup: u32,
    /// Renders at once.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress bar on stderr.
    #[arg(long)]
    pub no_progress: bool,
    /// Take `[limits]` from this config file (default: the built-in defaults).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Also write one render to this file, to look at or measure (one input file, one width).
    #[arg(long, value_name = "FILE", conflicts_with = "srcset")]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    /// imgix's MD5 secure token, the `s` parameter.
    Md5,
    /// HMAC-SHA256, the `signature` parameter.
    Hmac,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// A URL to read.
    Get,
    /// A URL to upload to.
    Put,
}

/// Writes `shell`'s completion script for every subcommand and flag.
pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), NAME, out);
}

/// Writes the man page of pixgate (`subcommand` `None`) or of one visible subcommand, named
/// `pixgate-<subcommand>`.
///
/// # Errors
/// An unknown or hidden subcommand (the message lists the known ones), or a failed write.
pub fn write_man_page(subcommand: Option<&str>, out: &mut dyn Write) -> anyhow::Result<()> {
    let command = Cli::command();
    let page = match subcommand {
        None => command,
        Some(name) => {
            let found = command
                .get_subcommands()
                .find(|c| c.get_name() == name && !c.is_hide_set());
            match found {
                Some(sub) => sub.clone().name(format!("{NAME}-{name}")),
                None => anyhow::bail!(
                    "no subcommand `{name}`; man pages exist for: {}",
                    visible_subcommands().join(", ")
                ),
            }
        }
    };
    // The footer names the program and its version on every page, subcommands' included.
    clap_mangen::Man::new(page)
        .source(format!("{NAME} {}", env!("CARGO_PKG_VERSION")))
        .render(out)?;
    Ok(())
}

/// The names of the subcommands `--help` lists.
fn visible_subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of every command, with its command's name, that `--help` shows without
    /// a line of help. clap's own `--help` and `--version` always have one.
    fn arguments_without_help(command: &clap::Command, path: &str) -> Vec<String> {
        let mut missing: Vec<String> = command
            .get_arguments()
            .filter(|a| a.get_help().is_none() && a.get_long_help().is_none())
            .map(|a| format!("{path} {}", a.get_id()))
            .collect();
        for sub in command.get_subcommands() {
            missing.extend(arguments_without_help(
                sub,
                &format!("{path} {}", sub.get_name()),
            ));
        }
        missing
    }

    #[test]
    fn every_flag_and_argument_of_every_subcommand_has_help() {
        let mut command = Cli::command();
        command.build();
        assert_eq!(arguments_without_help(&command, NAME), Vec::<String>::new());
    }

    #[test]
    fn every_subcommand_says_what_it_does() {
        let command = Cli::command();
        let silent: Vec<&str> = command
            .get_subcommands()
            .filter(|c| c.get_about().is_none())
            .map(|c| c.get_name())
            .collect();
        assert_eq!(silent, Vec::<&str>::new());
    }

    #[test]
    fn the_definition_passes_clap_debug_asserts() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_man_page_exists_for_each_visible_subcommand_and_none_for_hidden_ones() {
        for name in visible_subcommands() {
            let mut page = Vec::new();
            write_man_page(Some(&name), &mut page).unwrap();
            let page = String::from_utf8(page).unwrap();
            let title = format!(".TH {NAME}-{name} 1 ");
            assert!(
                page.lines().any(|l| l.starts_with(&title)),
                "{name}: {page}"
            );
        }
        assert!(write_man_page(Some("decode-av1"), &mut Vec::new()).is_err());
        assert!(write_man_page(Some("nope"), &mut Vec::new()).is_err());
    }
}
