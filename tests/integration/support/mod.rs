//! The harness, one module per concern. Every test starts the real server (in-process or the
//! binary) and talks HTTP to it; these are the pieces it is built from, each written once.
//!
//! - `server`: pixgate in-process (`TestServer`) or as the binary (`Daemon`), and its metrics;
//! - `wire`: HTTP/1.1 on a raw socket, the one response parser, and `Reply`;
//! - `roots`: source roots, `fixtures/`, the test config, and what a folder holds;
//! - `signing`: both signing schemes, implemented from the contract;
//! - `images`: pictures made and read independently of pixgate, and how they are compared;
//! - `forge`: hostile files built byte by byte;
//! - `remote`: an S3 service and an HTTP origin on loopback;
//! - `wait`: bounded waits for effects that happen after the client has gone.

pub mod forge;
pub mod images;
pub mod remote;
pub mod roots;
pub mod server;
pub mod signing;
pub mod wait;
pub mod wire;
