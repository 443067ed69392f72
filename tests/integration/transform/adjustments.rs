//! imgix's colour and tone adjustments through the server (`bri` … `usm`), judged on PNG output
//! where every level counts: what the pixels must show, and that equal requests spelled apart
//! (defaults, clamped values, aliases) share one cache entry. The curves themselves are
//! checked beside the code (`render::adjustments`).

use image::RgbaImage;

use super::pictures::root;
use crate::support::server::TestServer;

fn chroma(p: &image::Rgba<u8>) -> u8 {
    let c = &p.0[..3];
    c.iter().max().unwrap() - c.iter().min().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sat_minus_100_has_no_chroma_and_invert_is_255_minus_each_channel() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let plain: RgbaImage = server.get("/g64.png?w=32&fm=png").await.image("png");
    assert!(
        plain.pixels().any(|p| chroma(p) > 40),
        "the source has colour"
    );

    let grey = server
        .get("/g64.png?w=32&fm=png&sat=-100")
        .await
        .image("png");
    assert!(grey.pixels().all(|p| chroma(p) == 0));

    let inverted = server
        .get("/g64.png?w=32&fm=png&invert=1")
        .await
        .image("png");
    assert_eq!(inverted.dimensions(), plain.dimensions());
    for (p, q) in plain.pixels().zip(inverted.pixels()) {
        assert_eq!(q.0, [255 - p[0], 255 - p[1], 255 - p[2], p[3]]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brightness_contrast_and_hue_move_the_pixels_their_way() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let white = server
        .get("/g64.png?w=16&fm=png&bri=100")
        .await
        .image("png");
    assert!(white.pixels().all(|p| p.0[..3] == [255, 255, 255]));
    let flat = server
        .get("/g64.png?w=16&fm=png&con=-100")
        .await
        .image("png");
    assert!(flat.pixels().all(|p| p.0[..3] == [128, 128, 128]));
    // rb.png: red | blue; a third of a turn makes the red half green.
    let turned = server.get("/rb.png?w=20&fm=png&hue=120").await.image("png");
    let left = turned.get_pixel(2, 5).0;
    assert!(left[1] > left[0] && left[1] > left[2], "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_clamps_and_aliases_share_one_cache_entry() {
    let root = root();
    let server = TestServer::serving(&root).await;
    let groups = [
        &["w=20", "w=20&bri=0&con=0&hue=360&usmrad=9&invert=0"][..],
        &["w=20&bri=100", "w=20&bri=250", "w=20&bri=100&exp=0"][..],
        &["w=20&invert=1", "w=20&inv=true"][..],
        &["w=20&usm=30", "w=20&usm=30&usmrad=2.5"][..],
    ];
    for group in groups {
        let first = server.get(&format!("/g64.png?{}", group[0])).await;
        first.assert_status(200);
        for query in &group[1..] {
            let reply = server.get(&format!("/g64.png?{query}")).await;
            assert_eq!(
                reply.header("x-cache"),
                Some("HIT"),
                "{query} after {}",
                group[0]
            );
            assert_eq!(reply.body, first.body, "{query}");
        }
    }
}
