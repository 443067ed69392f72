//! Where originals come from: routing by `Host` and prefix with storage keys that never leave
//! their root; the limits a source must keep and what damaged or foreign files answer; and
//! remote roots, HTTP origins and S3 buckets, with their failures, the SSRF guard, their
//! configuration, and many instances sharing one bucket.

mod aws_credentials;
mod broken;
mod http_origin;
mod limits;
mod remote_config;
mod routing;
mod s3_reads;
mod s3_uploads;
mod scale_out;
mod shared_tier;
mod ssrf;
