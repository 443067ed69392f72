//! What a transform does (contract §3), judged by the pixels, sizes and bytes that come back:
//! one file per family of parameters over the synthetic pictures of `pictures`; then animated
//! GIFs, AVIF, JPEG XL and SVG input, colour management, metadata, and the golden suite that compares output
//! with references made by an independent path.

mod adjustments;
mod animation;
mod avif;
mod avif_budget;
mod background;
mod bad_values;
mod blend;
mod colour;
mod cropping;
mod data;
mod download;
mod effects;
mod effort;
mod encoding;
mod faces;
mod frame;
mod golden;
mod hints;
mod jxl;
mod mark;
mod metadata;
mod negotiation;
mod orientation;
mod output;
mod pictures;
mod registry;
mod sizing;
mod stylize;
mod svg;
mod text;
