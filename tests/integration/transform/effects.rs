//! `blur` and `sharp` (contract §3), judged on one edge: a blur softens it, wider for more;
//! sharpening overshoots it on both sides, further for more, and leaves flat areas alone.

use super::pictures::{root, row, transition_width};
use crate::support::server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blur_softens_an_edge_and_more_blur_softens_it_wider() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // edge.png: 128×8, black | white. PNG output, so every level counts exactly.
    let sharp_edge = row(&server.get("/edge.png?fm=png").await.image("png"), 4);
    assert_eq!(transition_width(&sharp_edge), 0, "the source edge is hard");

    let mut widths = Vec::new();
    for blur in [20, 100, 400] {
        let target = format!("/edge.png?blur={blur}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (128, 8), "{target}");
        let levels = row(&out, 4);
        assert!(
            levels.windows(2).all(|w| w[0] <= w[1]),
            "{target}: a blurred step rises monotonically, got {levels:?}"
        );
        assert!(
            levels[0] < 128 && levels[127] > 128,
            "{target}: still dark on the left, light on the right: {levels:?}"
        );
        widths.push(transition_width(&levels));
    }
    assert!(widths[0] >= 2, "blur=20 leaves a hard edge: {widths:?}");
    assert!(
        widths[0] < widths[1] && widths[1] < widths[2],
        "more blur, wider transition: widths for blur=20, 100, 400 are {widths:?}"
    );
    // blur=0 is no blur: the file comes back as stored.
    let reply = server.get("/edge.png?blur=0").await;
    reply.assert_status(200);
    assert_eq!(
        reply.body,
        std::fs::read(root.path().join("edge.png")).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharp_overshoots_an_edge_and_more_sharp_overshoots_further() {
    let root = root();
    let server = TestServer::serving(&root).await;
    // step.png: 64×8, grey 64 | grey 192. Unsharp masking pushes the dark side of the edge
    // darker and the light side lighter; flat areas far from it stay exactly as they were.
    let plain = row(&server.get("/step.png?fm=png").await.image("png"), 4);
    let contrast = |levels: &[u8]| {
        let (min, max) = (levels.iter().min(), levels.iter().max());
        (*min.unwrap(), *max.unwrap())
    };
    assert_eq!(contrast(&plain), (64, 192));

    let mut extremes = Vec::new();
    for sharp in [20, 100] {
        let target = format!("/step.png?sharp={sharp}");
        let out = server.get(&target).await.image("png");
        assert_eq!(out.dimensions(), (64, 8), "{target}");
        let levels = row(&out, 4);
        let (min, max) = contrast(&levels);
        assert!(
            min < 64 && max > 192,
            "{target}: no over/undershoot: {levels:?}"
        );
        assert_eq!(levels[16], 64, "{target}: flat dark area changed");
        assert_eq!(levels[48], 192, "{target}: flat light area changed");
        extremes.push((min, max));
    }
    let ((min20, max20), (min100, max100)) = (extremes[0], extremes[1]);
    assert!(
        min100 < min20 && max100 > max20,
        "sharp=100 should overshoot further than sharp=20: {extremes:?}"
    );
}
