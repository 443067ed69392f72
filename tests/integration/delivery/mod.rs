//! What goes back to the client: stored bytes passed through exactly, the headers a CDN relies
//! on, and the derivative cache behind them: what shares an entry, and how it behaves under
//! concurrent misses, a full budget and a changed original.

mod cache_keys;
mod cache_load;
mod disk_tier;
mod fallback;
mod headers;
mod passthrough;
mod presets;

use crate::support::images::gradient_png;
use crate::support::roots::Root;

/// The derivatives' render counter in `/_pixgate/metrics`.
pub const RENDERS: &str = "pixgate_renders_total";

/// `small.png`, a 40×20 gradient, and the same at `private/small.png`.
pub fn small_root() -> Root {
    let root = Root::new();
    root.put("small.png", &gradient_png(40, 20))
        .put("private/small.png", &gradient_png(40, 20));
    root
}

/// `cups.jpg`, an 800×500 photo: a render that takes a while.
pub fn photo_root() -> Root {
    let root = Root::new();
    root.put_fixture("cups.jpg", "cups-800x500.jpg");
    root
}
