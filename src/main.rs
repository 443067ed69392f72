//! The `pixgate` command: `serve`, `sign`, `check-config`, `health`, `bench`, `completions`,
//! `man`. Carries out the arguments `pixgate::cli` defines: loads the config, sets up logging
//! and hands over to the library.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use pixgate::app::{AppState, system_clock};
use pixgate::cli::{BenchArgs, Cli, Command, MethodArg, SchemeArg};
use pixgate::config::{Config, Env, LogFormat, SourceConfig, parse_duration};
use pixgate::signature::{Method, Scheme};
use pixgate::signed_url::{self, UrlSpec};

mod allocator;
mod health_check;

fn main() -> ExitCode {
    allocator::release_memory_eagerly();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pixgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config } => serve(&config),
        Command::Health { config, url } => {
            let url = match url {
                Some(url) => url,
                None => health_check::default_url(load(&config)?.server.listen),
            };
            health_check::probe(&url, health_check::TIMEOUT).map_err(anyhow::Error::msg)
        }
        Command::DecodeAv1 => pixgate::render::av1_child_main().context("decode-av1"),
        Command::Bench(args) => bench(args),
        Command::Completions { shell } => {
            pixgate::cli::write_completions(shell, &mut std::io::stdout().lock());
            Ok(())
        }
        Command::Man { subcommand } => {
            pixgate::cli::write_man_page(subcommand.as_deref(), &mut std::io::stdout().lock())
        }
        Command::CheckConfig { config } => {
            let config = load(&config)?;
            let fonts = pixgate::app::fonts::load(config.text.fonts_dir.as_deref())
                .map_err(anyhow::Error::msg)
                .context("text.fonts_dir")?;
            println!(
                "configuration ok: {} source(s), {} font face(s) besides the shipped ones",
                config.sources.len(),
                fonts.extra_faces()
            );
            Ok(())
        }
        Command::Sign {
            path,
            params,
            config,
            source,
            scheme,
            expires_in,
            method,
            base,
        } => {
            let config = load(&config)?;
            let source = pick_source(&config, source.as_deref())?;
            let params = name_values(&params)?;
            let expires_at = match expires_in {
                Some(d) => {
                    let d = parse_duration(&d).map_err(anyhow::Error::msg)?;
                    Some(unix_now() + d.as_secs())
                }
                None => None,
            };
            let spec = UrlSpec {
                key: &path,
                params: &params,
                scheme: match scheme {
                    Some(SchemeArg::Md5) => Scheme::Md5,
                    Some(SchemeArg::Hmac) => Scheme::Hmac,
                    None => signed_url::default_scheme(source),
                },
                expires_at,
                method: method.map(|m| match m {
                    MethodArg::Get => Method::Get,
                    MethodArg::Put => Method::Put,
                }),
            };
            let url = signed_url::signed_path_and_query(source, &spec)?;
            let base = base.unwrap_or_else(|| format!("http://{}", config.server.listen));
            println!("{}{url}", base.trim_end_matches('/'));
            Ok(())
        }
    }
}

/// `name=value` arguments as pairs.
fn name_values(args: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    args.iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .with_context(|| format!("parameter `{p}` is not name=value"))
        })
        .collect()
}

fn bench(args: BenchArgs) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    let shorthand = [
        ("w", &args.w),
        ("h", &args.h),
        ("fm", &args.fm),
        ("q", &args.q),
        ("fit", &args.fit),
        ("dpr", &args.dpr),
    ];
    let mut params: Vec<(String, String)> = shorthand
        .iter()
        .filter_map(|(name, value)| Some((name.to_string(), (*value).clone()?)))
        .collect();
    params.extend(name_values(&args.params)?);
    let transforms = if args.srcset.is_empty() {
        let parsed = pixgate::transform::parse(&params).context("transform parameters")?;
        vec![parsed.transform]
    } else {
        let mut transforms = Vec::new();
        for w in &args.srcset {
            let mut params = params.clone();
            params.push(("w".to_string(), w.clone()));
            let parsed = pixgate::transform::parse(&params).context("transform parameters")?;
            transforms.push(parsed.transform);
        }
        transforms
    };
    let (mut limits, encoding, cache) = match &args.config {
        Some(path) => {
            let config = load(path)?;
            (config.limits, config.encoding, config.cache)
        }
        None => Default::default(),
    };
    // As `serve` does: AV1 in a child process.
    limits.av1_decoder = Some(std::env::current_exe()?);
    let limits = pixgate::render::Limits {
        mezzanine_bytes: cache.mezzanine_max_bytes,
        ..pixgate::render::Limits::from_config(&limits, &encoding)
    };
    let inputs = pixgate::bench::read_inputs(&args.paths)?;
    if args.out.is_some() && inputs.len() != 1 {
        bail!(
            "--out writes one render: give one image file ({} images given)",
            inputs.len()
        );
    }
    let plan = pixgate::bench::Plan {
        inputs: &inputs,
        transforms: &transforms,
        iterations: args.iterations,
        warmup: args.warmup,
        threads: args.threads,
        limits: &limits,
    };
    let show = !args.no_progress && std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if show {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}", pixgate::bench::progress_bar(done, total));
            let _ = err.flush();
        }
    };
    let report = pixgate::bench::run(&plan, &progress)?;
    if show {
        eprintln!();
    }
    if let (Some(out), [input]) = (&args.out, inputs.as_slice()) {
        let bytes = pixgate::bench::render_bytes(&plan, input)?;
        std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}

fn load(path: &Path) -> anyhow::Result<Config> {
    // ConfigError already names the file and every problem; no extra context needed.
    Config::load(path, &Env::from_process()).map_err(|e| anyhow::anyhow!("{e}"))
}

fn pick_source<'a>(config: &'a Config, name: Option<&str>) -> anyhow::Result<&'a SourceConfig> {
    match name {
        Some(name) => match config.sources.iter().find(|s| s.name == name) {
            Some(s) => Ok(s),
            None => bail!("no source named `{name}` in the configuration"),
        },
        None => config
            .sources
            .first()
            .context("the configuration has no source"),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Threads for blocking file work, per core.
const BLOCKING_THREADS_PER_CORE: usize = 8;

fn num_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn serve(path: &Path) -> anyhow::Result<()> {
    let mut config = load(path)?;
    // AV1 is decoded by this same binary in a child process (see `render::decode::av1_child`).
    config.limits.av1_decoder =
        Some(std::env::current_exe().context("finding this program for AV1 decoding")?);
    init_logging(config.log.format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // File work (uploads, passthrough opens, originals) runs on tokio's blocking pool,
        // which otherwise grows to 512 threads while fsyncs are slow; every thread keeps its
        // own allocator pages, so 48 concurrent uploads held ~400 MiB in 147 threads. Disk
        // work gains nothing from more parallelism than this.
        .max_blocking_threads(BLOCKING_THREADS_PER_CORE * num_cores())
        .thread_keep_alive(Duration::from_secs(5))
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let addr = listener.local_addr()?;
        // A signed example is a working credential for an hour: worth printing for someone
        // trying pixgate on their own machine, not into a production log.
        let examples = if addr.ip().is_loopback() {
            example_urls(&config, &format!("http://{addr}"))
        } else {
            Vec::new()
        };
        let state = AppState::new(config, system_clock())
            .context("opening sources, render workers and fonts")?;
        tracing::info!("pixgate listening on http://{addr}");
        for (what, url) in examples {
            tracing::info!("example {what}: {url}");
        }
        let stopped = pixgate::http::run(listener, state, shutdown_signals()?).await?;
        if let pixgate::http::Stopped::Forced { .. } = stopped {
            // Render workers and file writes are not waited for: that is what was asked.
            std::process::exit(EXIT_FORCED);
        }
        tracing::info!("pixgate stopped");
        Ok(())
    })
}

/// A public transform and a signed private URL, built from the first source's files, so a
/// new user can paste them into curl. Only for a local first source: listing a bucket or an
/// origin at start-up is not worth a request.
fn example_urls(config: &Config, base: &str) -> Vec<(&'static str, String)> {
    let Some((source, root)) = config
        .sources
        .first()
        .and_then(|s| s.root.local().map(|root| (s, root)))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let public = first_image(root, "");
    if let Some(key) = public.filter(|_| !source.secure) {
        out.push((
            "transform",
            format!("{base}{}/{key}?w=300&fm=webp", source.prefix),
        ));
    }
    let private_dir = source.private_prefixes.first().map_or("", |p| p.as_str());
    if let Some(key) = first_image(root, private_dir) {
        let params = [("w".to_string(), "200".to_string())];
        let spec = UrlSpec {
            key: &key,
            params: &params,
            scheme: signed_url::default_scheme(source),
            expires_at: Some(unix_now() + 3600),
            method: None,
        };
        if let Ok(url) = signed_url::signed_path_and_query(source, &spec) {
            out.push(("signed (valid 1h)", format!("{base}{url}")));
        }
    }
    out
}

/// The alphabetically first JPEG or PNG directly inside `root/dir`, as a key.
fn first_image(root: &Path, dir: &str) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jpg") || n.ends_with(".png"))
        .collect();
    names.sort();
    let name = names.into_iter().next()?;
    Some(format!("{dir}{name}").trim_start_matches('/').to_string())
}

/// Log level from `RUST_LOG` (`info`, or per target such as `pixgate=debug,info`); `info` when
/// unset or unreadable. `Targets` parses these directives without pulling in a regex engine.
/// The exit status after a second signal cut the drain short.
const EXIT_FORCED: i32 = 1;

fn init_logging(format: LogFormat) {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::prelude::*;
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => registry.with(tracing_subscriber::fmt::layer()).init(),
        // Fields at the top level of each object, as Loki's and Elasticsearch's JSON parsers
        // expect them. No span fields: pixgate opens no spans, and every line names its request.
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false),
            )
            .init(),
    }
}

/// SIGTERM and SIGINT, each time one arrives: the first starts the drain, a second ends it.
fn shutdown_signals() -> anyhow::Result<impl futures_util::Stream<Item = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    Ok(futures_util::stream::unfold(
        (terminate, interrupt),
        |(mut terminate, mut interrupt)| async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
            Some(((), (terminate, interrupt)))
        },
    ))
}
