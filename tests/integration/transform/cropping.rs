//! What a crop keeps (contract §3): edge gravity, `crop=focalpoint` with `fp-x`/`fp-y`,
//! `crop=entropy` and `crop=edges`, `ar` shaping the box, `rect` cutting the source first, and `fit=min`.

use image::RgbaImage;

use super::pictures::{RESAMPLED, WHITE, root};
use crate::support::images::{BLUE, GREEN, RED, YELLOW, assert_pixel, mean_colour, near};
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crop_gravity_picks_the_side_that_survives() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // Mean colour of the output, allowing a few percent of resampling at the cut.
    let cases = [
        ("/rb.png?w=50&h=100&fit=crop&crop=left", RED),
        ("/rb.png?w=50&h=100&fit=crop&crop=right", BLUE),
        ("/rb.png?w=50&h=100&fit=crop&gravity=left", RED),
        ("/rb.png?w=50&h=100&mode=cover&crop=top,right", BLUE),
        ("/gy.png?w=100&h=50&fit=crop&crop=top", GREEN),
        ("/gy.png?w=100&h=50&fit=crop&crop=bottom", YELLOW),
        ("/gy.png?w=50&h=25&fit=crop&crop=bottom,left", YELLOW),
    ];
    for (target, want) in cases {
        let out = server.get(target).await.image("png");
        let mean = mean_colour(&out);
        for c in 0..3 {
            assert!(
                (mean[c] - f64::from(want[c])).abs() < 8.0,
                "{target}: mean {mean:?}, wanted {want:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focalpoint_crop_centres_the_window_on_fp_x_and_fp_y() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // 400×100 red|blue|green|yellow columns (and 100×400 rows) into 100×100: the kept window
    // is 100 source px on the long axis, centred on the focal point and clamped to the image.
    // Samples are 25 px from the window's edges and from any band edge, so only resampling
    // rounding (RESAMPLED) separates them from the band colour.
    let cases = [
        ("columns.png?fp-x=0.125&fp-y=0.9", RED, RED),
        ("columns.png?fp-x=0.625", GREEN, GREEN),
        ("columns.png?fp-x=0.95", YELLOW, YELLOW),
        ("columns.png?fp-x=0", RED, RED),
        ("columns.png?fp-x=0.5&fp-y=0", BLUE, GREEN),
        ("columns.png?fp-x=0.375", BLUE, BLUE),
        ("rows.png?fp-y=0.875&fp-x=0", YELLOW, YELLOW),
        ("rows.png?fp-y=0.375", BLUE, BLUE),
        ("rows.png?fp-y=0.1", RED, RED),
        ("rows.png?fp-y=1", YELLOW, YELLOW),
        ("rows.png?fp-y=0.5", BLUE, GREEN),
        // Defaults to the centre without fp-x/fp-y.
        ("columns.png?", BLUE, GREEN),
    ];
    for (target, first, second) in cases {
        let target = format!("/{target}&w=100&h=100&fit=crop&crop=focalpoint");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (100, 100), "{target}");
        let (a, b) = if target.starts_with("/columns") {
            ((25, 50), (75, 50))
        } else {
            ((50, 25), (50, 75))
        };
        assert_pixel(&out, a, first, RESAMPLED, &target);
        assert_pixel(&out, b, second, RESAMPLED, &target);
    }
    // fp-x/fp-y do nothing without crop=focalpoint: edge gravity still decides.
    let target = "/columns.png?w=100&h=100&fit=crop&crop=left&fp-x=0.9";
    let out = server.get(target).await.image("png");
    assert_pixel(&out, (75, 50), RED, RESAMPLED, target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entropy_and_edges_crops_keep_the_detailed_region() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // Flat green beside grey noise. A noise pixel (v,v,v) is never within 40 of pure green,
    // so counting green-ish pixels tells flat from detailed whatever the resampling does.
    let greenish = |out: &RgbaImage| {
        let n = out.pixels().filter(|p| near(p.0, GREEN, 40)).count();
        n as f64 / f64::from(out.width() * out.height())
    };
    let cases = [
        ("/noise-right.png?w=100&h=100&fit=crop", "the right third"),
        ("/noise-top.png?w=100&h=100&fit=crop", "the top third"),
    ];
    for (base, busy) in cases {
        let centred = server.get(base).await.image("png");
        assert!(
            greenish(&centred) > 0.95,
            "{base}: the centre is flat, the test image is wrong"
        );
        for mode in ["entropy", "edges"] {
            let target = format!("{base}&crop={mode}");
            let out = server.get(&target).await.image("png");
            assert_eq!(out.dimensions(), (100, 100), "{target}");
            let share = greenish(&out);
            assert!(
                share < 0.05,
                "{target}: {:.0}% of the output is the flat part; wanted {busy}, the noise",
                share * 100.0
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ar_with_one_side_sets_the_box_shape() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // rb.png is 200×100 red|blue; gy.png is 100×200 green over yellow. Each case names two
    // sample points and their colours (RESAMPLED: flat areas, away from the cut).
    type Sample = ((u32, u32), [u8; 4]);
    let cases: [(&str, (u32, u32), Sample, Sample); 9] = [
        (
            "rb.png?w=100&ar=1:1&fit=crop",
            (100, 100),
            ((20, 50), RED),
            ((80, 50), BLUE),
        ),
        (
            "rb.png?w=100&ar=1:1&fit=crop&crop=left",
            (100, 100),
            ((20, 50), RED),
            ((80, 50), RED),
        ),
        (
            "rb.png?w=160&ar=16:9&fit=crop",
            (160, 90),
            ((20, 45), RED),
            ((140, 45), BLUE),
        ),
        (
            // The 150-px window of 200 sits on the right: the cut is at 50, not 75.
            "rb.png?w=150&ar=1.5:1&fit=crop&crop=right",
            (150, 100),
            ((10, 50), RED),
            ((60, 50), BLUE),
        ),
        (
            "rb.png?w=50&ar=1:1&fit=crop&dpr=2",
            (100, 100),
            ((20, 50), RED),
            ((80, 50), BLUE),
        ),
        (
            "gy.png?h=50&ar=2:1&fit=crop",
            (100, 50),
            ((50, 10), GREEN),
            ((50, 40), YELLOW),
        ),
        (
            "gy.png?h=50&ar=2:1&fit=crop&crop=bottom",
            (100, 50),
            ((50, 10), YELLOW),
            ((50, 40), YELLOW),
        ),
        // `fit=fill` pads the 100×50 picture to the 100×100 box that `ar` made.
        (
            "rb.png?w=100&ar=1:1&fit=fill&bg=fff",
            (100, 100),
            ((50, 5), WHITE),
            ((20, 50), RED),
        ),
        // `ar` alone: the largest box of that shape inside the source.
        (
            "rb.png?ar=1:1&fit=crop",
            (100, 100),
            ((20, 50), RED),
            ((80, 50), BLUE),
        ),
    ];
    for (target, size, (a, a_colour), (b, b_colour)) in cases {
        let target = format!("/{target}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), size, "{target}");
        assert_pixel(&out, a, a_colour, RESAMPLED, &target);
        assert_pixel(&out, b, b_colour, RESAMPLED, &target);
    }
    // The default fit (clip) fits the whole picture inside the 100×100 box.
    let out = server.get("/rb.png?w=100&ar=1:1").await.image("png");
    assert_eq!(out.dimensions(), (100, 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rect_crops_the_source_before_everything_else() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // quadrants.png: 200×200, red | blue over green | yellow. No resize unless asked, so the
    // pixels are exact; with a resize, RESAMPLED.
    let out = server
        .get("/quadrants.png?rect=100,100,100,100")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (100, 100));
    assert!(
        out.pixels().all(|p| p.0 == YELLOW),
        "bottom-right is yellow"
    );

    let out = server
        .get("/quadrants.png?rect=100,0,100,100")
        .await
        .image("png");
    assert!(out.pixels().all(|p| p.0 == BLUE), "top-right is blue");

    let out = server
        .get("/quadrants.png?rect=50,50,100,100")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (100, 100));
    for (at, colour) in [
        ((25, 25), RED),
        ((75, 25), BLUE),
        ((25, 75), GREEN),
        ((75, 75), YELLOW),
    ] {
        assert_pixel(&out, at, colour, 0, "rect=50,50,100,100");
    }

    // Reaching past the edge is clamped to the image.
    let out = server
        .get("/quadrants.png?rect=150,150,100,100")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (50, 50));
    assert!(out.pixels().all(|p| p.0 == YELLOW));

    // Sizing then applies to the rectangle, not the source.
    let out = server
        .get("/quadrants.png?rect=100,100,100,100&w=40")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (40, 40));
    assert!(out.pixels().all(|p| near(p.0, YELLOW, RESAMPLED)));

    // …and so does the crop: the centre 100×100 of the 200×100 top strip is red | blue.
    let target = "/quadrants.png?rect=0,0,200,100&w=100&h=100&fit=crop";
    let out = server.get(target).await.image("png");
    assert_eq!(out.dimensions(), (100, 100));
    assert_pixel(&out, (20, 50), RED, RESAMPLED, target);
    assert_pixel(&out, (80, 50), BLUE, RESAMPLED, target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_min_crops_like_crop_but_never_enlarges() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // rb.png is 200×100. A 100×150 box is taller than the source: `crop` enlarges to fill it,
    // `min` keeps the box's 2:3 shape at the largest size the source gives (≈67×100).
    let out = server
        .get("/rb.png?w=100&h=150&fit=crop")
        .await
        .image("png");
    assert_eq!(out.dimensions(), (100, 150));

    let out = server.get("/rb.png?w=100&h=150&fit=min").await.image("png");
    let (w, h) = out.dimensions();
    assert_eq!(h, 100, "never taller than the source");
    assert!((66..=67).contains(&w), "2:3 of 100 rows is 66.7: got {w}");
    // Centre crop of red|blue: red on the left, blue on the right, the cut in the middle.
    assert_pixel(&out, (10, 50), RED, RESAMPLED, "fit=min");
    assert_pixel(&out, (w - 10, 50), BLUE, RESAMPLED, "fit=min");

    for (gravity, colour) in [("left", RED), ("right", BLUE)] {
        let target = format!("/rb.png?w=100&h=150&fit=min&crop={gravity}");
        let out = server.get(&target).await.image("png");
        assert!(
            out.pixels().all(|p| near(p.0, colour, RESAMPLED)),
            "{target}"
        );
    }
}
