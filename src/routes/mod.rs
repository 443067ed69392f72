//! Thin HTTP adapters: each turns a request into calls on the pipeline stages and the result
//! into a response. `image` serves GET/HEAD of image paths; `api` is `/_pixgate/…`.

pub mod api;
pub mod image;
