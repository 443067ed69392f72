//! How large a decoder may or must make the pixels: the power-of-two shrink a raster decoder
//! may apply, and the factor a vector image is drawn at. Pure arithmetic on the plan.

use crate::render::geometry::Plan;

/// How large the decoded pixels may or must be against the header's upright size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// A power of two up to 8 that a raster decoder may reduce by; only JPEG uses it, and
    /// its result may be larger than `size / shrink` by rounding.
    pub shrink: u32,
    /// The factor a vector image is rasterised at (1 is its intrinsic size), so that an
    /// enlarged SVG is drawn sharp rather than resized.
    pub vector: f64,
}

impl Scale {
    /// The pixels at the size the header states.
    pub const FULL: Scale = Scale {
        shrink: 1,
        vector: 1.0,
    };

    /// `shrink` for raster images; for vector ones the scale that gives the plan's window
    /// the size it is resized to, on its larger side.
    pub fn for_plan(shrink: u32, plan: &Plan) -> Scale {
        let x = f64::from(plan.resized.0) / plan.window.width;
        let y = f64::from(plan.resized.1) / plan.window.height;
        let vector = x.max(y);
        Scale {
            shrink,
            vector: if vector.is_finite() && vector > 0.0 {
                vector
            } else {
                1.0
            },
        }
    }
}
