//! `deploy/kubernetes` as `kubectl kustomize` renders it, checked against the pixgate.toml its
//! ConfigMap carries, loaded by pixgate's own config loader with the environment the pod gets:
//! probes, grace period, memory request, secrets, writable paths, disruption budget, autoscaler.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use pixgate::config::{Config, ConfigError, Env, Root};
use serde_json::Value;

const MIB: u64 = 1024 * 1024;

/// The example: the base and the autoscaling component.
static EXAMPLE: LazyLock<Option<Rendered>> =
    LazyLock::new(|| kubectl().map(|k| Rendered::of(&k, "deploy/kubernetes")));
static BASE: LazyLock<Option<Rendered>> =
    LazyLock::new(|| kubectl().map(|k| Rendered::of(&k, "deploy/kubernetes/base")));

/// The objects of one kustomization, as JSON.
struct Rendered(Vec<Value>);

impl Rendered {
    /// `kubectl kustomize DIR`, turned into JSON by `kubectl label --local` removing a label
    /// nothing has: kubectl's one way to convert manifests without a cluster.
    fn of(kubectl: &Path, dir: &str) -> Rendered {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let yaml = run(Command::new(kubectl).arg("kustomize").arg(&dir), None);
        let json = run(
            Command::new(kubectl).args([
                "label",
                "--local",
                "-f",
                "-",
                "-o",
                "json",
                "pixgate.test/absent-",
            ]),
            Some(yaml),
        );
        let objects = serde_json::Deserializer::from_slice(&json)
            .into_iter::<Value>()
            .collect::<Result<Vec<_>, _>>()
            .expect("kubectl's JSON");
        Rendered(objects)
    }

    fn all(&self, kind: &str) -> Vec<&Value> {
        self.0.iter().filter(|o| o["kind"] == kind).collect()
    }

    #[track_caller]
    fn one(&self, kind: &str) -> &Value {
        let found = self.all(kind);
        assert_eq!(found.len(), 1, "one {kind}");
        found[0]
    }

    fn named(&self, kind: &str, name: &str) -> Option<&Value> {
        self.all(kind)
            .into_iter()
            .find(|o| o["metadata"]["name"] == name)
    }

    fn container(&self) -> &Value {
        let containers = &self.one("Deployment")["spec"]["template"]["spec"]["containers"];
        assert_eq!(
            containers.as_array().map(Vec::len),
            Some(1),
            "one container"
        );
        &containers[0]
    }

    /// The container's environment, each `secretKeyRef` read from the rendered Secret.
    fn pod_env(&self) -> Vec<(String, String)> {
        let env = self.container()["env"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        env.iter()
            .map(|var| {
                let name = text(&var["name"]).to_string();
                let value = match var.get("value") {
                    Some(value) => text(value).to_string(),
                    None => self.secret_value(&var["valueFrom"]["secretKeyRef"], &name),
                };
                (name, value)
            })
            .collect()
    }

    #[track_caller]
    fn secret_value(&self, reference: &Value, variable: &str) -> String {
        let name = text(&reference["name"]);
        let key = text(&reference["key"]);
        let secret = self
            .named("Secret", name)
            .unwrap_or_else(|| panic!("{variable}: no Secret {name}"));
        secret["stringData"][key]
            .as_str()
            .unwrap_or_else(|| panic!("{variable}: Secret {name} has no key {key}"))
            .to_string()
    }

    /// The ConfigMap's pixgate.toml, loaded as `pixgate serve` would in the pod.
    fn load_config(&self, env: Vec<(String, String)>) -> Result<Config, ConfigError> {
        let toml = text(&self.one("ConfigMap")["data"]["pixgate.toml"]);
        let env: Env = env.into_iter().collect();
        Config::from_toml(toml, Path::new("/etc/pixgate"), &env)
    }

    /// [`Rendered::load_config`] with the pod's environment, which must be valid.
    fn pixgate_config(&self) -> Config {
        self.load_config(self.pod_env())
            .unwrap_or_else(|e| panic!("the ConfigMap's pixgate.toml: {e}"))
    }
}

/// kubectl, or `None` when it is not installed (see [`peers`](crate::support::peers)).
fn kubectl() -> Option<PathBuf> {
    crate::support::peers::find("kubectl", "PIXGATE_KUBECTL", "/usr/bin/kubectl")
}

fn run(command: &mut Command, stdin: Option<Vec<u8>>) -> Vec<u8> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let input = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        use std::io::Write as _;
        let mut input = input;
        input.write_all(&stdin.unwrap_or_default())
    });
    let output = child.wait_with_output().expect("kubectl's output");
    writer.join().expect("writer").expect("kubectl's input");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[track_caller]
fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// A Kubernetes memory quantity in bytes (`660Mi`, `1Gi`, `512Ki`, or bytes).
fn bytes(quantity: &str) -> u64 {
    let units = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)];
    let (digits, unit) = units
        .iter()
        .find_map(|(suffix, unit)| Some((quantity.strip_suffix(suffix)?, *unit)))
        .unwrap_or((quantity, 1));
    digits.parse::<u64>().expect("a whole quantity") * unit
}

#[test]
fn the_pod_probes_health_and_readiness_and_outlives_its_shutdown() {
    let Some(example) = &*EXAMPLE else {
        return;
    };
    let container = example.container();
    let config = example.pixgate_config();
    let port = &container["ports"][0];
    assert_eq!(port["containerPort"], config.server.listen.port());
    for (probe, path) in [
        ("livenessProbe", "/_pixgate/health"),
        ("readinessProbe", "/_pixgate/ready"),
    ] {
        assert_eq!(container[probe]["httpGet"]["path"], path, "{probe}");
        assert_eq!(container[probe]["httpGet"]["port"], port["name"], "{probe}");
    }
    let service = example.one("Service");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], port["name"]);

    let pod = &example.one("Deployment")["spec"]["template"]["spec"];
    let grace = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("a grace period");
    let pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_u64()
        .unwrap_or(0);
    let shutdown = config.server.shutdown_timeout.as_secs();
    assert!(
        grace > pause + shutdown,
        "grace {grace} s: preStop {pause} s + shutdown_timeout {shutdown} s must fit"
    );

    let config_path = container["args"]
        .as_array()
        .and_then(|args| args.windows(2).find(|w| w[0] == "--config"))
        .map(|w| text(&w[1]).to_string())
        .expect("serve --config PATH");
    let mount = container["volumeMounts"]
        .as_array()
        .and_then(|mounts| mounts.iter().find(|m| m["name"] == "config"))
        .expect("the config volume is mounted");
    assert_eq!(
        config_path,
        format!("{}/pixgate.toml", text(&mount["mountPath"]))
    );
}

#[test]
fn the_memory_request_is_the_documented_formula_of_the_configmap() {
    let Some(example) = &*EXAMPLE else {
        return;
    };
    let config = example.pixgate_config();
    let (cache, limits) = (&config.cache, &config.limits);
    // docs/operations.md#memory, each render at its limits: its original, the source decoded
    // to 4 bytes a pixel, and the largest output at 4 bytes a pixel.
    let output_pixels = u64::from(limits.max_output_dimension).pow(2);
    let one_render = limits.max_source_bytes + 4 * limits.max_source_pixels + 4 * output_pixels;
    let formula = 20 * MIB
        + cache.max_bytes
        + cache.originals_max_bytes
        + limits.render_workers as u64 * one_render;

    let resources = &example.container()["resources"];
    let request = bytes(text(&resources["requests"]["memory"]));
    assert_eq!(request, formula, "{} MiB by the formula", formula / MIB);
    let limit = bytes(text(&resources["limits"]["memory"]));
    assert_eq!(
        limit / MIB,
        (request / MIB * 13).div_ceil(10),
        "1.3 × the request"
    );
    assert_eq!(
        resources["requests"]["cpu"],
        limits.render_workers.to_string(),
        "a core per render worker"
    );
}

#[test]
fn secrets_reach_pixgate_from_the_secret_only() {
    let Some(example) = &*EXAMPLE else {
        return;
    };
    let secret = example.one("Secret");
    let env = example.pod_env();
    let referenced: Vec<&str> = example.container()["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|var| var["valueFrom"]["secretKeyRef"]["key"].as_str())
        .collect();
    let keys = secret["stringData"].as_object().expect("stringData");
    for (key, value) in keys {
        assert!(
            referenced.contains(&key.as_str()),
            "Secret key {key} unused"
        );
        assert!(
            text(value).starts_with("REPLACE-ME"),
            "{key}: a marked placeholder"
        );
    }

    // Without the Secret the ConfigMap's config does not even load: its private prefix needs
    // a signing secret, and none is in the file.
    let bare = example
        .load_config(Vec::new())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(bare.contains("need a secret"), "{bare}");

    let source = &example.pixgate_config().sources[0];
    let value = |key: &str| text(&keys[key]).to_string();
    assert_eq!(source.hmac_keys, [value("hmac-keys")]);
    assert_eq!(source.md5_tokens, [value("md5-tokens")]);
    let Root::S3(root) = &source.root else {
        panic!("the example's source is a bucket");
    };
    let credentials = root.credentials.keys().expect("S3 credentials");
    assert_eq!(credentials.access_key_id, value("s3-access-key-id"));
    assert_eq!(credentials.secret_access_key, value("s3-secret-access-key"));

    let without_s3_keys = env
        .into_iter()
        .filter(|(name, _)| !name.contains("ACCESS_KEY"));
    let config = example
        .load_config(without_s3_keys.collect())
        .expect("loads");
    let Root::S3(root) = &config.sources[0].root else {
        unreachable!("the same file");
    };
    assert!(
        root.credentials.keys().is_none(),
        "no S3 key in the ConfigMap"
    );
}

#[test]
fn what_pixgate_writes_is_on_empty_dirs_under_a_read_only_root() {
    let Some(example) = &*EXAMPLE else {
        return;
    };
    let container = example.container();
    let pod = &example.one("Deployment")["spec"]["template"]["spec"];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);

    let empty_dirs: Vec<&str> = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .filter(|v| v.get("emptyDir").is_some())
        .map(|v| text(&v["name"]))
        .collect();
    let writable: Vec<PathBuf> = container["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .iter()
        .filter(|m| empty_dirs.contains(&text(&m["name"])))
        .map(|m| PathBuf::from(text(&m["mountPath"])))
        .collect();
    let config = example.pixgate_config();
    let mut written = vec![config.cache.disk.dir.clone().expect("a disk tier")];
    for source in &config.sources {
        if let Root::S3(root) = &source.root {
            written.push(root.staging_dir.clone());
        }
    }
    for path in written {
        assert!(
            writable.iter().any(|mount| path.starts_with(mount)),
            "{} is on no emptyDir ({writable:?})",
            path.display()
        );
    }
}

#[test]
fn the_disruption_budget_and_the_autoscaler_select_the_deployment() {
    let Some(example) = &*EXAMPLE else {
        return;
    };
    let Some(base) = &*BASE else {
        return;
    };
    let deployment = example.one("Deployment");
    let name = &deployment["metadata"]["name"];
    let selector = &deployment["spec"]["selector"]["matchLabels"];
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let selects_pods = |labels: &Value| {
        let labels = labels.as_object().filter(|l| !l.is_empty());
        labels.is_some_and(|l| l.iter().all(|(k, v)| pod_labels[k] == *v))
    };
    assert!(selects_pods(selector), "the Deployment selects its pods");
    let pdb = example.one("PodDisruptionBudget");
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], *selector);
    assert!(selects_pods(&example.one("Service")["spec"]["selector"]));

    let hpa = example.one("HorizontalPodAutoscaler");
    let target = &hpa["spec"]["scaleTargetRef"];
    assert_eq!(
        (&target["kind"], &target["name"]),
        (&"Deployment".into(), name)
    );
    assert!(
        hpa["spec"]["minReplicas"].as_u64() >= Some(2),
        "a PDB needs two pods to allow one out"
    );
    assert_eq!(
        deployment["spec"].get("replicas"),
        None,
        "the autoscaler owns replicas"
    );

    assert!(base.all("HorizontalPodAutoscaler").is_empty());
    let replicas = base.one("Deployment")["spec"]["replicas"].as_u64();
    assert!(replicas >= Some(2), "without the autoscaler: {replicas:?}");
}
