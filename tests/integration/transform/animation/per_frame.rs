//! Every transform applies to every frame of an animation, through the same steps as a still:
//! a crop, an adjustment, a watermark and text, in WebP and in GIF out. Each frame is compared
//! with the same transform of that frame served as a still PNG.

use image::{Rgba, RgbaImage};

use crate::support::animations::{
    Timed, animated_webp, delays, gif_frames, webp_frames, webp_frames_by_libwebp,
};
use crate::support::images::{GREEN, RED, YELLOW, decode, mean_abs_diff, png};
use crate::support::roots::Root;
use crate::support::server::TestServer;

const WHITE: [u8; 4] = [255, 255, 255, 255];
const BLACK: [u8; 4] = [0, 0, 0, 255];

/// 80×40 frames: the left half red, green, then yellow, the right half white.
fn halves() -> Vec<Timed> {
    [RED, GREEN, YELLOW]
        .iter()
        .map(|&left| {
            let frame = RgbaImage::from_fn(80, 40, |x, _| Rgba(if x < 40 { left } else { WHITE }));
            (frame, 100)
        })
        .collect()
}

fn near(p: [u8; 4], want: [u8; 4], tolerance: u8) -> bool {
    (0..3).all(|c| p[c].abs_diff(want[c]) <= tolerance)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crop_adjustment_mark_and_text_land_on_every_frame_as_on_a_still() {
    let root = Root::new();
    let frames = halves();
    root.put("halves.webp", &animated_webp(&frames, 0))
        .put("dot.png", &png(&RgbaImage::from_pixel(6, 6, Rgba(BLACK))));
    for (i, (frame, _)) in frames.iter().enumerate() {
        root.put(&format!("still{i}.png"), &png(frame));
    }
    let server = TestServer::serving(&root).await;
    let query = "w=40&h=40&fit=crop&crop=left&invert=true\
                 &mark=/dot.png&mark-align=top,left&mark-pad=0\
                 &txt=HEH&txt-size=16&txt-color=000";

    let mut stills = Vec::new();
    for (i, source) in [RED, GREEN, YELLOW].into_iter().enumerate() {
        let still = decode(
            &server
                .get(&format!("/still{i}.png?{query}&fm=png"))
                .await
                .body,
        );
        // What the still shows: the left half (the crop), inverted, the mark, the text.
        let inverted = [255 - source[0], 255 - source[1], 255 - source[2], 255];
        assert_eq!(still.dimensions(), (40, 40));
        assert!(
            near(still.get_pixel(38, 38).0, inverted, 0),
            "frame {i}: crop, invert"
        );
        assert!(near(still.get_pixel(2, 2).0, BLACK, 0), "frame {i}: mark");
        let text = still
            .enumerate_pixels()
            .filter(|(x, y, p)| (*x >= 6 || *y >= 6) && near(p.0, BLACK, 60))
            .count();
        assert!(text >= 15, "frame {i}: {text} text pixels");
        stills.push(still);
    }

    // Lossless WebP: every frame is its still to the level (read by libwebp, which composites
    // exactly).
    let reply = server
        .get(&format!("/halves.webp?{query}&fm=webp&lossless=1"))
        .await;
    reply.assert_image("webp");
    assert_eq!(delays(&webp_frames(&reply.body)), vec![100; 3]);
    let out = webp_frames_by_libwebp(&reply.body);
    assert_eq!(out.len(), 3);
    for (i, frame) in out.iter().enumerate() {
        assert_eq!(frame, &stills[i], "webp frame {i}");
    }
    // GIF: the same within its palette (a few flat colours and the text's anti-aliasing).
    let reply = server.get(&format!("/halves.webp?{query}&fm=gif")).await;
    reply.assert_image("gif");
    let out = gif_frames(&reply.body);
    assert_eq!(delays(&out), vec![100; 3]);
    for (i, (frame, _)) in out.iter().enumerate() {
        let diff = mean_abs_diff(frame, &stills[i]);
        assert!(
            diff < 2.0,
            "gif frame {i} differs from its still by {diff:.2}"
        );
    }
}
