//! Signed URLs through the server (contract §2): both schemes' published vectors, the
//! refusals (tampering, missing signatures, extension, the wrong method) and the rule that the
//! signature is checked before anything else — the cache included; expiry and TTL policy and
//! key rotation; `pixgate sign`, whose URLs the server accepts; and clients/vectors.json, the
//! known answers the client libraries share with pixgate's signer. Clocks are fixed.

mod cli;
mod client_vectors;
mod policy;
mod refusals;
mod vectors;

use crate::support::images::gradient_png;
use crate::support::roots::Root;

/// The contract's MD5 token (§2.1).
pub const TOKEN: &str = "FOO123bar";

/// A secure source holding `users/1.png` (40×30) and `users/2.png`, signing with [`TOKEN`].
pub fn imgix_root() -> (Root, pixgate::config::SourceConfig) {
    let root = Root::new();
    root.put("users/1.png", &gradient_png(40, 30))
        .put("users/2.png", &gradient_png(30, 40));
    let mut source = root.source("demo");
    source.secure = true;
    source.md5_tokens = vec![TOKEN.into()];
    (root, source)
}
