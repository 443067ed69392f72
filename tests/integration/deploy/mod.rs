//! What `deploy/` ships, run or rendered for real: the nginx config as the CDN in front of
//! pixgate, the compose file's pixgate config, and the Kubernetes manifests as kustomize renders
//! them (docs/deploy.md).

mod cdn;
mod compose;
mod kubernetes;
