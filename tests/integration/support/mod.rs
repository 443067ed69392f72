//! The harness, one module per concern. Every test starts the real server (in-process or the
//! binary) and talks HTTP to it; these are the pieces it is built from, each written once.
//!
//! - `server`: pixgate in-process (`TestServer`) and its metrics;
//! - `binary`: the real binary, run to completion or serving (`Daemon`);
//! - `cdn`: nginx in front of a server, with the shipped `deploy/nginx/pixgate.conf`;
//! - `wire`: HTTP/1.1 on a raw socket, every byte as given;
//! - `reply`: `Reply`, the one response parser, and the shape of a JSON error;
//! - `roots`: source roots, `fixtures/`, the test config, and what a folder holds;
//! - `signing`: both signing schemes, implemented from the contract;
//! - `images`: pictures made and read independently of pixgate, and how they are compared;
//! - `animations`: animated GIFs and WebPs made and read back with their timing and loop count;
//! - `forge`: hostile files built byte by byte;
//! - `remote`: an S3 service and an HTTP origin on loopback;
//! - `users`: who the tests and the server run as, and pixgate as an unprivileged user;
//! - `wait`: bounded waits for effects that happen after the client has gone.

pub mod animations;
pub mod binary;
pub mod cdn;
pub mod forge;
pub mod images;
pub mod peers;
pub mod remote;
pub mod reply;
pub mod roots;
pub mod server;
pub mod signing;
pub mod users;
pub mod wait;
pub mod wire;
