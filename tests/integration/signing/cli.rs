//! `pixgate sign` (contract §7): the URL it prints is accepted by a server running the same
//! configuration, for both schemes, with an expiry, a method, another source and transforms.

use pixgate::config::Config;

use crate::support::binary::run_pixgate;
use crate::support::images::{decode, gradient_png};
use crate::support::reply::Reply;
use crate::support::server::TestServer;

const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"

[[sources]]
name = "demo"
root = "pics"
secure = true
md5_tokens = ["demo-token"]
hmac_keys = ["demo-key"]

[[sources]]
name = "shop"
root = "shop"
prefix = "/shop"
secure = true
md5_tokens = ["shop-token"]
hmac_keys = ["shop-key"]
"#;

/// The config file and its two roots, and a server built from the same file.
struct Setup {
    dir: tempfile::TempDir,
    server: TestServer,
}

impl Setup {
    async fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        for folder in ["pics", "shop"] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
        }
        std::fs::write(dir.path().join("pics/photo.png"), gradient_png(200, 100)).unwrap();
        std::fs::create_dir(dir.path().join("pics/albums")).unwrap();
        std::fs::write(
            dir.path().join("pics/albums/cat été+1.png"),
            gradient_png(40, 20),
        )
        .unwrap();
        std::fs::write(dir.path().join("shop/item.png"), gradient_png(50, 50)).unwrap();
        let path = dir.path().join("pixgate.toml");
        std::fs::write(&path, CONFIG).unwrap();
        let config = Config::load(&path, &pixgate::config::Env::default()).unwrap();
        let server = TestServer::start(config).await;
        Setup { dir, server }
    }

    /// Runs `pixgate sign ARGS --config FILE` and returns the printed URL's path and query.
    fn sign(&self, args: &[&str]) -> String {
        let config = self.dir.path().join("pixgate.toml").display().to_string();
        let mut all = vec!["sign"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--config", &config]);
        let (ok, stdout, stderr) = run_pixgate(&all, &[]);
        assert!(ok, "pixgate {args:?} failed: {stderr}");
        let url = stdout.trim();
        let after_scheme = url
            .split_once("://")
            .unwrap_or_else(|| panic!("not a URL: {url}"))
            .1;
        let path = &after_scheme[after_scheme.find('/').unwrap()..];
        path.to_string()
    }

    async fn get_signed(&self, args: &[&str]) -> (String, Reply) {
        let path = self.sign(args);
        let reply = self.server.get(&path).await;
        (path, reply)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_urls_from_the_cli_are_accepted_by_the_server() {
    let setup = Setup::new().await;
    let original = std::fs::read(setup.dir.path().join("pics/photo.png")).unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["photo.png"], "s="),
        (&["photo.png", "--scheme", "md5"], "s="),
        (&["photo.png", "--scheme", "hmac"], "signature="),
        (&["photo.png", "--method", "get"], "method=get"),
        (
            &["photo.png", "--scheme", "hmac", "--method", "get"],
            "method=get",
        ),
        (&["/photo.png", "--scheme", "md5"], "s="),
        (&["item.png", "--source", "shop"], "s="),
        (
            &["item.png", "--source", "shop", "--scheme", "hmac"],
            "signature=",
        ),
    ];
    for (args, marker) in cases {
        let (path, reply) = setup.get_signed(args).await;
        assert!(path.contains(marker), "{args:?}: {path}");
        reply.assert_status(200);
        if args[0].ends_with("photo.png") {
            assert_eq!(reply.body, original, "{args:?}");
        }
        if args.contains(&"shop") {
            assert!(path.starts_with("/shop/item.png?"), "{path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_expiry_is_honoured_and_bounds_max_age() {
    let setup = Setup::new().await;
    for (scheme, name) in [("md5", "expires="), ("hmac", "expiry=")] {
        let args = ["photo.png", "--scheme", scheme, "--expires-in", "10m"];
        let (path, reply) = setup.get_signed(&args).await;
        assert!(path.contains(name), "{path}");
        reply.assert_status(200);
        // Ten minutes from when the CLI ran, less however long this test has taken since.
        let max_age = reply.max_age();
        assert!((540..=600).contains(&max_age), "max-age {max_age}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_transform_parameters_are_signed_and_applied() {
    let setup = Setup::new().await;
    for scheme in ["md5", "hmac"] {
        let args = ["photo.png", "w=120", "fm=png", "--scheme", scheme];
        let (path, reply) = setup.get_signed(&args).await;
        assert!(path.starts_with("/photo.png?w=120&fm=png&"), "{path}");
        reply.assert_image("png");
        assert_eq!(decode(&reply.body).dimensions(), (120, 60));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_put_url_is_refused_for_get() {
    let setup = Setup::new().await;
    for scheme in ["md5", "hmac"] {
        let (path, reply) = setup
            .get_signed(&["photo.png", "--method", "put", "--scheme", scheme])
            .await;
        assert!(path.contains("method=put"), "{path}");
        reply.assert_error(403, "method_mismatch");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_signs_paths_that_need_percent_encoding() {
    let setup = Setup::new().await;
    for scheme in ["md5", "hmac"] {
        let args = ["albums/cat été+1.png", "w=20", "--scheme", scheme];
        let (path, reply) = setup.get_signed(&args).await;
        assert!(path.starts_with("/albums/cat%20%C3%A9t%C3%A9"), "{path}");
        reply.assert_image("png");
        assert_eq!(decode(&reply.body).width(), 20);
    }
}
