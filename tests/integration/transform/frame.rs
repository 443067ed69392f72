//! Trim, masks, padding and borders through the server (`trim`, `mask`, `pad`, `pad-<side>`, `border`, `border-<side>`,
//! `border-radius`, `border-radius-inner`): an unsized image grows by its frame, a box holds
//! it, `bg` colours the padding, and a frame that cannot fit is a 400 naming it.

use super::pictures::root;
use crate::support::images::dimensions;
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pad_grows_an_unsized_image_and_a_box_holds_it() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // rb.png is 200×100, red | blue.
    let grown = server
        .get("/rb.png?pad=20&bg=00ff00&fm=png")
        .await
        .image("png");
    assert_eq!(grown.dimensions(), (240, 140));
    assert_eq!(grown.get_pixel(5, 70).0, [0, 255, 0, 255], "padding in bg");
    assert_eq!(
        grown.get_pixel(30, 70).0,
        [255, 0, 0, 255],
        "the image, unscaled"
    );
    let see_through = server.get("/rb.png?pad=20&fm=png").await.image("png");
    assert_eq!(
        see_through.get_pixel(5, 70)[3],
        0,
        "no bg: transparent in PNG"
    );
    let white = server.get("/rb.png?pad=20&fm=jpg").await;
    assert_eq!(dimensions(&white.body), (240, 140));

    let boxed = server
        .get("/rb.png?w=100&h=100&fit=crop&pad=10&fm=png")
        .await;
    assert_eq!(
        dimensions(&boxed.body),
        (100, 100),
        "the box holds image and padding"
    );
    let sided = server.get("/rb.png?pad-left=30&pad-top=5&fm=png").await;
    assert_eq!(dimensions(&sided.body), (230, 105));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_border_frames_the_padding_and_rounds_its_corners() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let framed = server
        .get("/rb.png?border=6,yellow&pad=4&border-radius=12&fm=png")
        .await
        .image("png");
    assert_eq!(framed.dimensions(), (220, 120));
    assert_eq!(framed.get_pixel(2, 60).0, [255, 255, 0, 255], "border");
    assert_eq!(framed.get_pixel(8, 60)[3], 0, "padding, see-through");
    assert_eq!(framed.get_pixel(0, 0)[3], 0, "a rounded corner");
    assert_eq!(framed.get_pixel(20, 60).0, [255, 0, 0, 255], "the image");
}

/// `border-stroke-size` rings everything else in `border-stroke-color` (imgix's default is
/// transparent white); the colour alone draws nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stroke_rings_the_border() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let stroked = server
        .get("/rb.png?border=6,yellow&border-radius=12&border-stroke-size=3&border-stroke-color=00f&fm=png")
        .await
        .image("png");
    assert_eq!(stroked.dimensions(), (218, 118));
    for (x, y) in [(0, 0), (1, 60), (217, 117), (100, 2)] {
        assert_eq!(
            stroked.get_pixel(x, y).0,
            [0, 0, 255, 255],
            "stroke at {x},{y}"
        );
    }
    assert_eq!(
        stroked.get_pixel(3, 3)[3],
        0,
        "the border's rounded corner, inside the stroke"
    );
    assert_eq!(stroked.get_pixel(5, 60).0, [255, 255, 0, 255], "border");
    assert_eq!(stroked.get_pixel(20, 60).0, [255, 0, 0, 255], "the image");
    // The default colour is transparent white: a transparent ring in PNG, white in JPEG.
    let clear = server
        .get("/rb.png?border-stroke-size=4&fm=png")
        .await
        .image("png");
    assert_eq!(clear.dimensions(), (208, 108));
    assert_eq!(clear.get_pixel(1, 1)[3], 0);
    let jpeg = server
        .get("/rb.png?border-stroke-size=4&fm=jpg")
        .await
        .image("jpeg");
    assert!(
        jpeg.get_pixel(1, 50).0[..3].iter().all(|c| *c > 240),
        "white in JPEG"
    );
    let alone = server.get("/rb.png?border-stroke-color=red&fm=png").await;
    assert_eq!(alone.body, server.get("/rb.png?fm=png").await.body);
    let message = server
        .get("/rb.png?w=50&h=50&fit=crop&border-stroke-size=30")
        .await
        .assert_error(400, "bad_parameter");
    assert!(message.contains("`border-stroke-size`"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_that_cannot_fit_are_400_naming_them() {
    let root = root();
    let server = TestServer::serving(&root).await;
    for (query, name) in [
        ("w=50&h=50&fit=crop&pad=30", "pad"),
        ("w=50&h=50&fit=crop&border=30,red", "border"),
        ("pad=9000", "pad"),
    ] {
        let message = server
            .get(&format!("/rb.png?{query}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
    }
}

/// `mask=ellipse` leaves the corners transparent where the format has alpha and white (or
/// `mask-bg`) where it has not; an image mask is refused for now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masks_cut_the_image_to_their_shape() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let png = server.get("/rb.png?mask=ellipse&fm=png").await.image("png");
    assert_eq!(png.dimensions(), (200, 100));
    assert_eq!(png.get_pixel(0, 0)[3], 0, "a corner is cut away");
    assert_eq!(
        png.get_pixel(50, 50).0,
        [255, 0, 0, 255],
        "the middle stays"
    );
    let jpeg = server
        .get("/rb.png?mask=ellipse&fm=png&mask-bg=00ff00")
        .await
        .image("png");
    assert_eq!(
        jpeg.get_pixel(0, 0).0,
        [0, 255, 0, 255],
        "mask-bg fills the cut"
    );
    let corners = server
        .get("/rb.png?mask=corners&corner-radius=20&fm=png")
        .await
        .image("png");
    assert_eq!(corners.get_pixel(1, 1)[3], 0);
    assert_eq!(corners.get_pixel(30, 2).0, [255, 0, 0, 255]);
    let message = server
        .get("/rb.png?mask=https://example.com/shape.png")
        .await
        .assert_error(400, "unsupported_parameter");
    assert!(message.contains("`mask`"), "{message}");
}

/// `trim` cuts a uniform border from the source first, so `w` describes the trimmed image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trim_cuts_the_border_before_the_resize() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // corner.png: a red 32×16 block in the top-left of a white 64×32.
    let red = server
        .get("/corner.png?trim=color&trim-color=fff&fm=png")
        .await
        .image("png");
    assert_eq!(red.dimensions(), (32, 16));
    assert!(red.pixels().all(|p| p.0 == [255, 0, 0, 255]));
    let sized = server
        .get("/corner.png?trim=color&trimcolor=white&w=16&fm=png")
        .await;
    assert_eq!(dimensions(&sized.body), (16, 8), "w is the trimmed image's");
    // half-clear.png: transparent | red, 64×32.
    let alpha = server
        .get("/half-clear.png?trim=alpha&trim-pad=2&fm=png")
        .await;
    assert_eq!(dimensions(&alpha.body), (34, 32));
}
