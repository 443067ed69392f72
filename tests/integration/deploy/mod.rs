//! What `deploy/` ships, run or rendered for real: the nginx config as the CDN in front of
//! pixgate.

mod cdn;
