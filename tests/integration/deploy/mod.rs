//! What `deploy/` ships, run or rendered for real: the nginx config as the CDN in front of
//! pixgate, the compose file's pixgate config, the Kubernetes manifests as kustomize renders
//! them, and the container image's `Dockerfile` (docs/deploy.md).

mod cdn;
mod compose;
mod container;
mod dockerfile;
mod kubernetes;
