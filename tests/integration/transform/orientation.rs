//! Orientation (contract §3): `rot` turns clockwise and `flip` mirrors after it, and both (and
//! `rect`) apply to the image as EXIF says it stands, also through JPEG shrink-on-load; `orient`
//! replaces what EXIF says.

use super::pictures::{Corner, JPEG_FLAT, RESAMPLED, WHITE, red_quadrant, root};
use crate::support::images::{BLUE, RED, assert_pixel, mean_abs_diff};
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rot_turns_clockwise_and_flip_mirrors_after_rot() {
    let root = root();
    let server = TestServer::serving(&root).await;
    use Corner::*;
    // corner.png: 64×32, top-left quadrant red. The pipeline documents rot (clockwise), then
    // flip; the other order would put the red elsewhere in each combined case.
    let cases = [
        ("fm=png", TopLeft, (64, 32)),
        ("rot=0&fm=png", TopLeft, (64, 32)),
        ("rot=90", TopRight, (32, 64)),
        ("rot=180", BottomRight, (64, 32)),
        ("rot=270", BottomLeft, (32, 64)),
        ("flip=h", TopRight, (64, 32)),
        ("flip=v", BottomLeft, (64, 32)),
        ("flip=hv", BottomRight, (64, 32)),
        ("flip=vh", BottomRight, (64, 32)),
        // flip after rot; flip first would give BottomRight, TopLeft, TopLeft.
        ("rot=90&flip=h", TopLeft, (32, 64)),
        ("flip=v&rot=90", BottomRight, (32, 64)),
        ("rot=270&flip=h", BottomRight, (32, 64)),
        // `w` describes the image as finally seen, so after rot it is the short side.
        ("rot=90&w=16", TopRight, (16, 32)),
    ];
    for (query, corner, size) in cases {
        let target = format!("/corner.png?{query}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
        assert_eq!(red_quadrant(&out, &target), corner, "{target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rot_flip_and_rect_apply_to_the_exif_upright_image() {
    let root = root();
    let server = TestServer::serving(&root).await;
    use Corner::*;
    // Both JPEGs store a 64×32 picture with the top-left quadrant red. Orientation 2 shows it
    // mirrored (red top-right); orientation 6 turned a quarter clockwise (32×64, red top-right).
    let cases = [
        ("corner-o2.jpg?fm=png", TopRight, (64, 32)),
        // rot after EXIF: TopRight turns to BottomRight. Before EXIF it would end TopLeft.
        ("corner-o2.jpg?fm=png&rot=90", BottomRight, (32, 64)),
        ("corner-o2.jpg?fm=png&rot=90&flip=h", BottomLeft, (32, 64)),
        ("corner-o6.jpg?fm=png", TopRight, (32, 64)),
        ("corner-o6.jpg?fm=png&rot=90", BottomRight, (64, 32)),
        // flip after EXIF: TopRight mirrors to BottomRight. Before EXIF it would end TopLeft.
        ("corner-o6.jpg?fm=png&flip=v", BottomRight, (32, 64)),
    ];
    for (target, corner, size) in cases {
        let target = format!("/{target}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
        assert_eq!(red_quadrant(&out, &target), corner, "{target}");
    }
    // rect is in upright pixels: the upright top-right 16×32 of orientation 6 is all red.
    let target = "/corner-o6.jpg?fm=png&rect=16,0,16,32";
    let out = server.get(target).await.image("png");
    assert_eq!(out.dimensions(), (16, 32), "{target}");
    assert_pixel(&out, (8, 16), RED, JPEG_FLAT, target);

    // The same through shrink-on-load: 256×128 stored, upright 128×256, decoded at 1/8 in the
    // DCT domain. Quadrant edges sit on 8×8 block edges, so the 1/8 pixels stay pure.
    let cases = [
        ("corner-o6-big.jpg?w=16&fm=png", TopRight, (16, 32)),
        (
            "corner-o6-big.jpg?w=32&fm=png&rot=90",
            BottomRight,
            (32, 16),
        ),
        (
            "corner-o6-big.jpg?w=16&fm=png&flip=v",
            BottomRight,
            (16, 32),
        ),
    ];
    for (target, corner, size) in cases {
        let target = format!("/{target}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
        assert_eq!(red_quadrant(&out, &target), corner, "{target}");
    }
    for (rect, colour) in [
        ("64,0,64,128", RED),
        ("0,0,64,128", WHITE),
        ("64,128,64,128", WHITE),
    ] {
        let target = format!("/corner-o6-big.jpg?fm=png&rect={rect}&w=8");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (8, 16), "{target}");
        for at in [(2, 4), (6, 12)] {
            assert_pixel(&out, at, colour, JPEG_FLAT, &target);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exif_rotated_jpeg_comes_out_upright() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let rotated = server.get("/orient6.jpg?w=100").await.image("jpeg");
    let upright = server.get("/upright.jpg?w=100").await.image("jpeg");
    assert_eq!(rotated.width(), 100);
    assert!(
        (62..=63).contains(&rotated.height()),
        "{:?}",
        rotated.dimensions()
    );
    assert_eq!(rotated.dimensions(), upright.dimensions());
    // Tolerance: mean absolute difference under 12/255 per channel; two JPEG round trips of
    // the same picture land near 2-4, a wrong rotation or mirror near 30 or more.
    let diff = mean_abs_diff(&rotated, &upright);
    assert!(diff < 12.0, "mean absolute difference {diff:.1}");
}

/// `orient` replaces the file's EXIF orientation: an EXIF code (1 shows the stored pixels as
/// they are) or a clockwise quarter turn of the stored pixels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orient_replaces_the_files_orientation() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // rb.png: 200×100, red | blue; turned a quarter clockwise, red is on top.
    let turned = server.get("/rb.png?orient=90&fm=png").await.image("png");
    assert_eq!(turned.dimensions(), (100, 200));
    assert_pixel(&turned, (50, 20), RED, RESAMPLED, "red on top");
    assert_pixel(&turned, (50, 180), BLUE, RESAMPLED, "blue below");
    let same = server.get("/rb.png?or=6&fm=png").await;
    assert_eq!(same.image("png"), turned, "90 is EXIF 6");
    // orient6.jpg is stored 500×800 with EXIF 6; orient=1 shows it as stored.
    let stored = server
        .get("/orient6.jpg?orient=1&w=100")
        .await
        .image("jpeg");
    assert_eq!(stored.dimensions(), (100, 160));
}
